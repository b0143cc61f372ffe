"""POST /v1/documents at the reference central: the documents a guardian or proxy captured, kept for
review; every problem told at once; a proxy only for non-financial services (art. 51)."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import cv2
import httpx
import numpy as np

from central_sim.documents import pending_review
from central_sim.server import ServerHandle
from kiosk.demo import citizen
from tests.central.tls_fixtures import KIOSK_ID

CHILD = citizen("child_under_2")["id_number"]
GUARDIAN = citizen("adult_active_card")["id_number"]
MINOR = citizen("child_under_14")["id_number"]


def page_jpeg() -> str:
    img = np.full((600, 800, 3), 230, np.uint8)
    for y in range(60, 560, 24):
        cv2.line(img, (40, y), (760, y), (30, 30, 30), 3)
    ok, buf = cv2.imencode(".jpg", img)
    assert ok
    return base64.b64encode(buf.tobytes()).decode()


def body(**over: Any) -> dict[str, Any]:
    return {"case_id": str(uuid.uuid4()), "service": "apply", "purpose": "guardian", "kind": "household_register",
            "subject_id_number": CHILD, "presenter_id_number": GUARDIAN, "captured_at": "2026-01-01T10:00:00+08:00",
            "jpeg_b64": page_jpeg(), "sharpness": 812.5, "glare": 0.001, **over}


def post(admin: httpx.Client, payload: dict[str, Any], key: str | None = None) -> httpx.Response:
    return admin.post("/v1/documents", json=payload,
                      headers={"X-Kiosk-Id": KIOSK_ID, "Idempotency-Key": key or str(uuid.uuid4())})


def codes(resp: httpx.Response) -> set[str]:
    return {r["code"] for r in resp.json()["error"]["reasons"]}


def test_a_document_is_kept_for_review_once(admin: httpx.Client, central: ServerHandle) -> None:
    payload, key = body(), str(uuid.uuid4())
    first = post(admin, payload, key)
    assert first.status_code == 201, first.text
    assert first.json()["review_status"] == "pending_review"
    again = post(admin, payload, key)  # the queue's retry: the same answer, nothing stored twice
    assert again.json()["document_id"] == first.json()["document_id"]
    with central.central.db.read() as tx:
        rows = pending_review(tx, CHILD)
        stored = tx.one("SELECT jpeg_b64 FROM documents")
    assert len(rows) == 1 and rows[0]["kind"] == "household_register" and rows[0]["kiosk_id"] == KIOSK_ID
    assert stored is not None and stored["jpeg_b64"] == payload["jpeg_b64"]


def test_every_problem_at_once_and_nothing_stored(admin: httpx.Client, central: ServerHandle) -> None:
    resp = post(admin, body(purpose="proxy", kind="household_register", service="apply",
                            presenter_id_number=MINOR, jpeg_b64=base64.b64encode(b"GIF89a" * 500).decode()))
    assert resp.status_code == 400
    assert codes(resp) == {"invalid_kind", "service_not_allowed_for_proxy", "presenter_not_adult", "invalid_jpeg"}
    resp = post(admin, body(kind="unit_letter", subject_id_number=GUARDIAN, jpeg_b64="not base64!"))
    assert codes(resp) == {"invalid_kind", "presenter_is_subject", "invalid_jpeg_b64"}
    resp = post(admin, {"purpose": "guardian"})
    assert {"missing_case_id", "missing_kind", "missing_jpeg_b64", "missing_subject_id_number"} <= codes(resp)
    with central.central.db.read() as tx:
        assert pending_review(tx) == []


def test_a_proxy_for_a_non_financial_service(admin: httpx.Client) -> None:
    for kind in ("authorisation_letter", "principal_id_card", "proxy_id_card"):
        resp = post(admin, body(purpose="proxy", service="contact_change", kind=kind,
                                subject_id_number=GUARDIAN, presenter_id_number=citizen("adult_never_applied")[
                                    "id_number"]))
        assert resp.status_code == 201, resp.text


def test_the_body_shape_is_the_contract(admin: httpx.Client) -> None:
    resp = post(admin, body(glare=2.0, sharpness="sharp"))
    assert resp.status_code == 422
    assert {"invalid_glare", "invalid_sharpness"} <= codes(resp)
