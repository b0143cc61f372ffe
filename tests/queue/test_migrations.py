from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from offline_queue import BodyCipher, Outbox, SchemaTooNew
from offline_queue.migrations import CURRENT_VERSION, STEPS, migrate, schema_version


def _columns(conn: sqlite3.Connection) -> set[str]:
    return {r[1] for r in conn.execute("PRAGMA table_info(items)")}


@pytest.mark.parametrize("start", range(0, CURRENT_VERSION))
def test_upgrade_from_every_earlier_version_keeps_items(tmp_path: Path, cipher: BodyCipher, start: int) -> None:
    db = tmp_path / "q.sqlite"
    conn = sqlite3.connect(db, isolation_level=None)
    migrate(conn, target=start)
    assert schema_version(conn) == start
    if start >= 1:
        # A row as version `start` wrote it (v1 columns only), body encrypted as v1 did.
        blob = cipher.encrypt(1, "k-1", b'{"n": 1}')
        conn.execute(
            "INSERT INTO items(id, idempotency_key, method, path, service, priority, ordering_tag, created_at,"
            " next_attempt_at, state, body, body_len, key_id, summary) VALUES"
            " (1, 'k-1', 'POST', '/v1/x', 's', 0, NULL, 1.0, 1.0, 'pending', ?, ?, ?, 'sum')",
            (blob, len(blob), cipher.key_id),
        )
    conn.close()
    ob = Outbox(db, cipher)
    raw = sqlite3.connect(db)
    assert schema_version(raw) == CURRENT_VERSION and "age_reviewed" in _columns(raw)
    raw.close()
    if start >= 1:
        [item] = ob.claim_due(10)
        assert (item.idempotency_key, json.loads(item.body)) == ("k-1", {"n": 1})
    new = ob.enqueue("POST", "/v1/y", b"{}", service="s")
    assert new.id == (2 if start >= 1 else 1)
    ob.close()


def test_each_step_is_atomic(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "q.sqlite", isolation_level=None)
    migrate(conn, target=1)
    STEPS[2].append("THIS IS NOT SQL")
    try:
        with pytest.raises(sqlite3.OperationalError):
            migrate(conn)
    finally:
        STEPS[2].pop()
    assert schema_version(conn) == 1 and "age_reviewed" not in _columns(conn)
    migrate(conn)
    assert schema_version(conn) == CURRENT_VERSION


def test_newer_database_is_refused(tmp_path: Path, cipher: BodyCipher) -> None:
    conn = sqlite3.connect(tmp_path / "q.sqlite", isolation_level=None)
    conn.execute(f"PRAGMA user_version = {CURRENT_VERSION + 1}")
    conn.close()
    with pytest.raises(SchemaTooNew):
        Outbox(tmp_path / "q.sqlite", cipher)


def test_reopening_is_a_no_op(make_outbox: Callable[..., Outbox]) -> None:
    a = make_outbox()
    a.enqueue("POST", "/v1/x", b"{}", service="s")
    a.close()
    b = make_outbox()
    assert b.status().depth == 1
