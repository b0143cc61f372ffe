"""Apply/instant issue under faults: link lost or refused credentials at the central, offline
acceptance for later (if configured), receipt printer out of paper, issuer faults at eject and a
full reject box, timeouts and cancel at the questions."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import cv2
import pytest

from central_sim.faults import FaultRule
from central_sim.server import ServerHandle
from hal.sim.camera import SimCamera
from kiosk.clock import FixedDateClock
from kiosk.domain.services import ServiceId
from kiosk.flows.base import End
from kiosk.flows.common import RESULT_BY_SMS
from kiosk.runtime import Runtime
from kiosk.strings import LANGUAGES, t
from tests.flows.conftest import (
    TODAY,
    Driver,
    assert_ended,
    central_count,
    central_one,
    flow_config,
    go_offline,
    id_card,
    make_runtime,
    person,
)
from tests.flows.faces import holder_before_camera
from tests.flows.test_apply import begin, fill_details, take_and_skip_pin, to_production
from tests.photo.conftest import faces_dir
from tests.photo.synth import kiosk_frame


def test_link_lost_at_lookup(runtime: Runtime, central: ServerHandle) -> None:
    central.faults.add(FaultRule.from_dict({"path": "/v1/persons/lookup", "error_rate": 1.0}))
    d = begin(runtime)
    view, result = d.end()
    assert_ended(view, result, End.FAULT)
    assert result.code == "link_lost"


def test_a_fault_page_names_this_kiosks_hotline(tmp_path: Path, central: ServerHandle) -> None:
    """Every other text names the configured hotline; the fault page said 12333 whatever the config."""
    cfg = flow_config(tmp_path, central.url)
    rt = Runtime(dataclasses.replace(cfg, kiosk=dataclasses.replace(cfg.kiosk, hotline="0591-96111")),
                 clock=FixedDateClock(TODAY))
    rt.start()
    try:
        holder_before_camera(rt)
        central.faults.add(FaultRule.from_dict({"path": "/v1/persons/lookup", "error_rate": 1.0}))
        d = begin(rt)
        view, result = d.end()
        assert_ended(view, result, End.FAULT)
        for lang in LANGUAGES:
            shown = t(lang, view.message, **view.params)
            assert "0591-96111" in shown and "12333" not in shown, shown
    finally:
        rt.stop()


def test_central_refusing_the_kiosk_raises_a_critical_alarm(runtime: Runtime, central: ServerHandle) -> None:
    central.faults.add(FaultRule.from_dict({"path": "/v1/persons/lookup",
                                            "status_for_path": {"/v1/persons/lookup": 401}}))
    d = begin(runtime)
    view, result = d.end()
    assert_ended(view, result, End.FAULT)
    assert result.code == "central_auth"
    assert any(e.severity == "critical" and e.device == "central" for e in runtime.events.recent)


def test_offline_application_accepted_for_later_by_courier(tmp_path: Path, central: ServerHandle,
                                                           face_models: None) -> None:
    rt = make_runtime(tmp_path, central, offline={"accept_applications_for_later": True})
    try:
        camera = rt.devices.camera
        assert isinstance(camera, SimCamera)
        camera.present(kiosk_frame(cv2.imread(str(faces_dir() / "obama_portrait.jpg"))))  # type: ignore[arg-type]
        go_offline(rt, central)
        d = begin(rt)
        d.answer("insured_question", "declare_insured")  # offline the register cannot say (issue 17 §4)
        d.answer("photo_confirm", "confirm")
        fill_details(d)
        choice = d.wait("delivery_choice")
        # a first application is free: it may be posted, postage borne by the applicant (art. 26)
        assert choice.choices == (("pickup", "delivery.pickup"), ("courier", "delivery.courier_postage"))
        d.send("choose", "courier")
        view, result = d.end()
        assert result.code == "accepted_for_later" and view.message == "prompt.accepted_for_later_unverified"
        printed = " ".join(line.text for line in d.printer.printed[-1].lines)
        assert "联网后提交" in printed and RESULT_BY_SMS.text in printed and "邮费自付" in printed
        assert central_count(central, "applications", "kiosk_id = ?", rt.cfg.kiosk.id) == 0
        central.faults.clear()
        rt.link.report_success()
        assert rt.forwarder.flush(timeout=10)
        assert central_one(central, "SELECT delivery FROM applications WHERE kiosk_id = ?", rt.cfg.kiosk.id) \
            == "courier"
    finally:
        rt.stop()


def test_receipt_printer_out_of_paper_does_not_undo_the_card(runtime: Runtime) -> None:
    runtime.devices.receipt_printer.steer("paper", count=0)  # type: ignore[union-attr]
    d = begin(runtime)
    to_production(d)
    take_and_skip_pin(d)
    view, result = d.end()
    assert result.code == "issued" and view.params["receipt"] == "failed"
    assert any(e.code == "paper_out" for e in runtime.events.recent)


def test_eject_fault_spoils_that_card_and_the_fresh_blank_succeeds(runtime: Runtime) -> None:
    runtime.devices.issuer.steer("fail", op="eject", code="transport_error")  # type: ignore[union-attr]
    d = begin(runtime)
    to_production(d)
    take_and_skip_pin(d)
    _, result = d.end()
    assert result.code == "issued" and d.issuer.rejected == 1
    assert runtime.stock_ledger.counts(runtime.clock.today()) == {"issued": 1, "spoiled": 1, "undelivered": 0,
                                                                  "retained": 0}


def test_full_reject_box_stops_at_once_with_a_critical_alarm(runtime: Runtime) -> None:
    issuer = runtime.devices.issuer
    issuer.steer("fail", op="print", code="print_head_error")  # type: ignore[union-attr]
    issuer.rejected = issuer.reject_capacity  # type: ignore[union-attr]
    d = begin(runtime)
    to_production(d)
    failed = d.wait("production_failed")
    assert failed.params["code"] == "print_head_error"
    d.send("choose", "pickup")
    _, result = d.end()
    assert result.code == "deferred_pickup"
    assert any(e.code == "reject_box_full" and e.severity == "critical" for e in runtime.events.recent)
    assert runtime.journal.unfinished() == []  # closed as failed; the card's position is in its history


def test_timeout_at_photo_choice(runtime: Runtime, central: ServerHandle) -> None:
    d = begin(runtime)
    d.wait("photo_choice")
    view, result = d.end(timeout=10)
    assert_ended(view, result, End.TIMED_OUT)
    assert central_count(central, "applications", "kiosk_id = ?", runtime.cfg.kiosk.id) == 0


def test_cancel_at_consent(runtime: Runtime) -> None:
    d = Driver(runtime, ServiceId.APPLY)
    d.wait("read_id")
    d.id_reader.place(id_card(person("other_city_resident")))
    d.answer("consent_stop_other", "cancel")
    view, result = d.end()
    assert_ended(view, result, End.CANCELLED)


def test_no_full_id_number_or_name_in_any_view(runtime: Runtime) -> None:
    p = person("adult_never_applied")
    d = begin(runtime)
    to_production(d)
    take_and_skip_pin(d)
    d.end()
    text = repr([(v.params, v.choices, v.reasons) for v in d.seen])
    assert p["id_number"] not in text and p["name"] not in text and "13800000001" not in text


def test_no_personal_data_in_logs(runtime: Runtime, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    p = person("adult_never_applied")
    caplog.set_level(logging.DEBUG)
    runtime.devices.encoder.steer("fail", op="personalise", code="chip_write_error")  # type: ignore[union-attr]
    d = begin(runtime)
    to_production(d)
    take_and_skip_pin(d)
    d.end()
    text = caplog.text + repr([r.__dict__ for r in caplog.records])
    assert p["id_number"] not in text and p["name"] not in text and "13800000001" not in text


def test_a_card_left_in_the_transport_is_rejected_before_the_new_one(runtime: Runtime) -> None:
    from hal.sim.issuer import CardPosition

    issuer = runtime.devices.issuer
    issuer.position = CardPosition.CONTACT  # type: ignore[union-attr]  # e.g. left by a crash
    d = begin(runtime)
    to_production(d)
    take_and_skip_pin(d)
    _, result = d.end()
    assert result.code == "issued" and d.issuer.rejected == 1


def test_a_bug_mid_production_still_rejects_the_half_made_card(runtime: Runtime, central: ServerHandle,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_read() -> None:
        raise RuntimeError("driver bug")

    monkeypatch.setattr(runtime.devices.encoder, "read_card", broken_read)
    d = begin(runtime)
    to_production(d)
    view, result = d.end()
    assert_ended(view, result, End.FAULT)
    assert result.code == "internal_error"
    assert d.issuer.rejected == 1 and runtime.journal.unfinished() == []
    assert runtime.stock_ledger.counts(runtime.clock.today())["spoiled"] == 1
    assert runtime.forwarder.flush(timeout=10)  # the application is marked for the counter
    assert central_one(central, "SELECT status FROM applications WHERE kiosk_id = ?",
                       runtime.cfg.kiosk.id) == "production_failed"
