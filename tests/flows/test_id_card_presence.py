"""Issue 17 §2 (trust boundary item 13): an ID card is read only if placed after the session
started, and every session end that read a citizen's card asks to take it back, raising an alarm
when it is left behind."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from central_sim.server import ServerHandle
from hal.sim.card_reader import SimCardReader
from hal.sim.id_reader import SimIdCardReader
from kiosk.alarms import KioskEvent
from kiosk.clock import FixedDateClock
from kiosk.domain.services import ServiceId
from kiosk.flows.base import End
from kiosk.runtime import Runtime
from tests.flows.conftest import TODAY, Driver, assert_ended, chip, flow_config, id_card, person


class SkippingClock(FixedDateClock):
    """Real monotonic time plus whatever the test skipped: a timeout passes without sleeping."""

    def __init__(self) -> None:
        super().__init__(TODAY)
        self._skipped = 0.0
        self._lock = threading.Lock()

    def skip(self, seconds: float) -> None:
        with self._lock:
            self._skipped += seconds

    def monotonic(self) -> float:
        with self._lock:
            return time.monotonic() + self._skipped


TAKE_S = 600.0  # the take-card timeout; only a clock skip can reach it within the test


@pytest.fixture
def clock() -> SkippingClock:
    return SkippingClock()


@pytest.fixture
def rt(tmp_path: Path, central: ServerHandle, clock: SkippingClock) -> Iterator[Runtime]:
    cfg = flow_config(tmp_path, central.url)
    cfg = dataclasses.replace(cfg, timeouts=dataclasses.replace(cfg.timeouts, card_take_s=TAKE_S))
    runtime = Runtime(cfg, clock=clock)
    runtime.start()
    yield runtime
    for reader in (runtime.devices.id_reader, runtime.devices.card_reader):
        if isinstance(reader, SimIdCardReader | SimCardReader):
            reader.remove()  # a flow still asking to take a card ends at once
    runtime.stop()


def alarms(rt: Runtime, code: str) -> list[KioskEvent]:
    return [e for e in rt.events.recent if e.type == "device_alarm" and e.code == code]


def test_an_id_card_already_on_the_reader_is_read_only_after_lift_and_place(rt: Runtime) -> None:
    card = id_card(person("replacement_in_progress"))
    reader = rt.devices.id_reader
    assert isinstance(reader, SimIdCardReader)
    reader.place(card)  # left by the previous citizen, or placed before choosing a service
    d = Driver(rt, ServiceId.PROGRESS_QUERY)
    lift = d.wait("lift_id")
    assert lift.message == "prompt.lift_id_card" and lift.end is None
    time.sleep(0.5)  # the flow keeps asking, and never reads the card lying there
    assert d.id_reader.status().counters.get("reads", 0) == 0
    assert "applications" not in d.screens
    d.id_reader.remove()
    d.wait("read_id")
    d.id_reader.place(card)
    apps = d.wait("applications")
    assert apps.params["count"] == "1"
    assert d.id_reader.status().counters.get("reads", 0) >= 1


def test_id_card_left_after_the_session_is_asked_back_then_alarmed(rt: Runtime, clock: SkippingClock) -> None:
    d = Driver(rt, ServiceId.PROGRESS_QUERY)
    d.wait("read_id")
    d.id_reader.place(id_card(person("replacement_in_progress")))
    d.wait("applications")
    d.send("home")
    d.wait("done")
    take = d.wait("take_id_card")
    assert take.message == "prompt.take_id_card" and take.timeout_s == TAKE_S and take.end is End.DONE
    time.sleep(0.3)
    assert rt.in_transaction and not alarms(rt, "id_card_left_behind")  # still asking, no alarm yet
    clock.skip(TAKE_S)
    result = rt.wait_idle(5)
    assert result is not None and result.end is End.DONE
    [alarm] = alarms(rt, "id_card_left_behind")
    assert alarm.device == "id_reader" and alarm.severity == "warning"


def test_id_card_taken_at_the_end_raises_no_alarm(rt: Runtime) -> None:
    d = Driver(rt, ServiceId.PROGRESS_QUERY)
    d.wait("read_id")
    d.id_reader.place(id_card(person("replacement_in_progress")))
    d.wait("applications")
    d.send("home")
    d.wait("done")
    d.wait("take_id_card")
    d.id_reader.remove()
    result = rt.wait_idle(5)
    assert result is not None and result.end is End.DONE
    assert not alarms(rt, "id_card_left_behind")


def test_sscard_left_in_the_reader_is_asked_back_then_alarmed(rt: Runtime, clock: SkippingClock) -> None:
    p = person("recent_card_quality")
    d = Driver(rt, ServiceId.ACTIVATE)
    d.wait("read_id")
    d.id_reader.place(id_card(p))
    d.wait("insert_card")
    d.card_reader.insert(chip(p))
    d.answer("confirm", "cancel")
    end = d.wait("end")
    assert end.end is End.CANCELLED
    d.send("home")
    d.wait("take_id_card")
    d.id_reader.remove()  # the ID card is taken, the social security card is forgotten
    take = d.wait("take_sscard")
    assert take.message == "prompt.take_sscard"
    time.sleep(0.3)
    assert rt.in_transaction and not alarms(rt, "sscard_left_behind")
    clock.skip(TAKE_S)
    result = rt.wait_idle(5)
    assert result is not None
    assert_ended(end, result, End.CANCELLED)
    [alarm] = alarms(rt, "sscard_left_behind")
    assert alarm.device == "card_reader" and alarm.severity == "warning"
    assert not alarms(rt, "id_card_left_behind")
