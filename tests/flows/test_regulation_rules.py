"""Issue 17 §4: the regulation's rules that were wrong, each through the flows on the simulators against
the real HTTP reference central: an open application after a failed production (art. 34), an offline
lost-card replacement (art. 33), voluntary applicants (art. 3), the under-2 photo choice (art. 16),
consent to deliver later (arts. 16, 26), the 20-minute alarm while issuing (art. 21) and the card
status before a PIN change (arts. 32, 33)."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import pytest

from central_sim.server import ServerHandle
from hal.sim.camera import SimCamera
from kiosk.clock import FixedDateClock
from kiosk.domain.services import ServiceId
from kiosk.flows.base import End
from kiosk.runtime import Runtime
from kiosk.strings import t
from tests.flows.conftest import (
    TODAY,
    Driver,
    assert_ended,
    central_count,
    central_one,
    chip,
    flow_config,
    go_offline,
    id_card,
    make_runtime,
    person,
)
from tests.flows.faces import holder_before_camera
from tests.flows.payment_helpers import pay_shown_order
from tests.flows.test_apply import fill_details, take_and_skip_pin
from tests.photo.conftest import faces_dir
from tests.photo.synth import kiosk_frame


def show_face(rt: Runtime) -> None:
    camera = rt.devices.camera
    assert isinstance(camera, SimCamera)
    camera.present(kiosk_frame(cv2.imread(str(faces_dir() / "obama_portrait.jpg"))))  # type: ignore[arg-type]


def timeline(central: ServerHandle, kiosk_id: str, status: str) -> int:
    return central_count(central, "application_timeline t JOIN applications a USING (application_id)",
                         "a.kiosk_id = ? AND t.status = ?", kiosk_id, status)


# ---- art. 34: a failed production is an open application ------------------------------------------
def fail_the_seeded_replacement(central: ServerHandle) -> None:
    with central.central.db.transaction() as tx:
        tx.execute("UPDATE applications SET status = 'production_failed' WHERE application_id = 'APP-SEED-0007'")


def test_production_failed_replacement_refuses_loss_cancel(runtime: Runtime, central: ServerHandle) -> None:
    fail_the_seeded_replacement(central)
    d = Driver(runtime, ServiceId.LOSS_CANCEL)
    d.wait("read_id")
    d.id_reader.place(id_card(person("replacement_in_progress")))
    d.wait("insert_card")
    d.card_reader.insert(chip(person("replacement_in_progress"), 0))
    view, result = d.end()
    assert_ended(view, result, End.REFUSED, "reason.replacement_in_progress")
    assert central_one(central, "SELECT status FROM cards WHERE card_no = 'A10000007'") == "loss_reported"


def test_production_failed_replacement_refuses_a_second_replacement(runtime: Runtime, central: ServerHandle) -> None:
    fail_the_seeded_replacement(central)
    d = Driver(runtime, ServiceId.REPLACE)
    d.wait("read_id")
    d.id_reader.place(id_card(person("replacement_in_progress")))
    d.answer("choose_reason", "choose", "damaged")
    view, result = d.end()
    assert_ended(view, result, End.REFUSED, "reason.replacement_in_progress")
    assert central_count(central, "applications", "kiosk_id = ?", runtime.cfg.kiosk.id) == 0


# ---- art. 33: replacing a lost card offline reports the loss first -----------------------------------
def test_offline_lost_card_replacement_reports_and_blocks_first(tmp_path: Path, central: ServerHandle,
                                                                face_models: None) -> None:
    rt = make_runtime(tmp_path, central, offline={"accept_applications_for_later": True})
    try:
        show_face(rt)
        go_offline(rt, central)
        holder = person("adult_active_card")
        d = Driver(rt, ServiceId.REPLACE)
        d.wait("read_id")
        d.id_reader.place(id_card(holder))
        d.answer("choose_reason", "choose", "lost")
        d.answer("confirm_report_first", "confirm")
        d.wait("fee_statement")  # before anything else of the replacement: blocked and queued
        assert rt.blocks.is_blocked(holder["id_number"])
        pending = rt.outbox.list_items()
        assert [(i.path, i.priority) for i in pending] == [("/v1/cards/loss-report", 0)]
        d.send("confirm")  # the fee, payable at pickup
        d.answer("photo_confirm", "confirm")
        fill_details(d)
        d.answer("delivery_choice", "choose", "pickup")
        _, result = d.end()
        assert result.code == "accepted_for_later"
        central.faults.clear()
        rt.link.report_success()
        assert rt.forwarder.flush(timeout=10)
        assert central_count(central, "loss_reports", "card_no = 'A10000002'") == 1
        # frozen first, so the central accepted the lost-card replacement behind it
        assert central_one(central, "SELECT reason FROM applications WHERE kiosk_id = ?", rt.cfg.kiosk.id) == "lost"
    finally:
        rt.stop()


# ---- art. 3: voluntary applicants ---------------------------------------------------------------------
def test_uninsured_applicant_applies_voluntarily_without_medical_link(runtime: Runtime, central: ServerHandle,
                                                                       face_models: None) -> None:
    show_face(runtime)
    d = Driver(runtime, ServiceId.APPLY)
    d.wait("read_id")
    d.id_reader.place(id_card(person("not_insured")))
    d.answer("voluntary_apply", "agree")
    d.answer("photo_choice", "use_on_file")
    fill_details(d)
    take_and_skip_pin(d)
    view, result = d.end()
    assert_ended(view, result, End.DONE)
    assert result.code == "issued"
    assert timeline(central, runtime.cfg.kiosk.id, "voluntary") == 1
    assert "不关联医保" in " ".join(line.text for line in d.printer.printed[-1].lines)


def test_uninsured_applicant_who_declines_is_not_told_to_insure_first(runtime: Runtime,
                                                                        central: ServerHandle) -> None:
    # Art. 3 lets them apply; they chose not to. Before, the page said "not insured: insure first"
    # (reason.not_insured), as if the kiosk had refused them.
    d = Driver(runtime, ServiceId.APPLY)
    d.wait("read_id")
    d.id_reader.place(id_card(person("not_insured")))
    d.answer("voluntary_apply", "decline")
    view, result = d.end()
    assert result.end is End.CANCELLED and view.reasons == ("reason.voluntary_declined",)
    assert "请先参保" not in t("zh", view.reasons[0]) and "不关联医保" in t("zh", view.reasons[0])
    assert central_count(central, "applications", "kiosk_id = ?", runtime.cfg.kiosk.id) == 0


# ---- art. 16: a child under 2 may go without a photo, or have one ------------------------------------
def test_child_under_2_gets_a_photo_when_the_guardian_chooses_one(runtime: Runtime, face_models: None) -> None:
    show_face(runtime)
    d = Driver(runtime, ServiceId.APPLY)
    d.wait("read_id")
    d.id_reader.place(id_card(person("child_under_2")))
    d.wait("read_guardian_id")
    d.id_reader.place(id_card(person("adult_active_card")))
    d.answer("document_choice", "choose", "household_register")  # the proof of relationship
    d.answer("document_preview", "confirm")
    offer = d.wait("photo_optional")
    assert {"no_photo", "take_photo"} <= set(offer.actions)
    d.send("take_photo")
    d.answer("photo_confirm", "confirm")
    fill_details(d)
    take_and_skip_pin(d)
    _, result = d.end()
    assert result.code == "issued"
    photo = d.issuer.printed_faces[-1].photo_jpeg
    assert photo is not None and photo[:2] == b"\xff\xd8"


# ---- arts. 16, 26: not made on the spot → consent to deliver within 15 working days --------------------
def test_no_blank_cards_asks_consent_to_deliver_by_courier(runtime: Runtime, central: ServerHandle) -> None:
    d = Driver(runtime, ServiceId.APPLY)
    d.issuer.steer("hopper", count=0)
    d.wait("read_id")
    d.id_reader.place(id_card(person("adult_never_applied")))
    d.answer("photo_choice", "use_on_file")
    fill_details(d)
    ask = d.wait("deliver_later")
    assert "reason.no_blank_cards" in ask.reasons and ask.params["working_days"] == "15"
    d.send("agree")
    how = d.wait("deliver_later_how")
    assert dict(how.choices)["courier"] == "delivery.courier_postage"
    d.send("choose", "courier")
    view, result = d.end()
    assert_ended(view, result, End.DONE)
    assert result.code == "deliver_later_courier" and view.message == "prompt.deliver_later_done"
    assert central_one(central, "SELECT delivery FROM applications WHERE kiosk_id = ?",
                       runtime.cfg.kiosk.id) == "courier"
    note = central_one(central, "SELECT t.note FROM application_timeline t JOIN applications a USING "
                                "(application_id) WHERE a.kiosk_id = ? AND t.status = 'deliver_later_agreed'",
                       runtime.cfg.kiosk.id)
    assert "15" in note and "邮费申领人承担" in note and "no_blank_cards" in note
    assert len(d.issuer.printed_faces) == 0
    assert "15 个工作日" in " ".join(line.text for line in d.printer.printed[-1].lines)


def test_declining_to_wait_sends_nothing(runtime: Runtime, central: ServerHandle) -> None:
    d = Driver(runtime, ServiceId.APPLY)
    d.issuer.steer("hopper", count=0)
    d.wait("read_id")
    d.id_reader.place(id_card(person("adult_never_applied")))
    d.answer("photo_choice", "use_on_file")
    fill_details(d)
    d.answer("deliver_later", "decline")
    view, result = d.end()
    assert_ended(view, result, End.REFUSED, "reason.no_blank_cards")
    assert central_count(central, "applications", "kiosk_id = ?", runtime.cfg.kiosk.id) == 0


# ---- art. 21: the 20-minute limit alarms while the issuance still runs ---------------------------------
class SkippingClock(FixedDateClock):
    """The injectable clock (kiosk.clock.Clock): real monotonic time plus what the test skipped."""

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


@pytest.fixture
def clocked(tmp_path: Path, central: ServerHandle) -> Iterator[tuple[Runtime, SkippingClock]]:
    clock = SkippingClock()
    cfg = flow_config(tmp_path, central.url)
    cfg = dataclasses.replace(cfg, timeouts=dataclasses.replace(cfg.timeouts, idle_s=3600.0))  # outlasts the skip
    rt = Runtime(cfg, clock=clock)
    holder_before_camera(rt)  # 人证核验: the applicant stands before the camera
    rt.start()
    yield rt, clock
    rt.stop()


def over_limit(rt: Runtime) -> bool:
    return any(e.code == "issuance_over_limit" for e in rt.events.recent)


def test_issuance_over_the_limit_alarms_while_still_running(clocked: tuple[Runtime, SkippingClock]) -> None:
    rt, clock = clocked
    d = Driver(rt, ServiceId.APPLY)
    d.wait("read_id")
    d.id_reader.place(id_card(person("adult_never_applied")))
    d.answer("photo_choice", "use_on_file")
    d.wait("details")
    time.sleep(0.6)
    assert not over_limit(rt)  # within the limit: no alarm
    clock.skip(rt.cfg.timeouts.issuance_limit_s + 1)
    deadline = time.monotonic() + 5
    while not over_limit(rt) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert over_limit(rt)
    assert rt.in_transaction  # the issuance is still running: the citizen is at the form
    d.send("cancel")
    _, result = d.end()
    assert result.end is End.CANCELLED
    assert sum(e.code == "issuance_over_limit" for e in rt.events.recent) == 1  # alarmed once


# ---- arts. 32, 33: PIN change checks the card's status first -------------------------------------------
def test_pin_change_refuses_a_card_reported_lost(runtime: Runtime) -> None:
    d = Driver(runtime, ServiceId.PIN_CHANGE)
    d.wait("insert_card")
    d.card_reader.insert(chip(person("card_lost")))
    view, result = d.end()
    assert_ended(view, result, End.REFUSED, "reason.card_loss_reported")
    assert "old_pin" not in d.screens


def test_pin_change_refuses_a_cancelled_card(runtime: Runtime, central: ServerHandle) -> None:
    with central.central.db.transaction() as tx:
        tx.execute("UPDATE cards SET status = 'cancelled' WHERE card_no = 'A10000002'")
    d = Driver(runtime, ServiceId.PIN_CHANGE)
    d.wait("insert_card")
    d.card_reader.insert(chip(person("adult_active_card")))
    view, result = d.end()
    assert_ended(view, result, End.REFUSED, "reason.card_cancelled")


def test_offline_pin_change_refuses_a_card_on_the_local_block_list(runtime: Runtime, central: ServerHandle) -> None:
    runtime.blocks.block("A10000002")  # a loss reported at this kiosk, not yet confirmed
    go_offline(runtime, central)
    d = Driver(runtime, ServiceId.PIN_CHANGE)
    d.wait("insert_card")
    d.card_reader.insert(chip(person("adult_active_card")))
    view, result = d.end()
    assert_ended(view, result, End.REFUSED, "reason.card_blocked_locally")
    assert "old_pin" not in d.screens


def test_offline_pin_change_of_a_card_not_blocked_goes_on(runtime: Runtime, central: ServerHandle) -> None:
    runtime.blocks.block("A10000006")  # someone else's card
    go_offline(runtime, central)
    d = Driver(runtime, ServiceId.PIN_CHANGE)
    d.wait("insert_card")
    d.card_reader.insert(chip(person("adult_active_card")))
    d.wait("old_pin")
    d.send("cancel")
    _, result = d.end()
    assert result.end is End.CANCELLED


def test_keeping_the_bank_account_defers_the_replacement_with_consent(runtime: Runtime, central: ServerHandle) -> None:
    d = Driver(runtime, ServiceId.REPLACE)
    d.wait("read_id")
    d.id_reader.place(id_card(person("adult_active_card")))
    d.answer("choose_reason", "choose", "damaged")
    d.answer("fee_statement", "confirm")
    d.answer("keep_account", "keep_account")
    d.answer("photo_choice", "use_on_file")
    fill_details(d)
    ask = d.wait("deliver_later")
    assert ask.reasons == ("reason.keep_account_not_instant",)
    d.send("agree")
    d.answer("deliver_later_how", "choose", "pickup")
    pay_shown_order(d, central)  # the fee stated before is paid now (tests/flows/test_replace_fee.py)
    _, result = d.end()
    assert result.code == "deliver_later_pickup"
    assert central_one(central, "SELECT delivery FROM applications WHERE kiosk_id = ?",
                       runtime.cfg.kiosk.id) == "pickup"
    assert runtime.blocks.is_blocked("A10000002")  # art. 33: the old card lapses from acceptance
    assert len(d.issuer.printed_faces) == 0


# ---- arts. 35, 51: counter guidance (the kiosk explains, it does not pretend to do them) ----------------
def test_counter_guidance_shows_and_prints_the_proxy_checklist(runtime: Runtime, central: ServerHandle) -> None:
    from kiosk.domain.counter_guidance import GUIDES

    go_offline(runtime, central)  # needs no central
    d = Driver(runtime, ServiceId.COUNTER_GUIDANCE)
    menu = d.wait("guide_choose")
    assert [c for c, _ in menu.choices] == ["cancel", "cancel_death", "suspend", "proxy"]
    d.send("choose", "proxy")
    guide = d.wait("guidance")
    assert guide.message == "prompt.guide_proxy" and guide.reasons == GUIDES["proxy"].checklist
    assert "print" in guide.actions
    d.send("print")
    view, result = d.end()
    assert_ended(view, result, End.DONE)
    assert result.code == "guidance_proxy" and view.message == "prompt.guide_printed"
    paper = d.printer.printed[-1]
    text = " ".join(line.text for line in paper.lines) + " ".join(paper.footer)
    assert "授权委托书" in text and "第51条" in text and "non-financial" in text
    assert central_count(central, "applications", "kiosk_id = ?", runtime.cfg.kiosk.id) == 0


def test_counter_guidance_for_a_death_without_printing(runtime: Runtime) -> None:
    d = Driver(runtime, ServiceId.COUNTER_GUIDANCE)
    d.answer("guide_choose", "choose", "cancel_death")
    guide = d.answer("guidance", "no_print")
    assert "prompt.guide_item_death_certificate" in guide.reasons
    assert "prompt.guide_item_relative_id" in guide.reasons
    printed = len(d.printer.printed)
    view, result = d.end()
    assert result.code == "guidance_cancel_death" and view.message == "prompt.guide_done"
    assert len(d.printer.printed) == printed
