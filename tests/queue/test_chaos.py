"""Chaos: 30% 5xx, 10% timeouts, resets and answers lost after the commit. Nothing lost, nothing doubled."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable

import pytest

from offline_queue import Forwarder, ForwarderConfig, Outbox, QueueEvent, State
from offline_queue.http_transport import HttpTransport
from tests.queue.conftest import Central
from tests.queue.recording import Recording

MakeOutbox = Callable[..., Outbox]
# `make stress` drains 2,000 items; the suite drains 600 to stay within its time budget.
CHAOS_ITEMS = int(os.environ.get("QUEUE_CHAOS_ITEMS", "600"))
FAULTS = {
    "path": "*",
    "error_rate": 0.3,
    "error_status": 503,
    "timeout_rate": 0.1,
    "timeout_s": 0.4,
    "reset_rate": 0.05,
    "lost_after_commit_rate": 0.05,
}


def _drain(
    ob: Outbox,
    central: Central,
    cfg: ForwarderConfig,
    events: list[QueueEvent],
    budget_s: float,
    read_timeout_s: float = 0.2,
) -> Recording:
    rec = Recording(HttpTransport(central.url, connect_timeout_s=0.5, read_timeout_s=read_timeout_s))
    fwd = Forwarder(ob, rec, config=cfg, on_event=events.append)
    fwd.start()
    try:
        assert fwd.flush(budget_s), f"not drained in {budget_s}s: {ob.status()} {rec.outcomes}"
    finally:
        fwd.stop()
    return rec


def _check_exactly_once(ob: Outbox, central: Central, keys: list[str]) -> int:
    effects, replays = central.effects()
    assert len(keys) == len(set(keys))
    missing = [k for k in keys if effects.get(k, 0) == 0]
    doubled = {k: n for k, n in effects.items() if n != 1}
    strangers = set(effects) - set(keys)
    assert (missing, doubled, strangers) == ([], {}, set())
    st = ob.status()
    assert (st.depth, st.dead_letters, st.set_aside, st.bytes) == (0, 0, 0, 0)
    assert all(ob.find(k).state == State.ACKED for k in keys[:: max(1, len(keys) // 50)])  # type: ignore[union-attr]
    return replays


@pytest.mark.slow
def test_chaos_many_items_batched(make_outbox: MakeOutbox, central: Central, events: list[QueueEvent]) -> None:
    ob = make_outbox()
    keys = [
        ob.enqueue(
            "POST",
            "/v1/_test/echo",
            json.dumps({"n": i, "pad": "x" * 200}).encode(),
            service="test",
            ordering_key=f"citizen-{i % (CHAOS_ITEMS // 7)}",
            priority=i % 4,
        ).idempotency_key
        for i in range(CHAOS_ITEMS)
    ]
    central.faults(**FAULTS)
    cfg = ForwarderConfig(batch_threshold=20, batch_size=40, backoff_base_s=0.005, backoff_cap_s=0.05, idle_poll_s=0.05)
    t0 = time.monotonic()
    rec = _drain(ob, central, cfg, events, 150)
    replays = _check_exactly_once(ob, central, keys)
    # Every fault kind really happened, and answers lost after the commit came back as replays.
    assert rec.outcomes["503"] > 0 and rec.outcomes["timeout"] > 0 and rec.outcomes["connection"] > 0
    assert replays > 0
    print(f"chaos batched: {time.monotonic() - t0:.1f}s {dict(rec.outcomes)} replays={replays}")


@pytest.mark.slow
def test_chaos_single_requests(make_outbox: MakeOutbox, central: Central, events: list[QueueEvent]) -> None:
    ob = make_outbox()
    keys = [
        ob.enqueue(
            "POST", "/v1/_test/echo", json.dumps({"n": i}).encode(), service="test", ordering_key=f"citizen-{i % 40}"
        ).idempotency_key
        for i in range(120)
    ]
    central.faults(**FAULTS)
    cfg = ForwarderConfig(use_batch=False, backoff_base_s=0.005, backoff_cap_s=0.05, idle_poll_s=0.05)
    rec = _drain(ob, central, cfg, events, 120, read_timeout_s=0.15)
    replays = _check_exactly_once(ob, central, keys)
    assert rec.outcomes["503"] > 0 and rec.outcomes["timeout"] > 0 and rec.outcomes["connection"] > 0
    assert replays > 0
