"""申领/补换 with the applicant's mobile confirmed by SMS (art. 16 "健全电话号码"; issue 21 §2), end to end
with the real reference central: online the form's mobile is confirmed by the code the phone got before
the application goes in; offline (applications accepted for later) it goes in marked unverified, the
done screen and the receipt say so, and the central flags it for a later SMS confirmation."""

from __future__ import annotations

from pathlib import Path

from central_sim.server import ServerHandle
from kiosk.domain.services import ServiceId
from kiosk.flows.base import End
from kiosk.runtime import Runtime
from tests.flows.conftest import (
    Driver,
    assert_ended,
    central_count,
    central_one,
    go_offline,
    id_card,
    make_runtime,
    person,
)
from tests.flows.payment_helpers import enter_code
from tests.flows.test_apply import ADDRESS, take_and_skip_pin
from tests.flows.test_regulation_rules import show_face, timeline
from tests.flows.test_replace import begin as begin_replace

MOBILE = "13912347777"


def fill_form(d: Driver, mobile: str = MOBILE) -> None:
    d.wait("details")
    for action, value in (("set_mobile", mobile), ("set_address", ADDRESS), ("set_postal_code", "350001")):
        d.send(action, value)
        d.wait("details")
    d.send("confirm")


def test_online_application_confirms_the_mobile_by_sms_first(runtime: Runtime, central: ServerHandle) -> None:
    d = Driver(runtime, ServiceId.APPLY)
    d.wait("read_id")
    d.id_reader.place(id_card(person("adult_never_applied")))
    d.answer("photo_choice", "use_on_file")
    fill_form(d)
    otp = enter_code(d, central, MOBILE)
    assert otp.params["mobile"] == "139****7777"
    # the art. 21 clock keeps counting on the code step, and the screen shows it as on every other
    assert float(otp.params["limit_s"]) == runtime.cfg.timeouts.issuance_limit_s and "percent" in otp.params
    assert central_count(central, "applications", "kiosk_id = ?", runtime.cfg.kiosk.id) == 0  # not before
    take_and_skip_pin(d)
    view, result = d.end()
    assert_ended(view, result, End.DONE)
    assert result.code == "issued"
    assert central_one(central, "SELECT verified FROM mobile_status WHERE mobile = ?", MOBILE) == 1
    assert central_count(central, "sms_codes", "mobile = ? AND status = 'used'", MOBILE) == 1
    receipt = " ".join(line.text for line in d.printer.printed[-1].lines)
    assert "已短信验证" in receipt and MOBILE not in receipt


def test_back_from_the_code_corrects_the_number(runtime: Runtime, central: ServerHandle) -> None:
    d = Driver(runtime, ServiceId.APPLY)
    d.wait("read_id")
    d.id_reader.place(id_card(person("adult_never_applied")))
    d.answer("photo_choice", "use_on_file")
    fill_form(d, "13912347778")
    d.answer("otp", "back")
    d.wait("details")
    d.send("set_mobile", MOBILE)
    d.wait("details")
    d.send("confirm")
    enter_code(d, central, MOBILE)
    take_and_skip_pin(d)
    _, result = d.end()
    assert result.code == "issued"
    assert central_one(central, "SELECT mobile FROM persons WHERE id_number = ?",
                       person("adult_never_applied")["id_number"]) == MOBILE


def test_replacement_confirms_the_mobile_it_records(runtime: Runtime, central: ServerHandle) -> None:
    d = begin_replace(runtime, "adult_active_card", "damaged")
    d.answer("fee_statement", "confirm")
    d.answer("keep_account", "new_account")
    d.answer("photo_choice", "use_on_file")
    fill_form(d)
    enter_code(d, central, MOBILE)
    d.wait("payment_qr")  # the replacement went in with the confirmed number (the fee comes next)
    assert central_one(central, "SELECT verified FROM mobile_status WHERE mobile = ?", MOBILE) == 1
    d.send("cancel")


def test_offline_application_goes_unverified_and_says_so(tmp_path: Path, central: ServerHandle,
                                                         face_models: None) -> None:
    rt = make_runtime(tmp_path, central, offline={"accept_applications_for_later": True})
    try:
        show_face(rt)
        go_offline(rt, central)
        d = Driver(rt, ServiceId.APPLY)
        d.wait("read_id")
        d.id_reader.place(id_card(person("adult_never_applied")))
        d.answer("insured_question", "declare_insured")
        d.answer("photo_confirm", "confirm")
        fill_form(d)
        d.answer("delivery_choice", "choose", "pickup")  # no code step: the link is down
        view, result = d.end()
        assert_ended(view, result, End.DONE)
        assert result.code == "accepted_for_later" and view.params["mobile_check"] == "unverified"
        receipt = " ".join(line.text for line in d.printer.printed[-1].lines)
        assert "未经短信验证" in receipt and "NOT verified" in receipt
        assert "otp" not in d.screens
        central.faults.clear()
        rt.link.report_success()
        assert rt.forwarder.flush(timeout=10)
        assert central_one(central, "SELECT verified FROM mobile_status WHERE mobile = ?", MOBILE) == 0
        assert timeline(central, rt.cfg.kiosk.id, "mobile_unverified") == 1
    finally:
        rt.stop()
