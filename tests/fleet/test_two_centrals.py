"""Two central instances on one PostgreSQL database (a central that scales past one machine): the same
idempotency key sent to both at once takes effect once; a command queued on one instance reaches the kiosk
through the other, once; heartbeats spread over both keep the newest state; the console on either instance
shows the same fleet."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from central_sim.server import ServerHandle, run_in_thread
from tests.fleet.conftest import login, write_console_config
from tests.fleet.fixtures import heartbeat_state


@pytest.fixture
def pair(pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[ServerHandle, ServerHandle]]:
    monkeypatch.setenv("CENTRAL_SIM_CONSOLE_CONFIG", str(write_console_config(tmp_path / "console")))
    a = run_in_thread(pg_url)
    b = run_in_thread(pg_url)
    yield a, b
    a.stop()
    b.stop()


def _beat(central: ServerHandle, kiosk: str, seq: int, **state: object) -> list[dict[str, object]]:
    body = {**heartbeat_state(**state), "kiosk_id": kiosk, "seq": seq}  # type: ignore[arg-type]
    r = httpx.post(f"{central.url}/v1/kiosks/{kiosk}/heartbeat", json=body, headers={"X-Kiosk-Id": kiosk},
                   timeout=10)
    r.raise_for_status()
    return list(r.json()["commands"])


def test_one_key_sent_to_both_instances_at_once_takes_effect_once(pair: tuple[ServerHandle, ServerHandle]) -> None:
    a, b = pair
    keys = [str(uuid.uuid4()) for _ in range(20)]
    answers: list[tuple[int, bool]] = []
    lock = threading.Lock()

    def send(central: ServerHandle, key: str, start: threading.Barrier) -> None:
        start.wait()
        r = httpx.post(f"{central.url}/v1/_test/echo", json={"n": key}, headers={"Idempotency-Key": key},
                       timeout=20)
        with lock:
            answers.append((r.status_code, r.headers.get("idempotent-replayed") == "true"))

    for key in keys:
        start = threading.Barrier(4)
        threads = [threading.Thread(target=send, args=(c, key, start)) for c in (a, b, a, b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    assert len(answers) == 80 and all(status == 200 for status, _ in answers)
    assert sum(1 for _, replayed in answers if not replayed) == 20  # one execution per key, three replays
    with a.central.db.read() as tx:
        effects = {r["key"]: int(r["n"]) for r in tx.all("SELECT key, n FROM test_effects")}
    assert effects == dict.fromkeys(keys, 1)


def test_a_command_queued_on_one_instance_reaches_the_kiosk_through_the_other(
        pair: tuple[ServerHandle, ServerHandle]) -> None:
    a, b = pair
    assert _beat(b, "FZ-GL-0001", 1) == []
    r = httpx.post(f"{a.url}/_admin/kiosks/FZ-GL-0001/commands", json={"type": "flush_queue"}, timeout=10)
    assert r.status_code == 201
    command_id = r.json()["id"]
    delivered: list[dict[str, object]] = []
    for seq in range(2, 30):  # this kiosk's balancer keeps it on instance b (heartbeats every 0.1 s here)
        delivered += _beat(b, "FZ-GL-0001", seq)
        if delivered:
            break
        time.sleep(0.1)
    assert [c["id"] for c in delivered] == [command_id]
    assert _beat(a, "FZ-GL-0001", 10) == [] and _beat(b, "FZ-GL-0001", 11) == []  # delivered once only


def test_a_console_action_on_one_instance_reaches_the_kiosk_through_the_other(
        pair: tuple[ServerHandle, ServerHandle]) -> None:
    a, b = pair
    _beat(a, "FZ-GL-0002", 1)
    a.central.heartbeats.flush()  # (a heartbeat is buffered up to a second before other instances see it)
    operator = login(b, "otto")
    token = operator.get("/console/api/session").json()["csrf"]
    r = operator.post("/console/api/kiosks/FZ-GL-0002/actions", headers={"X-CSRF-Token": token},
                      json={"action": "out_of_service", "reason": "two instances", "confirm": True})
    assert r.status_code == 201
    commands: list[dict[str, object]] = []
    for seq in range(2, 30):
        commands += _beat(a, "FZ-GL-0002", seq)
        if commands:
            break
        time.sleep(0.1)
    assert [c["type"] for c in commands] == ["set_mode"]
    operator.close()


def test_heartbeats_spread_over_both_keep_the_newest_state(pair: tuple[ServerHandle, ServerHandle]) -> None:
    a, b = pair
    # seq 1..40 alternate between the instances; odd ones say maintenance, the last (40) says in service
    for seq in range(1, 41):
        _beat(a if seq % 2 else b, "FZ-TJ-0001", seq, mode="maintenance" if seq % 2 else "in_service",
              depth=seq)
    _beat(a, "FZ-TJ-0001", 7, mode="out_of_service")  # a late, stale one
    a.central.heartbeats.flush()  # the two flush in either order
    b.central.heartbeats.flush()
    a.central.heartbeats.flush()
    with a.central.db.read() as tx:
        row = tx.one("SELECT last_seq, state FROM kiosks WHERE kiosk_id = 'FZ-TJ-0001'")
    assert row is not None and row["last_seq"] == 40 and '"in_service"' in row["state"]
    for central in (a, b):
        viewer = login(central, "vera")
        detail = viewer.get("/console/api/kiosks/FZ-TJ-0001").json()
        assert (detail["mode"], detail["queue"]["depth"]) == ("in_service", 40)
        viewer.close()
