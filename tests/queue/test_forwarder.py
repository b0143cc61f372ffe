"""The forwarder against a real HTTP central on loopback."""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Callable

import httpx
import pytest

from offline_queue import Forwarder, ForwarderConfig, LinkMonitor, Outbox, QueueEvent, State
from offline_queue.http_transport import HttpTransport
from tests.queue.conftest import Central
from tests.queue.recording import Recording

MakeOutbox = Callable[..., Outbox]
ECHO = "/v1/_test/echo"
FAST = ForwarderConfig(batch_threshold=20, backoff_base_s=0.01, backoff_cap_s=0.1, idle_poll_s=0.2, auth_retry_s=None)
# A direct attempt as the forwarder's kiosk: idempotency keys are scoped per kiosk, bodies are JSON.
SAME_KIOSK = {"X-Kiosk-Id": "FZ-TEST-0001", "Content-Type": "application/json"}


def _fwd(
    ob: Outbox,
    url: str,
    events: list[QueueEvent],
    cfg: ForwarderConfig = FAST,
    link: LinkMonitor | None = None,
    connect_timeout_s: float = 3.0,
) -> tuple[Forwarder, Recording]:
    rec = Recording(
        HttpTransport(url, default_headers={"X-Kiosk-Id": "FZ-TEST-0001"}, connect_timeout_s=connect_timeout_s)
    )
    return Forwarder(ob, rec, link=link, config=cfg, on_event=events.append), rec


def _wait(cond: Callable[[], bool], timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end, "condition not met in time"
        time.sleep(0.01)


def test_delivers_acks_and_keeps_only_the_ledger(
    make_outbox: MakeOutbox, central: Central, events: list[QueueEvent]
) -> None:
    ob = make_outbox()
    keys = [
        ob.enqueue("POST", ECHO, json.dumps({"n": i}).encode(), service="test", summary=f"测试 {i}").idempotency_key
        for i in range(5)
    ]
    fwd, rec = _fwd(ob, central.url, events)
    fwd.start()
    assert fwd.flush(10)
    fwd.stop()
    effects, replays = central.effects()
    assert {k: effects.get(k) for k in keys} == {k: 1 for k in keys} and replays == 0
    assert rec.singles == 5 and rec.batches == []
    assert sorted(e.idempotency_key for e in ob.ledger()) == sorted(keys)
    assert ob._conn.execute("SELECT COUNT(*) FROM items WHERE body IS NOT NULL").fetchone()[0] == 0
    assert fwd.link.online and fwd.link.last_success_at is not None


def test_replay_counts_as_delivered(make_outbox: MakeOutbox, central: Central, events: list[QueueEvent]) -> None:
    ob = make_outbox()
    key = str(uuid.uuid4())
    body = b'{"n": 1}'
    # The kiosk's direct attempt reached the central but the answer was lost; it queues with the same key.
    httpx.post(central.url + ECHO, content=body, headers={"Idempotency-Key": key, **SAME_KIOSK}).raise_for_status()
    ob.enqueue("POST", ECHO, body, service="test", idempotency_key=key)
    fwd, _ = _fwd(ob, central.url, events)
    fwd.start()
    assert fwd.flush(10)
    fwd.stop()
    assert central.effects() == ({key: 1}, 1)
    assert ob.find(key) is not None and ob.find(key).state == State.ACKED  # type: ignore[union-attr]


def test_permanent_rejection_becomes_a_dead_letter_with_reason(
    make_outbox: MakeOutbox, central: Central, events: list[QueueEvent]
) -> None:
    ob = make_outbox()
    good = ob.enqueue("POST", ECHO, b'{"n": 1}', service="test")
    bad = ob.enqueue("POST", "/v1/no-such-endpoint", b'{"n": 2}', service="test")
    fwd, _ = _fwd(ob, central.url, events)
    fwd.start()
    assert fwd.flush(10)
    fwd.stop()
    info = ob.get(bad.id)
    assert info.state == State.DEAD and info.status == 404 and (info.last_error or "").startswith("HTTP 404")
    assert ob.get(good.id).state == State.ACKED
    assert [e.item_id for e in events if e.code == "dead_letter"] == [bad.id]
    assert ob.status().dead_letters == 1 and ob.status().depth == 0


def test_unprocessable_reason_recorded(make_outbox: MakeOutbox, central: Central, events: list[QueueEvent]) -> None:
    ob = make_outbox()
    key = str(uuid.uuid4())
    httpx.post(central.url + ECHO, content=b'{"n": 1}',
               headers={"Idempotency-Key": key, **SAME_KIOSK}).raise_for_status()
    # Same key, different body: the contract's 422 idempotency_key_reused — permanent.
    bad = ob.enqueue(
        "POST", ECHO, json.dumps({"id_number": "350102199003071234"}).encode(), service="test", idempotency_key=key
    )
    fwd, _ = _fwd(ob, central.url, events)
    fwd.start()
    assert fwd.flush(10)
    fwd.stop()
    info = ob.get(bad.id)
    assert info.state == State.DEAD and info.status == 422
    assert "idempotency_key_reused" in (info.last_error or "") and info.error_code == "idempotency_key_reused"
    assert "350102199003071234" not in (info.last_error or "")
    assert central.effects()[0] == {key: 1}


def test_refusal_code_and_every_reason_are_stored_as_data(
    make_outbox: MakeOutbox, central: Central, events: list[QueueEvent]
) -> None:
    ob = make_outbox()
    # A loss report with neither card nor ID number nor time: 400 listing each problem.
    bad = ob.enqueue("POST", "/v1/cards/loss-report", b'{"reported_at": "yesterday 350102199003071234"}',
                     service="loss_report")
    fwd, _ = _fwd(ob, central.url, events)
    seen = fwd.settled_count
    fwd.start()
    fwd.wait_settled(seen, 10)  # woken by the outcome, not by polling
    fwd.stop()
    info = ob.get(bad.id)
    assert info.state == State.DEAD and info.status == 400
    assert info.error_code == "invalid_request"
    codes = [c for c, _ in info.reasons]
    assert {"missing_card_no", "invalid_reported_at"} <= set(codes), info.reasons
    assert all(m for _, m in info.reasons)  # the central's messages travel with their codes
    assert "350102199003071234" not in json.dumps(info.to_json(), ensure_ascii=False)
    assert info.to_json()["reasons"][0].keys() == {"code", "message"}


def test_a_later_ack_clears_an_earlier_refusal(
    make_outbox: MakeOutbox, central: Central, events: list[QueueEvent]
) -> None:
    ob = make_outbox()
    item = ob.enqueue("POST", ECHO, b'{"n": 1}', service="test")
    ob.claim_due(1)
    ob.mark_dead(item.id, 409, "HTTP 409 x: y", error_code="x", reasons=(("y", "z"),))
    assert ob.get(item.id).reasons == (("y", "z"),)
    ob.retry(item.id)
    fwd, _ = _fwd(ob, central.url, events)
    fwd.start()
    assert fwd.flush(10)
    fwd.stop()
    info = ob.get(item.id)
    assert info.state == State.ACKED and info.error_code is None and info.reasons == ()


@pytest.mark.parametrize("status", [401, 403])
def test_auth_failure_pauses_alarms_and_keeps_the_queue(
    make_outbox: MakeOutbox, central: Central, events: list[QueueEvent], status: int
) -> None:
    ob = make_outbox()
    for i in range(3):
        ob.enqueue("POST", ECHO, json.dumps({"n": i}).encode(), service="test")
    central.faults(path="*", error_rate=1.0, error_status=status)
    fwd, rec = _fwd(ob, central.url, events)
    fwd.start()
    _wait(lambda: fwd.paused)
    time.sleep(0.3)
    assert rec.singles == 1  # stopped sending after the first refusal
    assert [e.code for e in events if e.severity == "critical"] == ["auth_failed"]
    assert ob.status().depth == 3 and ob.status().dead_letters == 0
    assert all(i.state == State.PENDING for i in ob.list_items())
    central.clear_faults()
    fwd.resume()
    assert fwd.flush(10)
    fwd.stop()
    assert len(central.effects()[0]) == 3 and not fwd.paused


def test_auth_pause_probes_again_after_the_interval(
    make_outbox: MakeOutbox, central: Central, events: list[QueueEvent]
) -> None:
    ob = make_outbox()
    ob.enqueue("POST", ECHO, b'{"n": 1}', service="test")
    central.faults(path="*", error_rate=1.0, error_status=401)
    cfg = ForwarderConfig(backoff_base_s=0.01, backoff_cap_s=0.05, idle_poll_s=0.1, auth_retry_s=0.3)
    fwd, _ = _fwd(ob, central.url, events, cfg)
    fwd.start()
    _wait(lambda: fwd.paused)
    central.clear_faults()  # e.g. the certificate was renewed
    _wait(lambda: ob.status().depth == 0, 5)
    fwd.stop()
    assert not fwd.paused and [e.code for e in events if e.code.startswith("sending")] == ["sending_resumed"]


def test_transient_errors_retry_with_backoff_honouring_retry_after(
    make_outbox: MakeOutbox, central: Central, events: list[QueueEvent]
) -> None:
    ob = make_outbox()
    a = ob.enqueue("POST", ECHO, b'{"n": 1}', service="test")
    central.faults(path="*", error_rate=1.0, error_status=503, retry_after="2")
    fwd, rec = _fwd(ob, central.url, events)
    t0 = time.time()
    fwd.start()
    _wait(lambda: rec.singles >= 1 and ob.get(a.id).state == State.PENDING)
    info = ob.get(a.id)
    assert info.next_attempt_at >= t0 + 1.9 and info.last_error == "HTTP 503" and info.attempts == 1
    time.sleep(0.5)
    assert rec.singles == 1  # backoff respected, the central is not hammered
    central.clear_faults()
    _wait(lambda: ob.get(a.id).state == State.ACKED, 5)
    fwd.stop()
    assert time.time() - t0 >= 1.9


@pytest.mark.parametrize("status", [408, 429, 500, 502])
def test_other_transient_statuses_retry(
    make_outbox: MakeOutbox, central: Central, events: list[QueueEvent], status: int
) -> None:
    ob = make_outbox()
    a = ob.enqueue("POST", ECHO, b'{"n": 1}', service="test")
    central.faults(path="*", error_rate=1.0, error_status=status)
    fwd, rec = _fwd(ob, central.url, events)
    fwd.start()
    _wait(lambda: rec.singles >= 3)
    assert ob.get(a.id).state in (State.PENDING, State.IN_FLIGHT) and ob.status().dead_letters == 0
    central.clear_faults()
    _wait(lambda: ob.get(a.id).state == State.ACKED)
    fwd.stop()
    assert central.effects()[0] == {a.idempotency_key: 1}


def _free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = int(s.getsockname()[1])
    s.close()
    return port


def test_link_goes_down_and_up_with_the_forwarder(
    make_outbox: MakeOutbox, tmp_path: object, events: list[QueueEvent]
) -> None:
    from tests.queue.conftest import central_runner

    ob = make_outbox()
    ob.enqueue("POST", ECHO, b'{"n": 1}', service="test")
    port = _free_port()
    link = LinkMonitor(down_after=3)
    states: list[bool] = []
    link.add_observer(lambda s: states.append(s.online))
    fwd, _ = _fwd(ob, f"http://127.0.0.1:{port}", events, link=link, connect_timeout_s=0.2)
    fwd.start()
    _wait(lambda: not link.online)
    assert link.consecutive_failures >= 3 and ob.status().depth == 1
    handle = central_runner()(str(ob.path.with_name("late-central.sqlite")), host="127.0.0.1", port=port)
    try:
        _wait(lambda: ob.status().depth == 0, 10)
    finally:
        fwd.stop()
        handle.stop()
    assert states == [False, True] and link.online


def test_batch_used_for_a_large_backlog_each_item_judged(
    make_outbox: MakeOutbox, central: Central, events: list[QueueEvent]
) -> None:
    ob = make_outbox()
    keys = []
    for i in range(250):
        path = "/v1/no-such-endpoint" if i % 50 == 7 else ECHO
        keys.append(ob.enqueue("POST", path, json.dumps({"n": i}).encode(), service="test").idempotency_key)
    fwd, rec = _fwd(ob, central.url, events)
    fwd.start()
    assert fwd.flush(20)
    fwd.stop()
    assert rec.batches[:2] == [100, 100] and max(rec.batches) <= 100
    assert ob.status().dead_letters == 5
    effects, _ = central.effects()
    assert len(effects) == 245 and set(effects.values()) == {1}


def test_batch_refused_falls_back_to_single_requests(
    make_outbox: MakeOutbox, central: Central, events: list[QueueEvent]
) -> None:
    ob = make_outbox()
    for i in range(30):
        ob.enqueue("POST", ECHO, json.dumps({"n": i}).encode(), service="test")
    central.faults(status_for_path={"/v1/batch": 404})
    fwd, rec = _fwd(ob, central.url, events)
    fwd.start()
    assert fwd.flush(20)
    fwd.stop()
    assert rec.batches == [30] and rec.singles == 30 and ob.status().dead_letters == 0
    assert "batch_refused" in [e.code for e in events]


def test_same_citizen_delivered_in_order_under_faults(
    make_outbox: MakeOutbox, central: Central, events: list[QueueEvent]
) -> None:
    ob = make_outbox()
    per_key: dict[str, list[str]] = {}
    for i in range(60):
        citizen = f"citizen-{i % 6}"
        k = ob.enqueue(
            "POST", ECHO, json.dumps({"n": i}).encode(), service="test", ordering_key=citizen, priority=i % 3
        ).idempotency_key
        per_key.setdefault(citizen, []).append(k)
    central.faults(path="*", error_rate=0.4, error_status=503)
    fwd, rec = _fwd(
        ob,
        central.url,
        events,
        ForwarderConfig(use_batch=False, backoff_base_s=0.005, backoff_cap_s=0.02, idle_poll_s=0.1),
    )
    fwd.start()
    assert fwd.flush(30)
    fwd.stop()
    position = {k: n for n, k in enumerate(rec.delivered)}
    for keys in per_key.values():
        assert [position[k] for k in keys] == sorted(position[k] for k in keys)


def test_enqueue_never_waits_for_the_network(
    make_outbox: MakeOutbox, central: Central, events: list[QueueEvent]
) -> None:
    ob = make_outbox()
    central.faults(path="*", latency_ms=800)
    fwd, rec = _fwd(ob, central.url, events)
    fwd.start()
    ob.enqueue("POST", ECHO, b'{"n": 0}', service="test")
    _wait(lambda: rec.singles == 1)  # a send is now hanging on the slow central
    t0 = time.perf_counter()
    for i in range(1, 6):
        ob.enqueue("POST", ECHO, json.dumps({"n": i}).encode(), service="test")
    assert time.perf_counter() - t0 < 0.4
    central.clear_faults()
    assert fwd.flush(10)
    fwd.stop()


def test_unreadable_item_never_stops_the_forwarder(
    make_outbox: MakeOutbox, central: Central, events: list[QueueEvent]
) -> None:
    ob = make_outbox()
    a = ob.enqueue("POST", ECHO, b'{"n": 1}', service="test")
    b = ob.enqueue("POST", ECHO, b'{"n": 2}', service="test")
    ob._conn.execute("UPDATE items SET body = zeroblob(40) WHERE id = ?", (a.id,))
    fwd, _ = _fwd(ob, central.url, events)
    fwd.start()
    assert fwd.flush(10)
    fwd.stop()
    assert ob.get(a.id).state == State.DEAD and ob.get(b.id).state == State.ACKED
    assert "forwarder_error" not in [e.code for e in events]


def test_plain_http_only_to_loopback() -> None:
    with pytest.raises(ValueError, match="loopback"):
        HttpTransport("http://central.example.org")
    HttpTransport("http://127.0.0.1:1").close()
    HttpTransport("http://[::1]:1").close()
    with pytest.raises(ValueError, match="CA bundle"):
        HttpTransport("https://central.example.org")  # no system trust store


def test_items_enqueued_by_another_process_are_picked_up(make_outbox: MakeOutbox, central: Central,
                                                        events: list[QueueEvent]) -> None:
    sender = make_outbox()  # e.g. kiosk-sync.service
    fwd, _ = _fwd(sender, central.url, events, ForwarderConfig(idle_poll_s=30, other_writers_poll_s=0.05))
    fwd.start()
    time.sleep(0.2)  # the forwarder is idle now, with 30 s to sleep
    ui = make_outbox()  # the kiosk UI process: another connection, no in-process wake-up
    a = ui.enqueue("POST", ECHO, b'{"n": 1}', service="test")
    _wait(lambda: ui.get(a.id).state == State.ACKED, 3)
    fwd.stop()


def test_link_back_sends_the_backlog_without_waiting_out_the_backoff(
    make_outbox: MakeOutbox, central: Central, events: list[QueueEvent]
) -> None:
    ob = make_outbox()
    slow = ForwarderConfig(batch_threshold=20, backoff_base_s=300, backoff_cap_s=300, idle_poll_s=30,
                           auth_retry_s=None)
    link = LinkMonitor(down_after=1)
    port = _free_port()  # nothing listens: the first attempt fails and backs off for minutes
    fwd, _ = _fwd(ob, f"http://127.0.0.1:{port}", events, cfg=slow, link=link, connect_timeout_s=0.2)
    fwd.start()
    ob.enqueue("POST", ECHO, b'{"n": 1}', service="test")
    _wait(lambda: not link.online and ob.list_items()[0].attempts >= 1)
    fwd.stop()
    fwd2, _ = _fwd(ob, central.url, events, cfg=slow, link=link)
    fwd2.start()
    try:
        time.sleep(0.5)
        assert ob.status().depth == 1  # still backing off: nothing was due
        link.report_success()  # e.g. the kiosk's health probe sees the central again
        _wait(lambda: ob.status().depth == 0, 5)
    finally:
        fwd2.stop()
