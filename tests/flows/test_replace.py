"""Service 2, 补换卡 (arts. 29, 30, 33): lost → reported first; old card invalid from acceptance;
quality defect free within one month; replacement in progress refused."""

from __future__ import annotations

from pathlib import Path

import cv2

from central_sim.server import ServerHandle
from hal.sim.camera import SimCamera
from kiosk.domain.services import ServiceId
from kiosk.flows.base import End
from kiosk.flows.check_answers import NEXT_PARAM
from kiosk.runtime import Runtime
from kiosk.strings import t
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
from tests.flows.payment_helpers import pay_shown_order
from tests.flows.test_apply import fill_details, take_and_skip_pin
from tests.photo.conftest import faces_dir
from tests.photo.synth import kiosk_frame


def begin(runtime: Runtime, key: str, reason: str) -> Driver:
    d = Driver(runtime, ServiceId.REPLACE)
    d.wait("read_id")
    d.id_reader.place(id_card(person(key)))
    menu = d.wait("choose_reason")
    assert len(menu.choices) == 6
    d.send("choose", reason)
    return d


def test_lost_card_is_reported_first_then_replaced(runtime: Runtime, central: ServerHandle) -> None:
    d = begin(runtime, "adult_active_card", "lost")
    assert d.answer("fee_statement", "confirm").message == "prompt.fee_due"  # arts. 33, 50: before committing
    d.answer("confirm_report_first", "confirm")
    d.answer("keep_account", "new_account")
    d.answer("photo_choice", "use_on_file")
    fill_details(d)
    pay_shown_order(d, central)
    take_and_skip_pin(d)
    view, result = d.end()
    assert_ended(view, result, End.DONE)
    assert view.params["free"] == "0"
    assert central_count(central, "loss_reports", "card_no = 'A10000002'") == 1
    assert runtime.blocks.is_blocked("A10000002")
    assert runtime.forwarder.flush(timeout=10)
    assert central_one(central, "SELECT status FROM cards WHERE card_no = 'A10000002'") == "cancelled"


def test_a_replacement_cancelled_after_the_loss_report_says_the_card_stays_frozen(
        runtime: Runtime, central: ServerHandle) -> None:
    # The loss report (art. 33) takes effect before the replacement and stands when the citizen stops:
    # before, the end page said only "已取消办理", as if nothing had changed.
    d = begin(runtime, "adult_active_card", "lost")
    d.answer("fee_statement", "confirm")
    d.answer("confirm_report_first", "confirm")
    d.wait("keep_account")
    d.send("cancel")
    view, result = d.end()
    assert_ended(view, result, End.CANCELLED)
    assert "reason.loss_report_stands" in view.reasons
    assert "挂失已生效" in t("zh", "reason.loss_report_stands", **view.params)
    assert central_one(central, "SELECT status FROM cards WHERE card_no = 'A10000002'") == "loss_reported"


def test_a_replacement_cancelled_before_any_change_says_nothing_stands(runtime: Runtime) -> None:
    d = begin(runtime, "adult_active_card", "lost")
    d.wait("fee_statement")
    d.send("cancel")
    view, result = d.end()
    assert_ended(view, result, End.CANCELLED)
    assert view.reasons == ()


def test_quality_defect_within_a_month_is_free(runtime: Runtime) -> None:
    d = begin(runtime, "recent_card_quality", "quality_defect")
    assert d.answer("fee_statement", "confirm").message == "prompt.fee_free_quality_defect"
    d.answer("keep_account", "new_account")
    d.answer("photo_choice", "use_on_file")
    fill_details(d)
    take_and_skip_pin(d)
    view, result = d.end()
    assert result.code == "issued" and view.params["free"] == "1"
    assert runtime.blocks.is_blocked("A10000014")  # invalid from acceptance


def test_quality_defect_after_a_month_is_refused(runtime: Runtime) -> None:
    d = begin(runtime, "adult_active_card", "quality_defect")
    view, result = d.end()
    assert_ended(view, result, End.REFUSED, "reason.quality_defect_period_over")


def test_replacement_in_progress_refused(runtime: Runtime) -> None:
    d = Driver(runtime, ServiceId.REPLACE)
    d.wait("read_id")
    d.id_reader.place(id_card(person("replacement_in_progress")))
    d.answer("choose_reason", "choose", "damaged")
    view, result = d.end()
    assert_ended(view, result, End.REFUSED, "reason.replacement_in_progress")


def test_no_card_to_replace(runtime: Runtime) -> None:
    d = Driver(runtime, ServiceId.REPLACE)
    d.wait("read_id")
    d.id_reader.place(id_card(person("adult_never_applied")))
    view, result = d.end()
    assert_ended(view, result, End.REFUSED, "reason.no_card_to_replace")


def test_photo_change_needs_a_new_photo_and_cancel_there(runtime: Runtime, central: ServerHandle) -> None:
    d = begin(runtime, "adult_active_card", "photo_changed")
    d.answer("fee_statement", "confirm")
    d.answer("keep_account", "new_account")
    d.wait("photo")
    d.send("cancel")
    view, result = d.end()
    assert_ended(view, result, End.CANCELLED)
    assert "photo_choice" not in d.screens
    assert central_one(central, "SELECT status FROM cards WHERE card_no = 'A10000002'") == "normal"


def test_offline_replacement_accepted_for_later(tmp_path: Path, central: ServerHandle, face_models: None) -> None:
    rt = make_runtime(tmp_path, central, offline={"accept_applications_for_later": True})
    try:
        camera = rt.devices.camera
        assert isinstance(camera, SimCamera)
        camera.present(kiosk_frame(cv2.imread(str(faces_dir() / "obama_portrait.jpg"))))  # type: ignore[arg-type]
        go_offline(rt, central)
        d = begin(rt, "adult_active_card", "damaged")
        assert d.answer("fee_statement", "confirm").message == "prompt.fee_at_pickup"
        d.answer("photo_confirm", "confirm")
        fill_details(d)
        # the fee is paid when the card is collected: a posted card would have nowhere to pay it
        assert d.wait("delivery_choice").choices == (("pickup", "delivery.pickup"),)
        d.send("choose", "pickup")
        _, result = d.end()
        assert result.code == "accepted_for_later"
        central.faults.clear()
        rt.link.report_success()
        assert rt.forwarder.flush(timeout=10)
        assert central_one(central, "SELECT reason FROM applications WHERE kiosk_id = ?", rt.cfg.kiosk.id) == "damaged"
    finally:
        rt.stop()


def test_offline_loss_report_before_a_replacement_says_it_takes_effect_when_the_link_is_back(
        tmp_path: Path, central: ServerHandle) -> None:
    """Offline the report is queued: the confirm page's next step must not promise an immediate freeze."""
    rt = make_runtime(tmp_path, central, offline={"accept_applications_for_later": True})
    try:
        go_offline(rt, central)
        d = begin(rt, "adult_active_card", "lost")
        confirm = d.wait("confirm_report_first")
        assert confirm.message == "prompt.confirm_report_first_offline"
        assert confirm.params[NEXT_PARAM] == "check.next.loss_report_offline"  # was check.next.report_first
        next_text = t("zh", confirm.params[NEXT_PARAM], **confirm.params)
        assert "网络恢复后" in next_text and rt.cfg.kiosk.hotline in next_text and "立即挂失冻结" not in next_text
        d.send("cancel")
        assert d.end()[0].reasons == ()  # stopped before the report: nothing stands
        d = begin(rt, "adult_active_card", "lost")
        d.answer("confirm_report_first", "confirm")  # queued, and the card blocked at this kiosk
        d.wait("face_consent")
        d.send("cancel")
        view, _ = d.end()
        assert view.reasons == ("reason.loss_report_queued_stands",)
        assert rt.cfg.kiosk.hotline in t("zh", view.reasons[0], **view.params)
    finally:
        rt.stop()


def test_an_uninsured_cardholder_replaces_without_declaring_insurance(runtime: Runtime,
                                                                      central: ServerHandle) -> None:
    """Art. 3: a voluntary (uninsured) cardholder's replacement states no medical insurance, as the first card did."""
    p = person("adult_active_card")
    with central.central.db.transaction() as tx:
        tx.execute("UPDATE persons SET insured = 0, medical_insurance = 'none' WHERE id_number = ?",
                   (p["id_number"],))
    d = begin(runtime, "adult_active_card", "damaged")
    d.answer("fee_statement", "confirm")
    d.answer("keep_account", "new_account")
    d.answer("photo_choice", "use_on_file")
    form = fill_details(d)
    assert form.params["medical_insurance"] == "none"  # was "resident", and "none" refused as invalid
    pay_shown_order(d, central)
    take_and_skip_pin(d)
    view, result = d.end()
    assert result.code == "issued", (view, result)
    application = central_one(central, "SELECT application_id FROM applications WHERE kiosk_id = ?",
                              runtime.cfg.kiosk.id)
    assert central_count(central, "application_timeline", "application_id = ? AND status = 'voluntary'",
                         application) == 1  # the central recorded it as not linked to medical insurance
    receipt = " ".join(line.text for line in d.printer.printed[-1].lines)
    assert "未参保，不关联医保" in receipt
