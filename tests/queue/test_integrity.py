"""The outbox file against damage and tampering, and its retry times against wall-clock jumps.

Real SQLite files throughout: rows are changed with a second connection, the write-ahead log is
cut or flipped on disk as a crash or a bad sector leaves it, then the outbox is opened again and
a real central on loopback receives what is left.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from offline_queue import BodyCipher, Forwarder, ForwarderConfig, Outbox, QueueEvent, State
from offline_queue.http_transport import HttpTransport
from offline_queue.integrity import FRAME_HEADER, WAL_HEADER
from tests.queue.conftest import Central

MakeOutbox = Callable[..., Outbox]
ECHO = "/v1/_test/echo"
FAST = ForwarderConfig(batch_threshold=50, backoff_base_s=0.01, backoff_cap_s=0.1, idle_poll_s=0.2, auth_retry_s=None)


def _deliver(ob: Outbox, central: Central, events: list[QueueEvent]) -> None:
    fwd = Forwarder(ob, HttpTransport(central.url), config=FAST, on_event=events.append)
    fwd.start()
    try:
        assert fwd.flush(10)
    finally:
        fwd.stop()


def _body(n: int) -> bytes:
    return json.dumps({"n": n}).encode()


def test_a_row_pointed_at_another_endpoint_fails_authentication_and_is_never_delivered(
    make_outbox: MakeOutbox, central: Central, events: list[QueueEvent]
) -> None:
    ob = make_outbox()
    moved = ob.enqueue("POST", "/v1/_test/nowhere", _body(1), service="s")
    kept = ob.enqueue("POST", ECHO, _body(2), service="s")
    ob.close()
    raw = sqlite3.connect(ob.path, isolation_level=None)
    raw.execute("UPDATE items SET path = ? WHERE id = ?", (ECHO, moved.id))  # someone with the disk
    raw.close()
    again = make_outbox()
    _deliver(again, central, events)
    effects, _ = central.effects()
    assert moved.idempotency_key not in effects and effects.get(kept.idempotency_key) == 1
    info = again.get(moved.id)
    assert info.state == State.DEAD and "authentication failed" in (info.last_error or "")
    assert [e.code for e in events if e.item_id == moved.id] == ["dead_letter"]
    assert any(e.code == "integrity_failed" and e.severity == "critical" for e in events)


def test_path_changed_while_the_queue_runs_is_caught_when_the_item_is_claimed(
    make_outbox: MakeOutbox, events: list[QueueEvent]
) -> None:
    ob = make_outbox()
    a = ob.enqueue("POST", "/v1/cards/loss", _body(1), service="s")
    ob._conn.execute("UPDATE items SET method = 'PUT' WHERE id = ?", (a.id,))
    assert ob.claim_due(10) == [] and ob.get(a.id).state == State.DEAD


def test_damaged_ciphertext_on_disk_is_a_dead_letter_and_the_rest_is_delivered(
    make_outbox: MakeOutbox, central: Central, events: list[QueueEvent]
) -> None:
    ob = make_outbox()
    items = [ob.enqueue("POST", ECHO, _body(i), service="s") for i in range(5)]
    ob.close()
    bad = items[2]
    raw = sqlite3.connect(ob.path, isolation_level=None)
    blob = bytearray(raw.execute("SELECT body FROM items WHERE id = ?", (bad.id,)).fetchone()[0])
    blob[len(blob) // 2] ^= 0x40
    raw.execute("UPDATE items SET body = ? WHERE id = ?", (bytes(blob), bad.id))
    raw.close()
    again = make_outbox()
    # Found at start, before anything is claimed, and raised as an alarm.
    assert again.get(bad.id).state == State.DEAD
    alarms = [e for e in events if e.code == "integrity_failed"]
    assert len(alarms) == 1 and "1 queued item(s) failed authentication" in alarms[0].message
    _deliver(again, central, events)
    effects, _ = central.effects()
    good = [i for i in items if i != bad]
    assert {i.idempotency_key: effects.get(i.idempotency_key) for i in good} == {i.idempotency_key: 1 for i in good}
    assert bad.idempotency_key not in effects and again.status().dead_letters == 1
    assert [i.id for i in again.list_items([State.DEAD])] == [bad.id]


def _crash_image(ob: Outbox, into: Path) -> Path:
    """The files as a power cut would leave them: the database and its WAL, copied while open."""
    into.mkdir()
    for suffix in ("", "-wal"):
        shutil.copyfile(f"{ob.path}{suffix}", into / f"queue.sqlite{suffix}")
    return into / "queue.sqlite"


@pytest.mark.parametrize("damage", ["cut", "flip"])
def test_a_damaged_wal_tail_is_reported_and_every_earlier_item_is_delivered(
    make_outbox: MakeOutbox, cipher: BodyCipher, central: Central, events: list[QueueEvent], tmp_path: Path,
    damage: str,
) -> None:
    ob = make_outbox()
    items = [ob.enqueue("POST", ECHO, _body(i), service="s") for i in range(4)]
    db = _crash_image(ob, tmp_path / "crash")
    wal = Path(f"{db}-wal")
    raw = bytearray(wal.read_bytes())
    page = int.from_bytes(raw[8:12], "big")
    assert (len(raw) - WAL_HEADER) % (FRAME_HEADER + page) == 0  # whole frames, one commit per enqueue
    if damage == "cut":
        raw = raw[:-100]  # the last commit's last frame is cut short
    else:
        raw[-page // 2] ^= 0x01  # a bit of the last commit's last page flipped
    wal.write_bytes(bytes(raw))
    seen: list[QueueEvent] = []
    again = Outbox(db, cipher, on_event=seen.append)
    try:
        alarms = [e for e in seen if e.code == "integrity_failed"]
        assert len(alarms) == 1 and "write-ahead log" in alarms[0].message and alarms[0].severity == "critical"
        assert again.find(items[-1].idempotency_key) is None  # SQLite dropped the last commit …
        _deliver(again, central, events)  # … every earlier one is intact and goes out
        effects, _ = central.effects()
        assert {i.idempotency_key: effects.get(i.idempotency_key) for i in items[:-1]} == {
            i.idempotency_key: 1 for i in items[:-1]}
    finally:
        again.close()


def test_an_intact_wal_after_a_crash_raises_no_alarm(
    make_outbox: MakeOutbox, cipher: BodyCipher, tmp_path: Path
) -> None:
    ob = make_outbox()
    items = [ob.enqueue("POST", ECHO, _body(i), service="s") for i in range(3)]
    seen: list[QueueEvent] = []
    again = Outbox(_crash_image(ob, tmp_path / "crash"), cipher, on_event=seen.append)
    assert seen == [] and [i.id for i in again.list_items()] == [i.id for i in items]
    again.close()


class Clocks:
    """The wall clock (which an operator or NTP may set) and the monotonic one (which only advances)."""

    def __init__(self) -> None:
        self.wall = 1_800_000_000.0
        self.mono = 1000.0

    def advance(self, s: float) -> None:
        self.wall += s
        self.mono += s


def _backing_off(make_outbox: MakeOutbox, clocks: Clocks, delay: float) -> tuple[Outbox, int]:
    ob = make_outbox(clock=lambda: clocks.wall, monotonic=lambda: clocks.mono)
    a = ob.enqueue("POST", ECHO, _body(1), service="s")
    [item] = ob.claim_due(1)
    ob.mark_retry([(item.id, clocks.wall + delay, "HTTP 503")])  # as the forwarder schedules it
    return ob, a.id


def test_a_wall_clock_set_back_does_not_strand_a_retry(make_outbox: MakeOutbox) -> None:
    clocks = Clocks()
    ob, item = _backing_off(make_outbox, clocks, 30)
    clocks.wall -= 86400  # the clock is set back a day
    clocks.advance(10)
    assert ob.claim_due(1) == [] and ob.due_count() == 0  # still inside its 30 s backoff
    clocks.advance(21)
    assert ob.due_count() == 1 and [i.id for i in ob.claim_due(1)] == [item]
    assert ob.next_due_at() is None


def test_a_wall_clock_set_forward_keeps_retries_due(make_outbox: MakeOutbox) -> None:
    clocks = Clocks()
    ob, item = _backing_off(make_outbox, clocks, 30)
    clocks.wall += 86400
    clocks.advance(1)
    assert [i.id for i in ob.claim_due(1)] == [item]


def test_a_clock_set_back_across_a_restart_does_not_strand_a_retry(make_outbox: MakeOutbox) -> None:
    clocks = Clocks()
    ob, item = _backing_off(make_outbox, clocks, 30)
    ob.close()
    clocks.wall -= 86400  # the kiosk comes back with its RTC a day behind; the monotonic clock restarted
    clocks.mono = 5.0
    again = make_outbox(clock=lambda: clocks.wall, monotonic=lambda: clocks.mono)
    assert [i.id for i in again.claim_due(1)] == [item]


def test_a_damaged_index_page_is_raised_as_an_alarm_and_the_items_are_still_delivered(
    make_outbox: MakeOutbox, central: Central, events: list[QueueEvent]
) -> None:
    ob = make_outbox()
    items = [ob.enqueue("POST", ECHO, _body(i), service="s") for i in range(3)]
    ob.close()
    raw = sqlite3.connect(ob.path, isolation_level=None)
    page = raw.execute("PRAGMA page_size").fetchone()[0]
    root = raw.execute("SELECT rootpage FROM sqlite_master WHERE name = 'items_given_key'").fetchone()[0]
    raw.close()
    with open(ob.path, "r+b") as fh:  # a bad sector in the caller-key index
        fh.seek((root - 1) * page)
        fh.write(b"\xa5" * 64)
    again = make_outbox()
    alarms = [e for e in events if e.code == "integrity_failed"]
    assert len(alarms) == 1 and "quick_check" in alarms[0].message and alarms[0].severity == "critical"
    _deliver(again, central, events)  # the table itself is sound: everything goes out and is acked
    effects, _ = central.effects()
    assert {i.idempotency_key: effects.get(i.idempotency_key) for i in items} == {i.idempotency_key: 1 for i in items}
    assert sorted(e.idempotency_key for e in again.ledger()) == sorted(i.idempotency_key for i in items)
