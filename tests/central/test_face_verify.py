"""POST /v1/identity/face-verify (issue 17 §1) over real HTTP with real photos: the central compares a
live JPEG with the portrait on record and answers match/score/threshold/reason, never a portrait."""

from __future__ import annotations

import json
import logging

import cv2
import pytest

from central_sim.seed import citizen
from central_sim.server import ServerHandle
from hal import pii
from kiosk.central.client import CentralClient
from kiosk.central.errors import CentralRejected
from tests.photo.conftest import faces_dir
from tests.photo.synth import kiosk_frame

CONSENT = "face-consent-2026-01"


def live_jpeg(name: str) -> bytes:
    """A camera-like 640x480 frame of the face, JPEG-encoded as the kiosk sends it."""
    img = cv2.imread(str(faces_dir() / name))
    assert img is not None
    ok, buf = cv2.imencode(".jpg", kiosk_frame(img), [cv2.IMWRITE_JPEG_QUALITY, 85])  # type: ignore[arg-type]
    assert ok
    return buf.tobytes()


def test_the_same_person_matches(client: CentralClient) -> None:
    p = citizen("adult_active_card")  # portrait on record: obama_portrait.jpg
    got = client.verify_face(p["id_number"], live_jpeg("obama_portrait.jpg"), CONSENT)
    assert got.match and got.reason == "face_matched"
    assert got.score > got.threshold >= 0.5


def test_another_person_does_not_match(client: CentralClient) -> None:
    p = citizen("card_lost")  # portrait on record: biden_portrait.jpg
    got = client.verify_face(p["id_number"], live_jpeg("obama_portrait.jpg"), CONSENT)
    assert not got.match and got.reason == "face_mismatch"
    assert got.score < got.threshold


def test_a_photo_without_a_face_is_no_face_live(client: CentralClient) -> None:
    p = citizen("adult_active_card")
    got = client.verify_face(p["id_number"], live_jpeg("coffee_no_face.png"), CONSENT)
    assert (got.match, got.reason) == (False, "no_face_live")


def test_no_portrait_on_record_is_refused(client: CentralClient) -> None:
    p = citizen("child_under_2")  # no photo on record
    with pytest.raises(CentralRejected) as err:
        client.verify_face(p["id_number"], live_jpeg("obama_portrait.jpg"), CONSENT)
    assert (err.value.status, err.value.code) == (422, "no_reference_photo")


def test_consent_version_and_liveness_are_required(central: ServerHandle, client: CentralClient) -> None:
    import base64

    import httpx

    p = citizen("adult_active_card")
    live = base64.b64encode(live_jpeg("obama_portrait.jpg")).decode()
    with httpx.Client(base_url=central.url, headers={"X-Kiosk-Id": "K1"}) as http:
        no_consent = http.post("/v1/identity/face-verify",
                               json={"id_number": p["id_number"], "live_jpeg_b64": live, "liveness_passed": True})
        no_liveness = http.post("/v1/identity/face-verify",
                                json={"id_number": p["id_number"], "live_jpeg_b64": live, "consent_version": CONSENT,
                                      "liveness_passed": False})
    assert no_consent.status_code == 400
    assert "missing_consent_version" in {r["code"] for r in no_consent.json()["error"]["reasons"]}
    assert no_liveness.status_code == 400
    assert "liveness_failed" in {r["code"] for r in no_liveness.json()["error"]["reasons"]}


def test_the_answer_holds_no_portrait_and_the_logs_no_id_number(client: CentralClient,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    p = citizen("adult_active_card")
    caplog.set_level(logging.DEBUG)
    got = client.verify_face(p["id_number"], live_jpeg("obama_portrait.jpg"), CONSENT)
    answer = json.dumps(got.model_dump())
    assert set(got.model_dump()) == {"match", "score", "threshold", "reason", "method"}
    assert len(answer) < 300  # no image, base64 or otherwise
    assert p["id_number"] not in caplog.text and not pii.ID_NUMBER.search(caplog.text)
