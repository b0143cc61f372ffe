"""信息变更 with SMS verification of the new mobile (art. 16 "健全电话号码"; issue 21 §2), end to end with
the real reference central: the code from the citizen's phone confirms the number; a wrong code says
how many tries are left; 重新发送 waits 60 s; 5 wrong tries void the code; the hourly limit ends the
step; offline the change is queued unverified (the policy allows it for this service) and the
receipt says so; the code never reaches a log line or a view."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from central_sim.clock import CST
from central_sim.server import ServerHandle, run_in_thread
from kiosk.clock import FixedDateClock
from kiosk.domain.services import SERVICES, ServiceId
from kiosk.flows.base import End, LinkLost
from kiosk.flows.otp import UNVERIFIED, unverified_allowed
from kiosk.runtime import Runtime
from tests.flows.conftest import (
    TODAY,
    Driver,
    assert_ended,
    central_count,
    central_one,
    flow_config,
    go_offline,
    id_card,
    person,
)
from tests.flows.faces import holder_before_camera
from tests.flows.payment_helpers import sms_code

MOBILE = "13912345678"


class SkewCentralClock:
    """The central's clock: real time, moved forward by the test."""

    def __init__(self) -> None:
        self.offset = dt.timedelta()

    def __call__(self) -> dt.datetime:
        return dt.datetime.now(CST) + self.offset


class SkewKioskClock(FixedDateClock):
    """The kiosk's clock: monotonic time moved forward by the test (the resend countdown)."""

    def __init__(self) -> None:
        super().__init__(TODAY)
        self.offset = 0.0

    def monotonic(self) -> float:
        return super().monotonic() + self.offset


@dataclasses.dataclass
class Clocks:
    central: SkewCentralClock
    kiosk: SkewKioskClock

    def skip(self, seconds: float) -> None:
        self.central.offset += dt.timedelta(seconds=seconds)
        self.kiosk.offset += seconds


@pytest.fixture
def clocks() -> Clocks:
    return Clocks(SkewCentralClock(), SkewKioskClock())


@pytest.fixture
def central(tmp_path: Path, clocks: Clocks) -> Iterator[ServerHandle]:
    handle = run_in_thread(str(tmp_path / "central.sqlite"), port=0, clock=clocks.central)
    yield handle
    handle.stop()


@pytest.fixture
def runtime(tmp_path: Path, central: ServerHandle, clocks: Clocks) -> Iterator[Runtime]:
    rt = Runtime(flow_config(tmp_path, central.url), clock=clocks.kiosk)
    holder_before_camera(rt)  # 人证核验: the ID card's holder stands before the camera
    rt.start()
    yield rt
    rt.stop()


def new_mobile(runtime: Runtime, mobile: str = MOBILE) -> Driver:
    d = Driver(runtime, ServiceId.CONTACT_CHANGE)
    d.wait("read_id")
    d.id_reader.place(id_card(person("adult_active_card")))
    d.wait("contact_form")
    d.send("set_mobile", mobile)
    d.wait("contact_form")
    d.send("confirm")
    return d


def mobile_verified(central: ServerHandle) -> object:
    return central_one(central, "SELECT verified FROM mobile_status WHERE mobile = ?", MOBILE)


def test_the_code_confirms_the_new_mobile_and_never_leaks(runtime: Runtime, central: ServerHandle,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    d = new_mobile(runtime)
    otp = d.wait("otp")
    assert otp.params["mobile"] == "139****5678" and otp.params["resend_in"] == "60"
    assert (otp.params["valid_min"], otp.params["code_length"]) == ("5", "6")
    code = sms_code(central, MOBILE)
    d.send("submit_code", f"{(int(code) + 1) % 1_000_000:06d}")
    wrong = d.wait("otp", where=lambda v: bool(v.reasons))
    assert wrong.reasons == ("reason.otp_wrong",) and wrong.params["tries_left"] == "4"
    d.send("submit_code", "12a")
    assert d.wait("otp", where=lambda v: bool(v.reasons)).reasons == ("reason.otp_format",)
    d.send("submit_code", code)
    view, result = d.end()
    assert_ended(view, result, End.DONE)
    assert view.message == "prompt.contact_changed" and view.params["mobile_check"] == "verified"
    assert mobile_verified(central) == 1
    receipt = d.printer.printed[-1]
    text = "\n".join(line.text for line in receipt.lines)
    # only what the citizen changed: not the request's own fields (when it was made, the face check)
    assert view.params["fields"] == "mobile" and "变更内容 Changed: 手机 mobile\n" in text
    assert "已短信验证" in text and MOBILE not in text and "139****5678" in text
    seen = repr([(v.params, v.reasons, v.message) for v in d.seen])
    assert code not in seen and code not in caplog.text and MOBILE not in caplog.text


def test_resend_waits_sixty_seconds_and_voids_the_older_code(runtime: Runtime, central: ServerHandle,
                                                             clocks: Clocks) -> None:
    d = new_mobile(runtime)
    d.wait("otp")
    first = sms_code(central, MOBILE)
    d.send("resend")  # too soon: the button's countdown is not over
    assert d.wait("otp", where=lambda v: bool(v.reasons)).reasons == ("reason.sms_resend_too_soon",)
    assert central_count(central, "sms_sends") == 1
    clocks.skip(61)
    d.send("resend")
    again = d.wait("otp", where=lambda v: not v.reasons)
    assert again.params["resend_in"] == "60" and central_count(central, "sms_sends") == 2
    second = sms_code(central, MOBILE)
    assert second != first or central_count(central, "sms_codes", "status = 'void'") == 1
    d.send("submit_code", second)
    view, result = d.end()
    assert_ended(view, result, End.DONE)
    assert mobile_verified(central) == 1


def test_five_wrong_tries_void_the_code_then_a_new_one_works(runtime: Runtime, central: ServerHandle,
                                                            clocks: Clocks) -> None:
    d = new_mobile(runtime)
    d.wait("otp")
    code = sms_code(central, MOBILE)
    bad = f"{(int(code) + 7) % 1_000_000:06d}"
    for left in ("4", "3", "2", "1"):
        d.send("submit_code", bad)
        assert d.wait("otp", where=lambda v: bool(v.reasons)).params["tries_left"] == left
    d.send("submit_code", bad)
    assert d.wait("otp", where=lambda v: v.reasons == ("reason.otp_void",)).reasons
    d.send("submit_code", code)  # the right code, too late
    assert d.wait("otp", where=lambda v: bool(v.reasons)).reasons == ("reason.otp_void",)
    clocks.skip(61)
    d.send("resend")
    d.wait("otp", where=lambda v: not v.reasons)
    d.send("submit_code", sms_code(central, MOBILE))
    view, result = d.end()
    assert_ended(view, result, End.DONE)


def test_back_edits_the_number_and_the_hourly_limit_ends_the_step(runtime: Runtime, central: ServerHandle,
                                                                  clocks: Clocks) -> None:
    d = new_mobile(runtime)
    d.answer("otp", "back")
    d.wait("contact_form")  # correct the number
    d.send("cancel")
    d.end()
    for _ in range(4):  # 5 codes within the hour (one a minute)
        clocks.skip(61)
        d = new_mobile(runtime)
        d.answer("otp", "cancel")
        d.end()
    clocks.skip(61)
    d = new_mobile(runtime)
    view, result = d.end()
    assert_ended(view, result, End.REFUSED, "reason.sms_hourly_limit")
    assert central_count(central, "sms_sends") == 5


def test_offline_the_change_is_queued_unverified_and_the_receipt_says_so(runtime: Runtime,
                                                                         central: ServerHandle) -> None:
    go_offline(runtime, central)
    d = new_mobile(runtime)
    view, result = d.end()
    assert "otp" not in d.screens
    assert view.message == "prompt.contact_pending_unverified" and result.code == "pending"
    assert view.params["mobile_check"] == "unverified"
    text = "\n".join(line.text for line in d.printer.printed[-1].lines)
    assert "未经短信验证" in text and "NOT verified" in text
    central.faults.clear()
    runtime.link.report_success()
    assert runtime.forwarder.flush(timeout=10)
    assert mobile_verified(central) == 0


def test_only_the_policy_lets_a_mobile_go_unverified() -> None:
    assert SERVICES[ServiceId.CONTACT_CHANGE].unverified_mobile_offline
    assert unverified_allowed(ServiceId.CONTACT_CHANGE) is UNVERIFIED
    for service in ServiceId:
        if not SERVICES[service].unverified_mobile_offline:
            with pytest.raises(LinkLost):
                unverified_allowed(service)
