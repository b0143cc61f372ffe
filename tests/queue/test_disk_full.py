"""Disk full: SQLite fails on write; the item is refused cleanly, nothing stored is harmed."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from offline_queue import BodyCipher, Outbox, QueueEvent, QueueWriteError


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[tuple[Path, bool]]:
    """A 1 MiB tmpfs (real ENOSPC); falls back to SQLite's page limit only if mounting is refused."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", str(mnt)], capture_output=True, check=False
    )
    mounted = r.returncode == 0
    try:
        yield mnt, mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(mnt)], check=False)


@pytest.mark.parametrize("source", ["tmpfs", "sqlite_page_limit"])
def test_disk_full_refuses_cleanly(small_fs: tuple[Path, bool], cipher: BodyCipher, source: str) -> None:
    mnt, mounted = small_fs
    mounted = mounted and source == "tmpfs"
    events: list[QueueEvent] = []
    ob = Outbox(mnt / "q.sqlite", cipher, on_event=events.append)
    if not mounted:  # injected fallback: the same SQLITE_FULL error, from SQLite's own page limit
        ob._conn.execute("PRAGMA max_page_count = 200")
    stored: list[str] = []
    error: QueueWriteError | None = None
    for _n in range(200):
        try:
            stored.append(ob.enqueue("POST", "/v1/x", os.urandom(30_000), service="s").idempotency_key)
        except QueueWriteError as exc:
            error = exc
            break
    assert error is not None, "the small filesystem never filled up"
    assert "full" in str(error).lower() and 5 < len(stored) < 200
    assert events[-1].code == "write_failed" and events[-1].severity == "critical"
    # Refused again, cleanly; reads keep working; every accepted item is intact and deliverable.
    with pytest.raises(QueueWriteError):
        ob.enqueue("POST", "/v1/x", os.urandom(30_000), service="s")
    assert ob.status().depth == len(stored)
    assert [i.idempotency_key for i in ob.list_items(limit=1000)] == stored
    ob.close()
    reopened = Outbox(mnt / "q.sqlite", cipher)
    assert reopened._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    got = reopened.claim_due(1000)
    assert [i.idempotency_key for i in got] == stored and all(len(i.body) == 30_000 for i in got)
    reopened.close()
    if not mounted:
        print("tmpfs mount refused: used the injected SQLITE_FULL fallback")
