"""Idempotency (stored with the effect, replayed, key reuse refused), /v1/batch and the fault-injection contract."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx
import pytest

from central_sim.server import ServerHandle
from kiosk.central.client import CentralClient
from kiosk.central.errors import CentralAuthError, CentralRejected, CentralUnavailable
from tests.central.pg_fixtures import BOTH_BACKENDS

ECHO = "/v1/_test/echo"


def _echo(h: ServerHandle, key: str, body: dict[str, Any], timeout: float = 5, kiosk: str = "K1") -> httpx.Response:
    return httpx.post(h.url + ECHO, json=body, headers={"Idempotency-Key": key, "X-Kiosk-Id": kiosk}, timeout=timeout)


def _effects(admin: httpx.Client) -> tuple[dict[str, int], int]:
    d = admin.get("/_admin/effects").json()
    return d["effects"], d["replays"]


@BOTH_BACKENDS
def test_replay_returns_the_stored_outcome_and_reuse_is_refused(central: ServerHandle, admin: httpx.Client) -> None:
    key = str(uuid.uuid4())
    first = _echo(central, key, {"n": 1})
    again = _echo(central, key, {"n": 1})
    assert first.status_code == again.status_code == 200
    assert "idempotent-replayed" not in first.headers and again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    reused = _echo(central, key, {"n": 2})
    assert reused.status_code == 422 and reused.json()["error"]["code"] == "idempotency_key_reused"
    assert _effects(admin) == ({key: 1}, 1)


@BOTH_BACKENDS
def test_refusals_are_stored_too_and_a_missing_key_is_a_bad_request(central: ServerHandle) -> None:
    key = str(uuid.uuid4())
    r1, r2 = _echo(central, key, {"reject": "x"}), _echo(central, key, {"reject": "x"})
    assert r1.status_code == r2.status_code == 422 and r2.headers["idempotent-replayed"] == "true"
    assert r1.json()["error"]["reasons"] == [{"code": "test_reason", "message": "测试"}]
    r = httpx.post(central.url + ECHO, json={"n": 1})
    assert r.status_code == 400 and r.json()["error"]["code"] == "missing_idempotency_key"


@BOTH_BACKENDS
def test_a_failing_handler_leaves_no_effect_and_no_outcome(central: ServerHandle, admin: httpx.Client) -> None:
    from central_sim import routes

    route = next(r for r in routes.ROUTES if r.name == ECHO)
    original = route.handler

    def crash_after_write(tx: Any, ctx: Any, body: Any) -> tuple[int, dict[str, Any]]:
        original(tx, ctx, body)  # the effect is written …
        raise RuntimeError("crash before the outcome is stored")  # … and must be rolled back with it

    object.__setattr__(route, "handler", crash_after_write)  # Route is frozen
    try:
        assert _echo(central, "k-crash", {"n": 1}).status_code == 500
    finally:
        object.__setattr__(route, "handler", original)
    assert _effects(admin) == ({}, 0)
    ok = _echo(central, "k-crash", {"n": 1})  # the retry applies it, once
    assert ok.status_code == 200 and "idempotent-replayed" not in ok.headers
    assert _effects(admin) == ({"k-crash": 1}, 0)


@BOTH_BACKENDS
def test_batch_judges_each_item_and_shares_keys_with_direct_requests(central: ServerHandle,
                                                                     admin: httpx.Client) -> None:
    direct = str(uuid.uuid4())
    assert _echo(central, direct, {"n": 0}).status_code == 200
    items = [{"idempotency_key": direct, "method": "POST", "path": ECHO, "body": {"n": 0}},
             {"idempotency_key": "b1", "method": "POST", "path": ECHO, "body": {"n": 1}},
             {"idempotency_key": "b2", "method": "POST", "path": ECHO, "body": {"reject": "no"}},
             {"idempotency_key": "b3", "method": "POST", "path": "/v1/nowhere", "body": {}}]
    with CentralClient(central.url, "K1") as c:
        reply = c.batch(items)
    got = {r.idempotency_key: (r.status, r.replayed) for r in reply.results}
    assert got == {direct: (200, True), "b1": (200, False), "b2": (422, False), "b3": (404, False)}
    assert _effects(admin)[0] == {direct: 1, "b1": 1}
    too_many = [{"idempotency_key": f"k{i}", "method": "POST", "path": ECHO, "body": {}} for i in range(101)]
    r = httpx.post(central.url + "/v1/batch", json={"items": too_many}, headers={"X-Kiosk-Id": "K1"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "batch_too_large"


def test_reset_and_lost_after_commit(central: ServerHandle, admin: httpx.Client) -> None:
    admin.post("/_admin/faults", json={"path": ECHO, "reset_rate": 1.0}).raise_for_status()
    with pytest.raises(httpx.TransportError):
        _echo(central, "r1", {"n": 1})
    assert _effects(admin)[0] == {}  # reset before handling: nothing applied
    admin.delete("/_admin/faults").raise_for_status()
    admin.post("/_admin/faults", json={"path": "*", "lost_after_commit_rate": 1.0}).raise_for_status()
    with pytest.raises(httpx.TransportError):
        _echo(central, "l1", {"n": 1})
    assert _effects(admin)[0] == {"l1": 1}  # committed although the answer was lost
    admin.delete("/_admin/faults").raise_for_status()
    again = _echo(central, "l1", {"n": 1})
    assert again.headers["idempotent-replayed"] == "true" and _effects(admin) == ({"l1": 1}, 1)


def test_errors_timeouts_latency_and_downtime(central: ServerHandle, admin: httpx.Client) -> None:
    admin.post("/_admin/faults", json={"path": "/v1/_test", "error_rate": 1.0, "error_status": 429,
                                       "retry_after": "7"}).raise_for_status()
    admin.post("/_admin/faults", json={"path": "/v1/health", "latency_ms": 300}).raise_for_status()
    assert len(admin.get("/_admin/faults").json()["rules"]) == 2  # several rules at once
    with CentralClient(central.url, "K1") as c:
        t = time.monotonic()
        c.health()
        assert time.monotonic() - t >= 0.3
        r = _echo(central, "e1", {})
        assert r.status_code == 429 and r.headers["retry-after"] == "7"
        admin.delete("/_admin/faults")
        admin.post("/_admin/faults", json={"path": "*", "timeout_rate": 1.0, "timeout_s": 0.5})
        with pytest.raises(httpx.ReadTimeout):
            _echo(central, "t1", {}, timeout=0.3)
        admin.delete("/_admin/faults")
        admin.post("/_admin/faults", json={"path": "*", "down_for_s": 0.5})
        with pytest.raises(CentralUnavailable) as err:
            c.health()
        assert err.value.code == "connection"
        time.sleep(0.6)
        assert c.health().status == "ok"  # the window is over
        admin.post("/_admin/faults", json={"path": "*", "error_rate": 1.0, "error_status": 403})
        with pytest.raises(CentralAuthError):
            c.health()
    bad = admin.post("/_admin/faults", json={"path": "*", "error_rate": 2})
    assert bad.status_code == 400
    assert _effects(admin)[0] == {"t1": 1}  # the timed-out request was still applied after the client gave up


def test_client_errors_are_typed(central: ServerHandle, client: CentralClient, admin: httpx.Client) -> None:
    with pytest.raises(CentralRejected) as err:
        client.lookup_person("350102199003070013", "林小明")  # wrong check digit
    assert err.value.status == 400 and err.value.reasons[0].code == "invalid_id_number"
    admin.post("/_admin/faults", json={"path": "/v1/persons", "error_rate": 1.0, "error_status": 503,
                                       "retry_after": "3"})
    with pytest.raises(CentralUnavailable) as unavailable:
        client.lookup_person("350102199003070012", "林小明")
    assert unavailable.value.retry_after_s == 3.0
    assert json.loads(json.dumps(admin.get("/_admin/faults").json()))["rules"][0]["path"] == "/v1/persons"
