"""Flow tests: a real reference central over HTTP (fresh SQLite per test, so the seeded
citizens start from the same records), a kiosk Runtime on zero-latency simulators with short
timeouts, and a driver that answers a flow's views as the touchscreen would."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import os
import queue
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from central_sim import notices
from central_sim.clock import system_clock
from central_sim.server import ServerHandle, run_in_thread
from hal.sim.card_reader import SimCardReader, SimChip
from hal.sim.id_reader import SimIdCardReader
from hal.sim.issuer import SimCardIssuer
from hal.sim.pin_pad import SimPinPad
from hal.sim.receipt_printer import SimReceiptPrinter
from hal.types import IdCardData
from kiosk.clock import CHINA_TZ, FixedDateClock
from kiosk.config import Config, load_config, simulated
from kiosk.demo import chip_of, citizen, id_card_for
from kiosk.domain.services import ServiceId
from kiosk.flows.base import End, FlowChannel, FlowResult, UserInput, View
from kiosk.flows.check_answers import summary_rows
from kiosk.runtime import Runtime

TODAY = dt.datetime.now(CHINA_TZ).date()


def person(key: str) -> dict[str, Any]:
    return citizen(key, TODAY)


def id_card(p: dict[str, Any]) -> IdCardData:
    if p.get("id_valid_until") == "长期":
        p = {**p, "id_valid_until": None}
    return id_card_for(p)


def chip(p: dict[str, Any], index: int = 0, pin: str = "888888", tries_left: int = 6) -> SimChip:
    c = chip_of(p, index, pin)
    c.tries_left = tries_left
    return c


def flow_config(tmp_path: Path, central_url: str, **over: Any) -> Config:
    cfg = simulated(load_config(None))
    offline = over.pop("offline", {})
    return dataclasses.replace(
        cfg,
        kiosk=dataclasses.replace(cfg.kiosk, data_dir=str(tmp_path / "kiosk")),
        central=dataclasses.replace(cfg.central, url=central_url, read_timeout_s=2.0, connect_timeout_s=0.5,
                                    answer_wait_s=2.0),
        timeouts=dataclasses.replace(cfg.timeouts, idle_s=3.0, idle_warning_s=1.0, id_card_read_s=3.0,
                                     card_insert_s=3.0, pin_entry_s=3.0, card_take_s=2.0,
                                     liveness_s=15.0, **over),  # dlib's frames on a busy machine
        offline=dataclasses.replace(cfg.offline, **offline),
    )


@pytest.fixture
def central(tmp_path: Path) -> Iterator[ServerHandle]:
    handle = run_in_thread(str(tmp_path / "central.sqlite"), port=0)
    yield handle
    handle.stop()


def make_runtime(tmp_path: Path, central: ServerHandle, **over: Any) -> Runtime:
    rt = Runtime(flow_config(tmp_path, central.url, **over), clock=FixedDateClock(TODAY))
    rt.start()
    from tests.flows.faces import holder_before_camera

    holder_before_camera(rt)  # 人证核验: the ID card's holder stands before the camera
    return rt


@pytest.fixture
def runtime(tmp_path: Path, central: ServerHandle) -> Iterator[Runtime]:
    rt = make_runtime(tmp_path, central)
    yield rt
    rt.stop()


def texted(central: ServerHandle, key: str) -> list[str]:
    """The SMS notices the simulated carrier delivered to a seeded citizen's mobile, oldest first."""
    with central.central.db.read() as tx:
        return [str(n["body"]) for n in notices.notices_to(tx, person(key)["mobile"])]


def link_back_later(central: ServerHandle, hours: float = 1) -> None:
    """The central's clock moves on: what the kiosk queued is delivered long after the citizen left."""
    central.central.clock = lambda: system_clock() + dt.timedelta(hours=hours)


def central_one(central: ServerHandle, sql: str, *params: Any) -> Any:
    """The first column of the first row (None when no row) from the central's database."""
    with central.central.db.read() as tx:
        rows = tx.all(sql, params)
    return None if not rows else next(iter(dict(rows[0]).values()))


def central_count(central: ServerHandle, table: str, where: str = "1=1", *params: Any) -> int:
    return int(central_one(central, f"SELECT COUNT(*) AS n FROM {table} WHERE {where}", *params))


def go_offline(rt: Runtime, central: ServerHandle) -> None:
    """The link is down: every request to the central is reset, and the link monitor knows it."""
    from central_sim.faults import FaultRule

    central.faults.add(FaultRule.from_dict({"path": "*", "down_for_s": 3600}))
    time.sleep(0.1)  # let a request already in flight (heartbeat, probe) finish first
    for _ in range(rt.cfg.offline.link_down_after_failures):
        rt.link.report_failure()
    assert not rt.link.online


class Driver:
    """Runs one service and answers its views as the touchscreen would."""

    def __init__(self, rt: Runtime, service: ServiceId, face_consent: str | None = "agree") -> None:
        self.rt = rt
        self.face_consent = face_consent  # the citizen's answer to the face-capture consent; None: the test's
        self.views: queue.Queue[View] = queue.Queue()
        self._peeked: list[View] = []  # a view looked at (peek) but not yet consumed
        self.seen: list[View] = []
        self.taken_chip: SimChip | None = None  # the social security card the citizen took at the end
        self.channel: FlowChannel = rt.start_service(service, self._emit)

    def _emit(self, view: View) -> None:
        self.seen.append(view)
        self.views.put(view)
        if view.screen == "face_consent" and self.face_consent is not None:
            self.send(self.face_consent)

    @property
    def screens(self) -> list[str]:
        return list(dict.fromkeys(v.screen for v in self.seen))

    def _next(self, timeout: float) -> View:
        if self._peeked:
            return self._peeked.pop(0)
        return self.views.get(timeout=timeout)

    def peek(self, timeout: float = 10.0) -> View:
        """The next view, left for the next wait()."""
        if not self._peeked:
            try:
                self._peeked.append(self.views.get(timeout=timeout))
            except queue.Empty:
                raise AssertionError(f"no next view; seen {self.screens}") from None
        return self._peeked[0]

    def wait(self, screen: str, timeout: float = 10.0, where: Callable[[View], bool] | None = None) -> View:
        while True:
            try:
                view = self._next(timeout)
            except queue.Empty:
                raise AssertionError(f"no {screen!r} view; seen {self.screens}") from None
            if view.screen == screen and (where is None or where(view)):
                return view
            if view.end is not None and screen != view.screen:
                raise AssertionError(f"flow ended at {view.screen} ({view.end}, {view.reasons}, "
                                     f"{view.params}) waiting for {screen!r}; seen {self.screens}")

    def send(self, action: str, value: str = "") -> None:
        self.channel.send(UserInput(action, value))

    def answer(self, screen: str, action: str, value: str = "") -> View:
        view = self.wait(screen)
        self.send(action, value)
        return view

    def confirm_check(self, screen: str = "confirm", timeout: float = 20.0) -> View:
        """Check your answers (kiosk/flows/check_answers.py): the summary before a committing step;
        confirm it and return it."""
        view = self.wait(screen, timeout=timeout)
        assert summary_rows(view.params) and "confirm" in view.actions, view
        self.send("confirm")
        return view

    def end(self, timeout: float = 15.0) -> tuple[View, FlowResult]:
        """Wait for the end view, press home, return it and the result."""
        while True:
            try:
                view = self._next(timeout)
            except queue.Empty:
                raise AssertionError(f"no end view; seen {self.screens}") from None
            if view.end is not None:
                break
        self.send("home")
        self.take_cards()
        result = self.rt.wait_idle(timeout)
        assert result is not None
        return view, result

    def take_cards(self) -> None:
        """The citizen takes the ID card and social security card, as the session end asks."""
        if isinstance(self.rt.devices.id_reader, SimIdCardReader):
            self.rt.devices.id_reader.remove()
        if isinstance(self.rt.devices.card_reader, SimCardReader):
            self.taken_chip = self.rt.devices.card_reader.remove() or self.taken_chip

    # devices
    @property
    def id_reader(self) -> SimIdCardReader:
        dev = self.rt.devices.id_reader
        assert isinstance(dev, SimIdCardReader)
        return dev

    @property
    def card_reader(self) -> SimCardReader:
        dev = self.rt.devices.card_reader
        assert isinstance(dev, SimCardReader)
        return dev

    @property
    def issuer(self) -> SimCardIssuer:
        dev = self.rt.devices.issuer
        assert isinstance(dev, SimCardIssuer)
        return dev

    @property
    def pin_pad(self) -> SimPinPad:
        dev = self.rt.devices.pin_pad
        assert isinstance(dev, SimPinPad)
        return dev

    @property
    def printer(self) -> SimReceiptPrinter:
        dev = self.rt.devices.receipt_printer
        assert isinstance(dev, SimReceiptPrinter)
        return dev

    def prompt(self, screen: str) -> View:
        """The next fresh PIN prompt on ``screen`` (no digit typed yet)."""
        return self.wait(screen, where=lambda v: v.params.get("digits") == "0")

    def type_pin(self, screen: str, pin: str) -> View:
        view = self.prompt(screen)
        self.pin_pad.type_pin(pin)
        return view


def assert_ended(view: View, result: FlowResult, end: End, *reasons: str) -> None:
    assert result.end is end, (result, view.reasons)
    assert view.end is end
    for r in reasons:
        assert r in view.reasons, (r, view.reasons)


@pytest.fixture(scope="session")
def face_models() -> None:
    """Load the dlib models once, before a flow's short idle timeout starts counting."""
    from kiosk.photo.detector import get_models

    get_models()


# ---- the applicant's mobile, confirmed by SMS (issue 21 §2) ----------------------------------------------
_MOBILES = itertools.count(1)


TYPED_MOBILES: list[str] = []  # every number fresh_mobile gave out (tests/security searches for them)


def fresh_mobile() -> str:
    """A number no other application of this test run used: the central sends one number at most one code
    a minute (5 an hour, 10 a day), so drivers that apply many times give each application its own."""
    mobile = f"15{os.getpid() % 1_000_000:06d}{next(_MOBILES) % 1000:03d}"  # the process, then its count
    TYPED_MOBILES.append(mobile)
    return mobile


def sms_code_at(central_url: str, mobile: str) -> str:
    """The code the citizen's phone received (the reference central's loopback test hook)."""
    r = httpx.post(f"{central_url}/_admin/sms/inbox", json={"mobile": mobile}, timeout=5)
    assert r.status_code == 200, r.text
    return str(r.json()["code"])


def confirm_mobile(d: Driver, mobile: str) -> None:
    """After the details form's confirm: online the SMS code step comes first — read the phone, type the
    code. Offline (no code step) the next view is left for the caller."""
    if d.peek(timeout=15).screen == "otp":
        d.wait("otp")
        d.send("submit_code", sms_code_at(d.rt.cfg.central.url, mobile))


def listed(rt: Runtime, key: str) -> list[tuple[str, View]]:
    """Each entry of the citizen's progress list: its choice label and the timeline view it opens."""
    d = Driver(rt, ServiceId.PROGRESS_QUERY)
    d.wait("read_id")
    d.id_reader.place(id_card(person(key)))
    shown = []
    entries = d.wait("applications")
    for value, label in entries.choices:
        d.send("choose", value)
        shown.append((label, d.wait("timeline")))
        d.send("back")
        d.wait("applications")
    d.send("home")
    d.wait("done")
    d.send("home")
    assert rt.wait_idle(5) is not None
    d.id_reader.remove()
    return shown
