"""Document capture in the services (arts. 16, 18, 51), end to end: a kiosk Runtime on simulators
(the document camera renders real pages that kiosk.documents must find), the reference central
over HTTP, online and offline. The images travel encrypted through the queue and the central keeps
them for review; no image byte reaches a log or the kiosk's disk in clear."""

from __future__ import annotations

import base64
import logging
from pathlib import Path

import cv2
import numpy as np
import pytest

from central_sim.documents import pending_review
from central_sim.server import ServerHandle
from hal.sim.document_camera import SimDocumentCamera
from kiosk.domain.services import ServiceId
from kiosk.flows.base import End, View
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
from tests.flows.test_apply import fill_details, take_and_skip_pin

COUNTER = "reason.document_counter_referral"


def doccam(rt: Runtime) -> SimDocumentCamera:
    cam = rt.devices.document_camera
    assert isinstance(cam, SimDocumentCamera)
    return cam


def reviewed(central: ServerHandle) -> list[dict[str, object]]:
    with central.central.db.read() as tx:
        return pending_review(tx)


def jpegs(central: ServerHandle) -> list[bytes]:
    with central.central.db.read() as tx:
        rows = tx.all("SELECT jpeg_b64 FROM documents ORDER BY received_at, document_id")
    return [base64.b64decode(r["jpeg_b64"]) for r in rows]


def disk_bytes(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file())


def capture(d: Driver, kind: str) -> View:
    """Lay ``kind`` on the platen; the kiosk takes it when it is good and still; confirm the preview."""
    doccam(d.rt).steer("document", kind=kind)
    preview = d.wait("document_preview")
    d.send("confirm")
    return preview


def guardian_start(rt: Runtime, proof: str = "birth_certificate") -> Driver:
    d = Driver(rt, ServiceId.APPLY)
    d.wait("read_id")
    d.id_reader.place(id_card(person("child_under_2")))
    d.wait("read_guardian_id")
    d.id_reader.place(id_card(person("adult_active_card")))
    choice = d.wait("document_choice")
    assert [c[0] for c in choice.choices] == ["household_register", "birth_certificate"]
    doccam(rt).steer("document", kind="none")  # the guardian has not laid it down yet
    d.send("choose", proof)
    first = d.wait("document_place")
    assert first.message == f"prompt.doc_place_{proof}" and first.params["hint"] == "no_page"
    return d


# ---- guardian: proof of relationship ---------------------------------------------------------------
def test_guardian_proof_recorded_for_review_and_the_card_issued(runtime: Runtime, central: ServerHandle,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    d = guardian_start(runtime)
    preview = capture(d, "birth_certificate")
    shown = runtime.preview.latest()  # the platen on the screen: the frame the kiosk captured from
    assert shown is not None and shown[1].shape == (960, 1280, 3)
    limits = runtime.cfg.documents
    assert limits.jpeg_min_kb * 1024 <= int(preview.params["bytes"]) <= limits.jpeg_max_kb * 1024
    d.answer("photo_optional", "no_photo")  # under 2: the guardian's choice (art. 16)
    fill_details(d)
    take_and_skip_pin(d)
    view, result = d.end()
    assert_ended(view, result, End.DONE)
    assert result.code == "issued"
    rows = reviewed(central)
    assert len(rows) == 1
    row = rows[0]
    assert (row["purpose"], row["kind"], row["service"]) == ("guardian", "birth_certificate", "apply")
    assert row["subject_id_number"] == person("child_under_2")["id_number"]
    assert row["presenter_id_number"] == person("adult_active_card")["id_number"]
    (jpeg,) = jpegs(central)
    page = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert page is not None and page.shape[1] / page.shape[0] == pytest.approx(210 / 148, rel=0.02)
    b64 = base64.b64encode(jpeg).decode()
    assert b64[:40] not in caplog.text and "/9j/" not in caplog.text  # no image in any log line


def test_glare_then_blur_are_told_and_a_retake_is_allowed(runtime: Runtime, central: ServerHandle) -> None:
    d = guardian_start(runtime, "household_register")
    cam = doccam(runtime)
    cam.steer("fault", kind="glare")
    cam.steer("document", kind="household_register")
    assert d.wait("document_place", where=lambda v: v.params["hint"] == "glare").message == "prompt.doc_glare"
    cam.steer("fault", kind="blur")
    assert d.wait("document_place", where=lambda v: v.params["hint"] == "blurred").message == "prompt.doc_blurred"
    cam.steer("fault", kind="none")
    d.wait("document_preview")
    d.send("retake")
    d.wait("document_preview")
    d.send("confirm")
    d.answer("photo_optional", "no_photo")
    fill_details(d)
    take_and_skip_pin(d)
    _, result = d.end()
    assert result.code == "issued"
    assert [r["kind"] for r in reviewed(central)] == ["household_register"]


def test_retakes_run_out_then_the_counter(runtime: Runtime, central: ServerHandle) -> None:
    d = guardian_start(runtime)
    doccam(runtime).steer("document", kind="birth_certificate")
    for _ in range(runtime.cfg.documents.retakes + 1):
        d.wait("document_preview")
        d.send("retake")
    view, result = d.end()
    assert_ended(view, result, End.REFUSED, COUNTER)
    assert result.code == "document_not_captured"
    assert central_count(central, "documents") == 0
    assert central_count(central, "applications", "kiosk_id = ?", runtime.cfg.kiosk.id) == 0


@pytest.mark.parametrize("fault", ["unplug", "none_configured"])
def test_no_document_camera_sends_the_guardian_to_the_counter(runtime: Runtime, central: ServerHandle,
                                                               fault: str) -> None:
    if fault == "unplug":
        doccam(runtime).steer("unplug")
    else:
        runtime.devices.document_camera = None
    d = Driver(runtime, ServiceId.APPLY)
    d.wait("read_id")
    d.id_reader.place(id_card(person("child_under_2")))
    d.wait("read_guardian_id")
    d.id_reader.place(id_card(person("adult_active_card")))
    view, result = d.end()
    assert_ended(view, result, End.REFUSED, COUNTER)
    assert "document_choice" not in d.screens
    assert central_count(central, "applications", "kiosk_id = ?", runtime.cfg.kiosk.id) == 0


def test_offline_guardian_proof_queued_encrypted_then_delivered(tmp_path: Path, central: ServerHandle,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    rt = make_runtime(tmp_path, central, offline={"accept_applications_for_later": True})
    try:
        go_offline(rt, central)
        d = guardian_start(rt)
        capture(d, "birth_certificate")
        d.answer("insured_question", "declare_insured")  # offline the register cannot say (issue 17 §4)
        d.answer("photo_optional", "no_photo")
        fill_details(d)
        d.wait("delivery_choice")
        d.send("choose", "pickup")
        _, result = d.end()
        assert result.code == "accepted_for_later"
        assert central_count(central, "documents") == 0
        on_disk = disk_bytes(Path(rt.cfg.kiosk.data_dir))
        central.faults.clear()
        rt.link.report_success()
        assert rt.forwarder.flush(timeout=15)
        (jpeg,) = jpegs(central)
        b64 = base64.b64encode(jpeg)
        assert jpeg[:64] not in on_disk and b64[:64] not in on_disk  # the queue held it encrypted only
        assert b64[:40].decode() not in caplog.text
        row = reviewed(central)[0]
        assert row["kind"] == "birth_certificate" and row["kiosk_id"] == rt.cfg.kiosk.id
        # the proof is ordered before the application it supports, and both arrived
        assert central_count(central, "applications", "kiosk_id = ?", rt.cfg.kiosk.id) == 1
        assert rt.outbox.undelivered() == 0
    finally:
        rt.stop()


# ---- proxy (art. 51) ---------------------------------------------------------------------------------
def proxy_start(rt: Runtime, service: str, proxy_key: str = "adult_never_applied",
                principal_key: str = "replacement_in_progress") -> Driver:
    d = Driver(rt, ServiceId.PROXY)
    choice = d.wait("proxy_service")
    assert {c[0] for c in choice.choices} <= {"progress_query", "contact_change"}
    d.send("choose", service)
    d.wait("read_proxy_id")
    d.id_reader.place(id_card(person(proxy_key)))
    d.wait("read_principal_id")
    d.id_reader.place(id_card(person(principal_key)))
    return d


def test_proxy_progress_query_with_letter_and_both_id_cards(runtime: Runtime, central: ServerHandle) -> None:
    d = proxy_start(runtime, "progress_query")
    for kind in ("authorisation_letter", "id_card", "id_card"):
        capture(d, kind)
    d.confirm_check("confirm_documents")  # the summary before the documents go to the central
    apps = d.wait("applications")
    assert apps.choices[0][0] == "APP-SEED-0007"  # the principal's applications, not the proxy's
    d.send("home")
    d.wait("done")
    d.send("home")
    result = runtime.wait_idle(5)
    assert result is not None and result.end is End.DONE
    rows = reviewed(central)
    assert sorted(str(r["kind"]) for r in rows) == ["authorisation_letter", "principal_id_card", "proxy_id_card"]
    assert {r["purpose"] for r in rows} == {"proxy"} and len({r["case_id"] for r in rows}) == 1
    assert {r["subject_id_number"] for r in rows} == {person("replacement_in_progress")["id_number"]}
    assert {r["presenter_id_number"] for r in rows} == {person("adult_never_applied")["id_number"]}


def test_proxy_contact_change_offline_queued_then_recorded(runtime: Runtime, central: ServerHandle) -> None:
    go_offline(runtime, central)
    d = proxy_start(runtime, "contact_change", principal_key="adult_active_card")
    assert [c[0] for c in d.seen[0].choices] == ["contact_change"]  # no progress query without the link
    for kind in ("authorisation_letter", "id_card", "id_card"):
        capture(d, kind)
    d.confirm_check("confirm_documents")  # the summary before the documents go to the central
    d.wait("contact_form")
    d.send("set_mobile", "13700000000")
    d.wait("contact_form")
    d.send("confirm")
    view, result = d.end()
    # offline the new mobile cannot be confirmed by SMS: queued, marked unverified (art. 16)
    assert view.message == "prompt.contact_pending_unverified" and result.code == "pending"
    assert central_count(central, "documents") == 0
    central.faults.clear()
    runtime.link.report_success()
    assert runtime.forwarder.flush(timeout=15)
    assert central_count(central, "documents", "purpose = 'proxy' AND service = 'contact_change'") == 3
    principal = person("adult_active_card")["id_number"]
    assert central_one(central, "SELECT mobile FROM persons WHERE id_number = ?", principal) == "13700000000"


def test_proxy_contact_change_whose_papers_the_central_refused_is_not_applied(runtime: Runtime,
                                                                            central: ServerHandle) -> None:
    from central_sim.faults import FaultRule

    go_offline(runtime, central)
    d = proxy_start(runtime, "contact_change", principal_key="adult_active_card")
    for kind in ("authorisation_letter", "id_card", "id_card"):
        capture(d, kind)
    d.confirm_check("confirm_documents")
    d.wait("contact_form")
    d.send("set_mobile", "13700000000")
    d.wait("contact_form")
    d.send("confirm")
    assert d.end()[1].code == "pending"
    principal = person("adult_active_card")["id_number"]
    before = central_one(central, "SELECT mobile FROM persons WHERE id_number = ?", principal)
    central.faults.clear()  # the link is back, but the central refuses every paper
    central.faults.add(FaultRule.from_dict({"path": "/v1/documents", "error_rate": 1.0, "error_status": 422}))
    runtime.link.report_success()
    runtime.forwarder.flush(timeout=15)
    assert central_count(central, "documents") == 0
    # before, the change went through on no papers: a refused paper no longer holds the principal's key
    assert central_one(central, "SELECT mobile FROM persons WHERE id_number = ?", principal) == before
    [kept] = runtime.central.application_status(principal).refused_requests
    assert (kept.service, kept.code) == ("contact_change", "proxy_documents_missing")


def test_proxy_may_not_do_financial_services(runtime: Runtime, central: ServerHandle) -> None:
    d = Driver(runtime, ServiceId.PROXY)
    choice = d.wait("proxy_service")
    assert "apply" not in {c[0] for c in choice.choices}
    d.send("choose", "apply")  # not offered; a forged tap is refused all the same
    view, result = d.end()
    assert_ended(view, result, End.REFUSED, "reason.proxy_financial_counter")


def test_proxy_must_be_an_adult(runtime: Runtime, central: ServerHandle) -> None:
    d = Driver(runtime, ServiceId.PROXY)
    d.wait("proxy_service")
    d.send("choose", "progress_query")
    d.wait("read_proxy_id")
    d.id_reader.place(id_card(person("child_under_14")))
    view, result = d.end()
    assert_ended(view, result, End.REFUSED, "reason.proxy_not_adult")
    assert central_count(central, "documents") == 0
