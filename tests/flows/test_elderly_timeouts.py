"""Elderly mode at the flow level (no UI): every idle wait lasts [voice] elderly_timeout_factor
times longer — the views say so (the screen's countdown reads them) and the waits expire later."""

from __future__ import annotations

import dataclasses
import queue
import time
from pathlib import Path
from typing import Any

import pytest

from central_sim.server import ServerHandle
from kiosk.clock import SystemClock
from kiosk.config import load_config
from kiosk.devices import DeviceSet
from kiosk.domain.services import ServiceId
from kiosk.flows.base import FlowChannel, FlowContext, IdleTimeout, UserInput, View, elderly_timeout_factor
from kiosk.runtime import Runtime
from kiosk.session import Session
from tests.flows.conftest import TODAY, flow_config, id_card, person

FACTOR = 3.0


def context(elderly: bool, idle_s: float = 0.3) -> tuple[FlowContext, list[View]]:
    shown: list[View] = []
    cfg = load_config(None)
    config = dataclasses.replace(cfg, timeouts=dataclasses.replace(cfg.timeouts, idle_s=idle_s, idle_warning_s=0.1),
                                 voice=dataclasses.replace(cfg.voice, elderly_timeout_factor=FACTOR))
    # Only the screen and the clock are used by these waits: no device, central or service is reached.
    ctx = FlowContext(channel=FlowChannel(shown.append), session=Session(), clock=SystemClock(),
                      devices=DeviceSet(), central=None, services=None, config=config,  # type: ignore[arg-type]
                      elderly=elderly)
    return ctx, shown


def view(**kw: Any) -> View:
    return View(service=ServiceId.LOSS_REPORT, screen="confirm", step=1, total=1, title="t", message="m",
                actions=("confirm",), **kw)


@pytest.mark.parametrize("elderly", [False, True])
def test_ask_expires_after_the_idle_timeout_times_the_factor_in_elderly_mode(elderly: bool) -> None:
    ctx, shown = context(elderly)
    started = time.monotonic()
    with pytest.raises(IdleTimeout):
        ctx.ask(view())
    took = time.monotonic() - started
    expected = 0.3 * (FACTOR if elderly else 1)
    assert shown[0].timeout_s == pytest.approx(expected)
    assert expected - 0.01 <= took < expected + 0.35


def test_ask_with_a_views_own_timeout_and_more_time_both_use_the_longer_time() -> None:
    ctx, shown = context(True)
    ctx.channel.send(UserInput("more_time"))
    started = time.monotonic()
    with pytest.raises(IdleTimeout):
        ctx.ask(view(timeout_s=0.2))
    assert [v.timeout_s for v in shown] == [pytest.approx(0.6)] * 2  # shown again after more time
    assert time.monotonic() - started >= 0.59


@pytest.mark.parametrize("elderly", [False, True])
def test_wait_for_a_citizen_action_is_stretched_too(elderly: bool) -> None:
    ctx, shown = context(elderly)
    slices: list[float] = []

    def attempt(t: float) -> None:  # the device never yields (nobody places the card)
        slices.append(t)
        time.sleep(min(t, 0.05))

    started = time.monotonic()
    with pytest.raises(IdleTimeout):
        ctx.wait_for(view(), attempt, 0.2)
    expected = 0.2 * (FACTOR if elderly else 1)
    assert shown[0].timeout_s == pytest.approx(expected)
    assert time.monotonic() - started >= expected - 0.01
    assert max(slices) <= 0.3  # each device call stays a short slice: the device's own timing is unchanged


def test_a_busy_view_has_no_idle_timeout_in_either_mode() -> None:
    ctx, shown = context(True)
    ctx.working(view())
    assert shown[-1].timeout_s is None and shown[-1].busy


def test_factor_comes_from_the_voice_section_and_never_shortens() -> None:
    cfg = load_config(None)
    assert elderly_timeout_factor(cfg) == 2.0  # a config file without [voice]: the default
    shorter = dataclasses.replace(cfg, voice=dataclasses.replace(cfg.voice, elderly_timeout_factor=0.5))
    assert elderly_timeout_factor(shorter) == 1.0


def test_runtime_start_service_puts_elderly_on_the_flow_and_its_views(tmp_path: Path,
                                                                      central: ServerHandle) -> None:
    from kiosk.clock import FixedDateClock

    cfg = flow_config(tmp_path, central.url)
    cfg = dataclasses.replace(cfg, voice=dataclasses.replace(cfg.voice, elderly_timeout_factor=FACTOR))
    rt = Runtime(cfg, clock=FixedDateClock(TODAY))
    rt.start()
    try:
        timeouts: dict[bool, dict[str, float | None]] = {}
        for elderly in (False, True):
            views: queue.Queue[View] = queue.Queue()
            channel = rt.start_service(ServiceId.LOSS_REPORT, views.put, elderly=elderly)
            seen: dict[str, float | None] = {}
            while "confirm_card" not in seen:
                v = views.get(timeout=10)
                if v.screen not in seen and v.screen == "read_id":
                    rt.devices.id_reader.place(id_card(person("adult_active_card")))  # type: ignore[union-attr]
                seen.setdefault(v.screen, v.timeout_s)
            channel.send(UserInput("cancel"))
            while (v := views.get(timeout=10)).end is None:
                pass
            channel.send(UserInput("home"))
            rt.wait_idle(10)
            rt.devices.id_reader.remove()  # type: ignore[union-attr]
            timeouts[elderly] = seen
        assert timeouts[False]["read_id"] == cfg.timeouts.id_card_read_s
        assert timeouts[True]["read_id"] == cfg.timeouts.id_card_read_s * FACTOR
        assert timeouts[False]["confirm_card"] == cfg.timeouts.idle_s
        assert timeouts[True]["confirm_card"] == cfg.timeouts.idle_s * FACTOR
    finally:
        rt.stop()
