from __future__ import annotations

import base64
import json
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from offline_queue import URGENT_PRIORITY, BodyCipher, Bounds, Outbox, QueueEvent, QueueFull, State
from offline_queue.store import scrub

ID_NUMBER = "350102199003071234"
NAME = "陈志强"
RARE_NAME = "王䶮"
# The start of a real JFIF file: SOI, APP0 marker, "JFIF\0".
JPEG = bytes.fromhex("ffd8ffe000104a46494600010101004800480000ffdb004300") + os.urandom(3000) + b"\xff\xd9"

MakeOutbox = Callable[..., Outbox]


def _body(n: int = 0, **extra: object) -> bytes:
    return json.dumps({"n": n, **extra}, ensure_ascii=False).encode("utf-8")


def test_enqueue_is_durable_and_visible_to_another_connection(make_outbox: MakeOutbox, tmp_path: Path) -> None:
    ob = make_outbox()
    got = ob.enqueue("POST", "/v1/cards/loss-report", _body(), service="loss_report", priority=0)
    assert ob.path.with_name(ob.path.name + "-wal").stat().st_size > 0
    other = sqlite3.connect(ob.path)
    assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    row = other.execute("SELECT idempotency_key, state, attempts FROM items WHERE id=?", (got.id,)).fetchone()
    assert row == (got.idempotency_key, "pending", 0)
    assert len(got.idempotency_key) == 36  # UUID made before any send
    other.close()
    assert ob._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_no_personal_data_in_db_wal_or_shm(make_outbox: MakeOutbox, tmp_path: Path) -> None:
    ob = make_outbox()
    photo_b64 = base64.b64encode(JPEG).decode()
    for i in range(20):
        body = _body(i, id_number=ID_NUMBER, name=NAME, rare=RARE_NAME, mobile="13812345678", photo_jpeg_b64=photo_b64)
        ob.enqueue(
            "POST",
            "/v1/applications",
            body,
            service="apply",
            ordering_key=ID_NUMBER,
            summary="申请 3501**********1234 陈*",
        )
    ob.enqueue("POST", "/v1/x", NAME.encode("gbk") + JPEG, service="raw", ordering_key=ID_NUMBER)
    files = [ob.path, ob.path.with_name(ob.path.name + "-wal"), ob.path.with_name(ob.path.name + "-shm")]
    needles = {
        "id number": ID_NUMBER.encode(),
        "id digits middle": ID_NUMBER[6:14].encode(),
        "name utf-8": NAME.encode("utf-8"),
        "name gbk": NAME.encode("gbk"),
        "rare name utf-8": RARE_NAME.encode("utf-8"),
        "rare name gb18030": RARE_NAME.encode("gb18030"),
        "mobile": b"13812345678",
        # SOI + APP0 marker and its length: the bare 3-byte magic turns up by chance now and then
        # (p = size / 2^24 in random ciphertext); any stored plaintext JPEG starts with these 6 bytes.
        "jpeg magic": JPEG[:6],
        "jfif": b"JFIF",
        "jpeg base64": b"/9j/",
    }

    def scan() -> None:
        for f in files:
            if not f.exists():
                continue
            data = f.read_bytes()
            for what, needle in needles.items():
                assert needle not in data, f"{what} found in {f.name}"

    assert files[1].stat().st_size > 100_000  # the bodies really are in the WAL, encrypted
    scan()
    ob._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert ob.path.stat().st_size > 100_000
    scan()


def test_acked_body_is_deleted_from_the_file(make_outbox: MakeOutbox) -> None:
    ob = make_outbox()
    a = ob.enqueue("POST", "/v1/x", _body(1, pad="x" * 5000), service="s", summary="挂失 卡号 1*****789")
    ob._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    blob = ob._conn.execute("SELECT body FROM items WHERE id=?", (a.id,)).fetchone()[0]
    assert blob[100:164] in ob.path.read_bytes()
    [item] = ob.claim_due(10)
    ob.mark_acked([(item.id, 200)])
    ob._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert blob[100:164] not in ob.path.read_bytes()  # secure_delete overwrote it
    [entry] = ob.ledger()
    assert (entry.idempotency_key, entry.status, entry.summary) == (a.idempotency_key, 200, "挂失 卡号 1*****789")
    assert ob.get(a.id).state == State.ACKED and ob.get(a.id).body_bytes == 0
    assert ob.status().depth == 0 and ob.status().bytes == 0


def test_priority_then_fifo(make_outbox: MakeOutbox) -> None:
    ob = make_outbox()
    ids = {}
    for name, prio in [("contact", 5), ("pin", 3), ("loss1", 0), ("event", 9), ("loss2", 0)]:
        ids[name] = ob.enqueue("POST", f"/v1/{name}", _body(), service=name, priority=prio).id
    order = [it.service for it in ob.claim_due(10)]
    assert order == ["loss1", "loss2", "pin", "contact", "event"]


def test_same_ordering_key_strictly_in_order_others_not_blocked(make_outbox: MakeOutbox) -> None:
    ob = make_outbox()
    a1 = ob.enqueue("POST", "/v1/a1", _body(), service="s", ordering_key="A", priority=5)
    a2 = ob.enqueue("POST", "/v1/a2", _body(), service="s", ordering_key="A", priority=0)
    b1 = ob.enqueue("POST", "/v1/b1", _body(), service="s", ordering_key="B")
    n1 = ob.enqueue("POST", "/v1/n1", _body(), service="s")
    first = ob.claim_due(10)
    # a2 has the higher priority but must wait for a1 (same citizen); B and unkeyed go ahead.
    assert {i.id for i in first} == {a1.id, b1.id, n1.id}
    assert ob.claim_due(10) == []  # a2 still held back while a1 is in flight
    ob.mark_retry([(a1.id, 0.0, "HTTP 503")])
    ob.mark_acked([(b1.id, 200), (n1.id, 200)])
    assert [i.id for i in ob.claim_due(10)] == [a1.id]  # a1 retried before a2, even backing off
    ob.mark_acked([(a1.id, 200)])
    assert [i.id for i in ob.claim_due(10)] == [a2.id]


def test_backing_off_head_holds_its_key(make_outbox: MakeOutbox) -> None:
    clock = [1000.0]
    ob = make_outbox(clock=lambda: clock[0])
    a1 = ob.enqueue("POST", "/v1/a1", _body(), service="s", ordering_key="A")
    ob.enqueue("POST", "/v1/a2", _body(), service="s", ordering_key="A")
    ob.claim_due(10)
    ob.mark_retry([(a1.id, 1060.0, "HTTP 503")])
    assert ob.claim_due(10) == []
    assert ob.next_due_at() == 1060.0
    clock[0] = 1061.0
    assert [i.id for i in ob.claim_due(10)] == [a1.id]


def test_dead_letter_releases_its_key_and_can_be_retried(make_outbox: MakeOutbox) -> None:
    ob = make_outbox()
    a1 = ob.enqueue("POST", "/v1/a1", _body(), service="s", ordering_key="A")
    a2 = ob.enqueue("POST", "/v1/a2", _body(), service="s", ordering_key="A")
    ob.claim_due(10)
    ob.mark_dead(a1.id, 422, f"HTTP 422 invalid: 身份证 {ID_NUMBER} 校验位错误")
    info = ob.get(a1.id)
    assert info.state == State.DEAD and ID_NUMBER not in (info.last_error or "")
    assert [i.id for i in ob.claim_due(10)] == [a2.id]
    dead = ob.export_dead()
    assert [d["id"] for d in dead] == [a1.id] and "body" not in dead[0]
    assert ob.retry_dead() == 1 and ob.get(a1.id).state == State.PENDING


def test_scrub_masks_long_digit_runs() -> None:
    assert ID_NUMBER not in scrub(f"x {ID_NUMBER} y") and "13812345678" not in scrub("tel 13812345678")
    assert scrub("HTTP 422 bad") == "HTTP 422 bad"


def test_bounds_items_and_bytes_refuse_without_dropping(make_outbox: MakeOutbox, events: list[QueueEvent]) -> None:
    ob = make_outbox(bounds=Bounds(max_items=5, max_bytes=10_000_000))
    keys = [ob.enqueue("POST", "/v1/x", _body(i), service="s").idempotency_key for i in range(5)]
    with pytest.raises(QueueFull) as err:
        ob.enqueue("POST", "/v1/x", _body(6), service="s")
    assert err.value.bound == "max_items" and "离线队列已满" in str(err.value)
    assert events[-1].code == "queue_full" and events[-1].severity == "critical"
    assert [i.idempotency_key for i in ob.list_items()] == keys
    # Delivered items free their place; dead letters keep theirs (they still hold a body).
    [first] = ob.claim_due(1)
    ob.mark_acked([(first.id, 200)])
    ob.enqueue("POST", "/v1/x", _body(7), service="s")
    with pytest.raises(QueueFull):
        ob.enqueue("POST", "/v1/x", _body(8), service="s")

    small = make_outbox("b.sqlite", bounds=Bounds(max_items=1000, max_bytes=20_000))
    small.enqueue("POST", "/v1/x", b"x" * 15_000, service="s")
    with pytest.raises(QueueFull) as err2:
        small.enqueue("POST", "/v1/x", b"x" * 6_000, service="s")
    assert err2.value.bound == "max_bytes"
    small.enqueue("POST", "/v1/x", b"x" * 1_000, service="s")  # still fits
    assert small.status().bytes == 15_028 + 1_028


def test_old_items_are_flagged_kept_and_released_by_a_technician(make_outbox: MakeOutbox) -> None:
    clock = [1000.0]
    ob = make_outbox(bounds=Bounds(max_age_s=3600), clock=lambda: clock[0])
    old = ob.enqueue("POST", "/v1/x", _body(), service="s")
    clock[0] += 3000
    young = ob.enqueue("POST", "/v1/x", _body(), service="s")
    clock[0] += 1000
    assert ob.flag_old() == [old.id]
    st = ob.status()
    assert (st.depth, st.flagged_old, st.oldest_age_s) == (2, 1, 4000.0)
    assert [i.id for i in ob.claim_due(10)] == [young.id]  # flagged items are not sent on their own
    ob.retry(old.id)
    assert ob.flag_old() == []  # reviewed: not flagged again
    assert [i.id for i in ob.claim_due(10)] == [old.id]


def test_an_urgent_item_is_never_held_for_age(make_outbox: MakeOutbox) -> None:
    # A loss report (URGENT_PRIORITY) is judged by the central as of when it was made, so lateness does
    # not make it stale: before, one older than the maximum age was flagged and waited for a technician.
    clock = [1000.0]
    ob = make_outbox(bounds=Bounds(max_age_s=3600), clock=lambda: clock[0])
    contact = ob.enqueue("POST", "/v1/c", _body(1), service="contact_change", priority=30, ordering_key="p1")
    loss = ob.enqueue("POST", "/v1/l", _body(2), service="loss_report", priority=URGENT_PRIORITY,
                      ordering_key="p2")
    after = ob.enqueue("POST", "/v1/a", _body(3), service="apply", priority=40, ordering_key="p2")
    clock[0] += 4000
    assert ob.flag_old() == [contact.id, after.id]  # the urgent one is not flagged
    assert [i.id for i in ob.claim_due(10)] == [loss.id]
    assert ob.get(loss.id).state == State.IN_FLIGHT


def test_the_loss_report_alone_is_urgent() -> None:
    from kiosk.domain.services import SERVICES, ServiceId

    urgent = [s for s, svc in SERVICES.items() if svc.queue_priority <= URGENT_PRIORITY]
    assert urgent == [ServiceId.LOSS_REPORT]


def test_requeue_of_a_known_key_returns_the_same_item(make_outbox: MakeOutbox) -> None:
    ob = make_outbox()
    a = ob.enqueue("POST", "/v1/x", _body(), service="s", idempotency_key="3f1c4b8e-0000-4000-8000-000000000001")
    b = ob.enqueue("POST", "/v1/x", _body(), service="s", idempotency_key="3f1c4b8e-0000-4000-8000-000000000001")
    assert a == b and ob.status().depth == 1


def test_in_flight_items_recovered_after_a_crash(make_outbox: MakeOutbox, cipher: BodyCipher) -> None:
    ob = make_outbox()
    a = ob.enqueue("POST", "/v1/x", _body(), service="s")
    ob.claim_due(1)
    ob.close()
    again = make_outbox()
    assert again.get(a.id).state == State.IN_FLIGHT and again.get(a.id).attempts == 1
    assert again.recover_in_flight() == 1
    [item] = again.claim_due(1)
    assert item.id == a.id and item.attempts == 2 and json.loads(item.body) == {"n": 0}


def test_wrong_key_sets_items_aside_without_raising(make_outbox: MakeOutbox, events: list[QueueEvent]) -> None:
    ob = make_outbox()
    a = ob.enqueue("POST", "/v1/x", _body(1), service="s")
    ob.close()
    wrong = make_outbox(cipher=BodyCipher(os.urandom(32)))
    b = wrong.enqueue("POST", "/v1/x", _body(2), service="s")
    assert [i.id for i in wrong.claim_due(10)] == [b.id]
    info = wrong.get(a.id)
    assert info.state == State.SET_ASIDE and "another key" in (info.last_error or "")
    assert [e.code for e in events if e.item_id == a.id] == ["set_aside"]
    assert wrong.status().set_aside == 1


def test_tampered_row_is_a_dead_letter(make_outbox: MakeOutbox, events: list[QueueEvent]) -> None:
    ob = make_outbox()
    a = ob.enqueue("POST", "/v1/x", _body(1), service="s")
    b = ob.enqueue("POST", "/v1/x", _body(2), service="s")
    c = ob.enqueue("POST", "/v1/x", _body(3), service="s")
    raw = sqlite3.connect(ob.path, isolation_level=None)
    blob = bytearray(raw.execute("SELECT body FROM items WHERE id=?", (a.id,)).fetchone()[0])
    blob[20] ^= 0x01
    raw.execute("UPDATE items SET body=? WHERE id=?", (bytes(blob), a.id))
    # Swap: c gets b's (valid) ciphertext; the associated data (row id + key) must catch it.
    raw.execute("UPDATE items SET body=(SELECT body FROM items WHERE id=?) WHERE id=?", (b.id, c.id))
    raw.close()
    assert [i.id for i in ob.claim_due(10)] == [b.id]
    for bad in (a.id, c.id):
        assert ob.get(bad).state == State.DEAD and "tampered" in (ob.get(bad).last_error or "")
    assert sorted(e.item_id or 0 for e in events if e.code == "dead_letter") == [a.id, c.id]
    ob.retry(a.id)  # a technician can put it back; it is a dead letter again, nothing crashes
    assert ob.claim_due(10) == [] and ob.get(a.id).state == State.DEAD


def test_list_and_show_never_carry_bodies(make_outbox: MakeOutbox) -> None:
    ob = make_outbox()
    a = ob.enqueue("POST", "/v1/x", _body(id_number=ID_NUMBER), service="s", ordering_key=ID_NUMBER)
    text = json.dumps([i.to_json() for i in ob.list_items()] + [ob.get(a.id).to_json()], ensure_ascii=False)
    assert ID_NUMBER not in text and "body" not in json.loads(text)[0]


def test_counters_follow_changes_made_by_another_process(make_outbox: MakeOutbox) -> None:
    ob = make_outbox(bounds=Bounds(max_items=2))
    ob.enqueue("POST", "/v1/x", _body(), service="s")
    cli = make_outbox()  # e.g. `kiosk queue retry` — any other connection
    [item] = cli.claim_due(1)
    cli.mark_acked([(item.id, 200)])
    ob.enqueue("POST", "/v1/x", _body(), service="s")
    ob.enqueue("POST", "/v1/x", _body(), service="s")  # the ack made room
    with pytest.raises(QueueFull):
        ob.enqueue("POST", "/v1/x", _body(), service="s")
