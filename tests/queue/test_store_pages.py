"""What an enqueue writes: only the table's pages (no index leaf per item), and keys stay findable."""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from offline_queue import Bounds, Outbox, QueueFull, store


def _wal_growth(conn: sqlite3.Connection, wal: Path, put: Callable[[int], object], n: int) -> int:
    conn.execute("PRAGMA wal_autocheckpoint=0")  # keep every frame in the WAL so it can be counted
    for i in range(20):  # warm up: the first leaves and interior pages
        put(i)
    before = wal.stat().st_size
    for i in range(n):
        put(i)
    return wal.stat().st_size - before


def test_enqueue_appends_no_more_wal_than_a_bare_insert(make_outbox: Callable[..., Outbox], tmp_path: Path) -> None:
    body = os.urandom(4096)
    ob = make_outbox()
    ours = _wal_growth(
        ob._conn,
        Path(f"{ob.path}-wal"),
        lambda i: ob.enqueue("POST", "/v1/x", body, service="s", ordering_key=f"citizen {i % 7}"),
        200,
    )
    bare = sqlite3.connect(tmp_path / "bare.sqlite", isolation_level=None)
    bare.execute("PRAGMA journal_mode=WAL")
    bare.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, data BLOB)")
    # The bare row holds just the plain body; ours also carries nonce, tag and the other columns.
    insert = "INSERT INTO t(data) VALUES (?)"
    theirs = _wal_growth(bare, tmp_path / "bare.sqlite-wal", lambda i: bare.execute(insert, (body,)), 200)
    bare.close()
    assert ours <= theirs * 1.02, (ours / 200, theirs / 200)


def test_keys_made_by_the_queue_and_given_keys_are_found(make_outbox: Callable[..., Outbox]) -> None:
    ob = make_outbox()
    made = ob.enqueue("POST", "/v1/x", b"{}", service="s")
    u = uuid.UUID(made.idempotency_key)
    assert u.version == 8 and str(u) == made.idempotency_key
    # A caller's key that happens to look like ours (version 8, id 1 in the low bits) is not confused with it.
    lookalike = str(uuid.UUID(int=(u.int ^ (1 << 100))))
    given = ob.enqueue("POST", "/v1/x", b"{}", service="s", idempotency_key=lookalike)
    plain = ob.enqueue("POST", "/v1/x", b"{}", service="s", idempotency_key=str(uuid.uuid4()))
    assert given.id != made.id
    for e in (made, given, plain):
        assert ob.find(e.idempotency_key).id == e.id  # type: ignore[union-attr]
        assert ob.enqueue("POST", "/v1/x", b"{}", service="s", idempotency_key=e.idempotency_key) == e
    assert ob.find(str(uuid.uuid4())) is None and ob.status().depth == 3


def test_one_citizen_stays_in_order_when_two_processes_enqueue(make_outbox: Callable[..., Outbox]) -> None:
    ui, sync = make_outbox(), make_outbox()  # two connections: each keeps its own map of keys' last items
    ids = [
        (ui if i % 2 == 0 else sync).enqueue("POST", "/v1/x", b"{}", service="s", ordering_key="A").id for i in range(6)
    ]
    for expected in ids:
        [item] = sync.claim_due(10)
        assert item.id == expected
        sync.mark_acked([(item.id, 200)])
    assert sync.claim_due(10) == []


def test_bounds_count_what_another_process_enqueued(make_outbox: Callable[..., Outbox]) -> None:
    ob = make_outbox(bounds=Bounds(max_items=2))
    other = make_outbox()
    ob.enqueue("POST", "/v1/x", b"{}", service="s")
    other.enqueue("POST", "/v1/x", b"{}", service="s")  # ob's counter does not know it yet
    with pytest.raises(QueueFull):
        ob.enqueue("POST", "/v1/x", b"{}", service="s")
    assert ob.status().depth == 2


@given(st.integers(0, 2**40 - 1), st.binary(min_size=16, max_size=16))
def test_a_made_key_is_the_uuid_of_the_prefix_and_the_item_id(item_id: int, noise: bytes) -> None:
    """The enqueue path formats only the last group; the whole key must still be str(UUID) and carry the id."""
    prefix = (int.from_bytes(noise) & store._RANDOM_MASK) | store._V8
    key = store._KeyMaker(prefix)(item_id)
    assert key == str(uuid.UUID(int=prefix | item_id)) and uuid.UUID(key).version == 8
    assert store._id_in_key(key) == item_id
