"""人证核验 (issue 17 §1): every service that opens, replaces, unblocks or changes something checks,
after a separate consent, that the live face is the ID card holder's; activation, PIN change and
the loss report do not. Real photographs in front of the simulator camera, the real HTTP central."""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from central_sim.server import ServerHandle
from hal import pii
from hal.sim.camera import SimCamera
from kiosk.clock import FixedDateClock
from kiosk.domain.services import ServiceId
from kiosk.flows.base import End
from kiosk.flows.face_check import CONSENT_VERSION, SESSION_TRIES
from kiosk.runtime import Runtime
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
    person,
)
from tests.flows.faces import HolderFaceCamera, face_file
from tests.flows.test_pin_reset import hsm_reset_pin

OBAMA, BIDEN = face_file("obama_portrait.jpg"), face_file("biden_portrait.jpg")


def camera(rt: Runtime) -> HolderFaceCamera:
    cam = rt.devices.camera
    assert isinstance(cam, HolderFaceCamera)
    return cam


# ---- how each service reaches its face check ------------------------------------------------------
def _apply(rt: Runtime, consent: str | None = "agree") -> Driver:
    d = Driver(rt, ServiceId.APPLY, face_consent=consent)
    d.wait("read_id")
    d.id_reader.place(id_card(person("adult_never_applied")))  # obama
    return d


def _replace(rt: Runtime, consent: str | None = "agree") -> Driver:
    d = Driver(rt, ServiceId.REPLACE, face_consent=consent)
    d.wait("read_id")
    d.id_reader.place(id_card(person("adult_active_card")))  # obama
    d.answer("choose_reason", "choose", "damaged")
    return d


def _with_card(service: ServiceId, key: str) -> Callable[[Runtime, str | None], Driver]:
    def start(rt: Runtime, consent: str | None = "agree") -> Driver:
        d = Driver(rt, service, face_consent=consent)
        d.wait("read_id")
        d.id_reader.place(id_card(person(key)))
        d.wait("insert_card")
        c = chip(person(key), pin="111111")
        c.reset_pin_hook = hsm_reset_pin
        d.card_reader.insert(c)
        return d
    return start


def _contact(rt: Runtime, consent: str | None = "agree") -> Driver:
    d = Driver(rt, ServiceId.CONTACT_CHANGE, face_consent=consent)
    d.wait("read_id")
    d.id_reader.place(id_card(person("adult_active_card")))  # obama
    return d


STARTS: dict[str, tuple[Callable[[Runtime, str | None], Driver], str, str]] = {
    # service: (start, an impostor's face, the screen the service goes on with after the check)
    "apply": (_apply, BIDEN, "photo_choice"),
    "replace": (_replace, BIDEN, "fee_statement"),  # the fee is stated once the holder is known
    "loss_cancel": (_with_card(ServiceId.LOSS_CANCEL, "card_lost"), OBAMA, "confirm"),  # her face: biden
    "contact_change": (_contact, BIDEN, "contact_form"),
    "pin_reset": (_with_card(ServiceId.PIN_RESET, "adult_active_card"), BIDEN, "confirm"),
}


@pytest.fixture
def rt(runtime: Runtime) -> Iterator[Runtime]:
    yield runtime


@pytest.mark.parametrize("service", list(STARTS))
def test_each_service_goes_on_only_after_the_holders_face(rt: Runtime, service: str) -> None:
    start, _, after = STARTS[service]
    d = start(rt, "agree")
    d.wait(after, timeout=20)
    assert d.screens.index("face_consent") < d.screens.index("liveness") < d.screens.index(after)
    assert rt.devices.camera.frames_read > 0  # type: ignore[union-attr]
    d.send("cancel")
    d.end()


@pytest.mark.parametrize("service", list(STARTS))
def test_a_face_that_does_not_match_three_times_ends_at_the_counter(rt: Runtime, central: ServerHandle,
                                                                    service: str) -> None:
    start, impostor, after = STARTS[service]
    camera(rt).impostor(impostor)
    d = start(rt, "agree")
    for _ in range(SESSION_TRIES - 1):
        retry = d.wait("face_retry", timeout=20)
        assert retry.reasons == ("reason.face_mismatch",)
        d.send("retry")
    view, result = d.end(timeout=20)
    assert_ended(view, result, End.REFUSED, "reason.face_mismatch", "reason.go_to_counter")
    assert after not in d.screens
    # nothing was opened, replaced, unblocked or changed
    assert central_count(central, "applications", "kiosk_id = ?", rt.cfg.kiosk.id) == 0
    assert central_one(central, "SELECT status FROM cards WHERE card_no = 'A10000006'") == "loss_reported"
    assert central_count(central, "pin_authorizations") == 0


def test_disagreeing_leads_to_the_counter_and_captures_nothing(rt: Runtime) -> None:
    d = _contact(rt, consent=None)
    notice = d.wait("face_consent")
    assert notice.params["version"] == CONSENT_VERSION and set(notice.actions) == {"agree", "decline"}
    d.send("decline")
    view, result = d.end()
    assert_ended(view, result, End.REFUSED, "reason.face_consent_declined", "reason.go_to_counter")
    assert "home" in view.actions  # an ending with a way on, not a dead end
    assert camera(rt).frames_read == 0  # the camera was never read
    assert "liveness" not in d.screens


def test_session_ends_after_three_tries_even_with_tries_left_today(tmp_path: Path, central: ServerHandle) -> None:
    cfg = flow_config(tmp_path, central.url)
    cfg = dataclasses.replace(cfg, photo=dataclasses.replace(cfg.photo, face_failures_per_day=10))
    rt = Runtime(cfg, clock=FixedDateClock(TODAY))
    rt.start()
    try:
        rt.devices.camera = cam = HolderFaceCamera(rt.devices.id_reader)  # type: ignore[arg-type]
        cam.impostor(BIDEN)
        d = _contact(rt)
        for left in range(SESSION_TRIES - 1, 0, -1):
            assert d.wait("face_retry", timeout=20).params["attempts_left"] == str(left)
            d.send("retry")
        view, result = d.end(timeout=20)
        assert_ended(view, result, End.REFUSED, "reason.go_to_counter")
        assert "reason.face_attempts_exhausted" not in view.reasons  # tries are left today
        # a new session the same day starts over (7 tries left today): consent, then the camera
        d2 = _contact(rt)
        d2.wait("liveness", timeout=20)
        d2.send("cancel")
        d2.end()
    finally:
        rt.stop()


def test_the_daily_limit_spans_services(rt: Runtime) -> None:
    camera(rt).impostor(BIDEN)
    d = _contact(rt)  # three failures in a contact change …
    for _ in range(SESSION_TRIES - 1):
        d.wait("face_retry", timeout=20)
        d.send("retry")
    d.end(timeout=20)
    camera(rt).impostor(None)
    d2 = STARTS["pin_reset"][0](rt, "agree")  # … and the same ID card's PIN reset is refused at once
    view, result = d2.end()
    assert_ended(view, result, End.REFUSED, "reason.face_attempts_exhausted", "reason.go_to_counter")
    assert "face_consent" not in d2.screens


@pytest.mark.parametrize("service", [ServiceId.CONTACT_CHANGE, ServiceId.APPLY, ServiceId.REPLACE])
def test_offline_without_a_decoder_refuses_before_anything_starts(rt: Runtime, central: ServerHandle,
                                                                   service: ServiceId) -> None:
    d_reader = rt.devices.id_reader
    d_reader.decodes_photos = False  # type: ignore[union-attr]
    go_offline(rt, central)
    d = Driver(rt, service)
    view, result = d.end()
    assert_ended(view, result, End.REFUSED, "reason.face_check_offline", "reason.go_to_counter")
    assert "read_id" not in d.screens and camera(rt).frames_read == 0


def test_offline_with_a_decoder_checks_at_the_kiosk_and_queues_the_evidence(rt: Runtime,
                                                                            central: ServerHandle) -> None:
    go_offline(rt, central)
    d = _contact(rt)
    d.wait("contact_form", timeout=20)
    d.send("set_mobile", "13800000009")
    d.wait("contact_form")
    d.send("confirm")
    view, result = d.end()
    assert result.end is End.DONE and result.code == "pending", (view, result)
    body = _queued_body(rt, "/v1/persons/contact")
    assert body["identity_check"]["verified_by"] == "kiosk"
    assert body["identity_check"]["consent_version"] == CONSENT_VERSION
    assert body["identity_check"]["liveness_passed"] is True


def _queued_body(rt: Runtime, path: str) -> dict[str, Any]:
    """The queued request's body, opened as the forwarder would (the link is down, so it waits)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for item in rt.outbox.claim_due(10):
            if item.path == path:
                return dict(json.loads(item.body))
        time.sleep(0.1)
    raise AssertionError(f"nothing queued for {path}")


def test_without_a_decoder_the_central_compares(rt: Runtime, central: ServerHandle,
                                                caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    rt.devices.id_reader.decodes_photos = False  # type: ignore[union-attr]
    d = _contact(rt)
    d.wait("contact_form", timeout=20)
    assert rt.devices.id_reader.placed().photo_bmp is not None  # type: ignore[union-attr]  # not used: undecoded
    d.send("cancel")
    d.end()
    # the central's answer let it on; now someone else in front of the camera
    camera(rt).impostor(BIDEN)
    d2 = _contact(rt)
    assert d2.wait("face_retry", timeout=20).reasons == ("reason.face_mismatch",)
    d2.send("cancel")
    d2.end()
    p = person("adult_active_card")
    assert p["id_number"] not in caplog.text and p["id_number"][-8:] not in caplog.text
    assert not pii.ID_NUMBER.search(caplog.text)  # hal/pii.py's rule: no ID number at all
    assert "/9j/" not in caplog.text  # no JPEG (base64) in any log line


def test_the_central_without_a_portrait_sends_to_the_counter(rt: Runtime, central: ServerHandle) -> None:
    rt.devices.id_reader.decodes_photos = False  # type: ignore[union-attr]
    with central.central.db.transaction() as tx:
        tx.execute("UPDATE persons SET photo_jpeg_b64 = NULL WHERE id_number = ?",
                   (person("adult_active_card")["id_number"],))
    d = _contact(rt)
    view, result = d.end(timeout=20)
    assert_ended(view, result, End.REFUSED, "reason.no_reference_photo", "reason.go_to_counter")


@pytest.mark.parametrize("service", [ServiceId.ACTIVATE, ServiceId.PIN_CHANGE])
def test_activation_and_pin_change_need_card_and_pin_but_no_face(rt: Runtime, service: ServiceId) -> None:
    d = Driver(rt, service, face_consent=None)
    if service is ServiceId.ACTIVATE:
        d.wait("read_id")
        d.id_reader.place(id_card(person("recent_card_quality")))
        d.wait("insert_card")
        d.card_reader.insert(chip(person("recent_card_quality")))
        d.answer("confirm", "confirm")
    else:
        d.wait("insert_card")
        d.card_reader.insert(chip(person("adult_active_card")))
        d.type_pin("old_pin", "888888")
        d.type_pin("new_pin", "135790")
        d.type_pin("new_pin_again", "135790")
    view, result = d.end()
    assert_ended(view, result, End.DONE)
    assert not {"face_consent", "liveness"} & set(d.screens)
    assert camera(rt).frames_read == 0


def test_loss_report_offline_needs_no_face(rt: Runtime, central: ServerHandle) -> None:
    rt.devices.id_reader.decodes_photos = False  # type: ignore[union-attr]
    go_offline(rt, central)
    d = Driver(rt, ServiceId.LOSS_REPORT, face_consent=None)
    d.wait("read_id")
    d.id_reader.place(id_card(person("adult_active_card")))
    d.answer("confirm_offline", "confirm")
    view, result = d.end()
    assert result.end is End.DONE, (view, result)
    assert not {"face_consent", "liveness"} & set(d.screens)
    assert isinstance(rt.devices.camera, SimCamera) and camera(rt).frames_read == 0
