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


def _v1_row(conn: sqlite3.Connection, cipher: BodyCipher, item_id: int, key: str, tag: str | None, state: str) -> None:
    """A row as v1/v2 code wrote it (v1 columns only), body encrypted as v1 did (NULL once acked)."""
    blob = cipher.encrypt(item_id, key, json.dumps({"n": item_id}).encode()) if state != "acked" else None
    conn.execute(
        "INSERT INTO items(id, idempotency_key, method, path, service, priority, ordering_tag, created_at,"
        " next_attempt_at, state, body, body_len, key_id, summary, acked_at, status) VALUES"
        " (?, ?, 'POST', '/v1/x', 's', 0, ?, 1.0, 1.0, ?, ?, ?, ?, 'sum', ?, ?)",
        (
            item_id,
            key,
            tag,
            state,
            blob,
            len(blob) if blob else 0,
            cipher.key_id if blob else None,
            2.0 if state == "acked" else None,
            200 if state == "acked" else None,
        ),
    )


@pytest.mark.parametrize("start", range(0, CURRENT_VERSION))
def test_upgrade_from_every_earlier_version_keeps_items(tmp_path: Path, cipher: BodyCipher, start: int) -> None:
    db = tmp_path / "q.sqlite"
    conn = sqlite3.connect(db, isolation_level=None)
    migrate(conn, target=start)
    assert schema_version(conn) == start
    citizen = cipher.ordering_tag("350102199003071234")
    if start >= 1:
        _v1_row(conn, cipher, 1, "k-1", citizen, "pending")
        _v1_row(conn, cipher, 2, "k-2", cipher.ordering_tag("other"), "acked")
        _v1_row(conn, cipher, 3, "k-3", citizen, "pending")  # same citizen: must wait for k-1
        if start >= 3:  # as v3+ code writes them: caller-given keys flagged, same-citizen items linked
            conn.execute("UPDATE items SET key_given = 1, prev_id = (CASE id WHEN 3 THEN 1 END)")
    conn.close()
    ob = Outbox(db, cipher)
    raw = sqlite3.connect(db)
    assert schema_version(raw) == CURRENT_VERSION and {"age_reviewed", "key_given", "prev_id"} <= _columns(raw)
    assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    raw.close()
    if start >= 1:
        # Old keys are still found, and re-enqueueing one returns the stored item.
        assert [ob.find(k).id for k in ("k-1", "k-2", "k-3")] == [1, 2, 3]  # type: ignore[union-attr]
        assert ob.enqueue("POST", "/v1/x", b"{}", service="s", idempotency_key="k-3").id == 3
        assert [(e.idempotency_key, e.status) for e in ob.ledger()] == [("k-2", 200)]
        [item] = ob.claim_due(10)
        assert (item.idempotency_key, json.loads(item.body)) == ("k-1", {"n": 1})
        ob.mark_acked([(1, 200)])
    # A new item of the same citizen queues behind the migrated ones.
    new = ob.enqueue("POST", "/v1/y", b"{}", service="s", ordering_key="350102199003071234")
    assert new.id == (4 if start >= 1 else 1) and ob.find(new.idempotency_key).id == new.id  # type: ignore[union-attr]
    if start >= 1:
        [item] = ob.claim_due(10)
        assert (item.idempotency_key, json.loads(item.body)) == ("k-3", {"n": 3})
        ob.mark_acked([(3, 200)])
    assert [i.id for i in ob.claim_due(10)] == [new.id]
    ob.close()


def _schema(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    return conn.execute("SELECT name, sql FROM sqlite_master ORDER BY name").fetchall()


@pytest.mark.parametrize("version", range(1, CURRENT_VERSION + 1))
def test_each_step_is_atomic(tmp_path: Path, cipher: BodyCipher, version: int) -> None:
    conn = sqlite3.connect(tmp_path / "q.sqlite", isolation_level=None)
    migrate(conn, target=version - 1)
    if version > 1:
        _v1_row(conn, cipher, 1, "k-1", None, "pending")
    before = _schema(conn)
    STEPS[version].append("THIS IS NOT SQL")  # fails after every real statement of the step
    try:
        with pytest.raises(sqlite3.OperationalError):
            migrate(conn)
    finally:
        STEPS[version].pop()
    assert schema_version(conn) == version - 1 and _schema(conn) == before
    if version > 1:
        assert conn.execute("SELECT idempotency_key FROM items").fetchall() == [("k-1",)]
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
