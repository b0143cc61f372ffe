"""Service 7, 重置密码 (art. 32): ID card + card, liveness (blink) and face match against the ID
photo, GET CHALLENGE → central HSM authorisation → reset APDU; online only; face failures
limited per card per day (persisted)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator

import cv2
import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from central_sim.hsm import TEST_CARD_KEY
from central_sim.server import ServerHandle
from hal.interfaces import Frame
from hal.sim.camera import SimCamera
from hal.sim.card_reader import SimChip
from kiosk.domain.services import ServiceId
from kiosk.flows.base import End
from kiosk.flows.face_limits import MAX_FACE_FAILURES_PER_DAY
from kiosk.photo.detector import detect_faces
from kiosk.runtime import Runtime
from tests.flows.conftest import Driver, assert_ended, central_count, chip, go_offline, id_card, person
from tests.photo.conftest import faces_dir
from tests.photo.synth import blink_sequence, kiosk_frame


class ScriptedCamera(SimCamera):
    """A simulator camera that plays a frame sequence in a loop (a citizen blinking)."""

    def __init__(self, frames: list[Frame]) -> None:
        super().__init__()
        self.frames = frames
        self.i = 0

    def read_frame(self) -> Frame | None:
        self._operation("read")
        frame = self.frames[self.i % len(self.frames)]
        self.i += 1
        return frame


def blinking(name: str) -> list[Frame]:
    img = cv2.imread(str(faces_dir() / name))
    frame = kiosk_frame(img)  # type: ignore[arg-type]
    face = detect_faces(frame)[0]
    return blink_sequence(frame, face.landmarks)


def hsm_reset_pin(apdu_hex: str, challenge: bytes) -> str | None:
    """Card side of the reference HSM's PIN UNBLOCK (docs/chip-test-keys.md, public test key)."""
    apdu = bytes.fromhex(apdu_hex)
    sk = hmac.new(TEST_CARD_KEY, b"PIN-RESET" + challenge, hashlib.sha256).digest()[:16]
    if hmac.new(sk, apdu[:21], hashlib.sha256).digest()[:4] != apdu[21:25]:
        return None
    dec = Cipher(algorithms.AES(sk), modes.ECB()).decryptor()
    plain = dec.update(apdu[5:21]) + dec.finalize()
    return plain[1:1 + (plain[0] + 1) // 2].hex()[:plain[0]]


@pytest.fixture
def reset_runtime(runtime: Runtime, face_models: None) -> Iterator[Runtime]:
    yield runtime


def start(rt: Runtime, face: str, tries_left: int = 0, key: str = "adult_active_card") -> tuple[Driver, SimChip]:
    rt.devices.camera = ScriptedCamera(blinking(face))
    d = Driver(rt, ServiceId.PIN_RESET)
    d.wait("read_id")
    d.id_reader.place(id_card(person(key)))
    d.wait("insert_card")
    c = chip(person(key), pin="111111", tries_left=tries_left)
    c.reset_pin_hook = hsm_reset_pin
    d.card_reader.insert(c)
    return d, c


def test_locked_card_reset_after_liveness_and_face_match(reset_runtime: Runtime, central: ServerHandle) -> None:
    d, c = start(reset_runtime, "obama_portrait.jpg")
    hints = d.wait("liveness")
    assert hints.params["hint"]
    d.confirm_check()  # check your answers: the card and what happens next, before the new PIN
    d.type_pin("new_pin", "470258")
    d.type_pin("new_pin_again", "470258")
    view, result = d.end()
    assert_ended(view, result, End.DONE)
    assert c.pin == "470258" and c.tries_left == 6
    assert reset_runtime.forwarder.flush(timeout=10)
    assert central_count(central, "pin_events", "event = 'reset'") == 1
    assert central_count(central, "pin_authorizations") == 1


def test_face_mismatch_is_limited_per_card_per_day(reset_runtime: Runtime) -> None:
    d, _ = start(reset_runtime, "obama_portrait.jpg", key="card_lost")  # her ID photo is another face
    for _ in range(MAX_FACE_FAILURES_PER_DAY - 1):
        retry = d.wait("face_retry", timeout=20)
        assert retry.reasons == ("reason.face_mismatch",)
        d.send("retry")
    view, result = d.end(timeout=20)
    assert_ended(view, result, End.REFUSED, "reason.face_attempts_exhausted")
    # persisted: the same card is refused at once for the rest of the day
    d.card_reader.remove()
    d.id_reader.remove()
    d2, _ = start(reset_runtime, "obama_portrait.jpg", key="card_lost")
    view, result = d2.end()
    assert_ended(view, result, End.REFUSED, "reason.face_attempts_exhausted")
    assert "liveness" not in d2.screens


def test_pin_reset_needs_the_link(runtime: Runtime, central: ServerHandle) -> None:
    go_offline(runtime, central)
    d = Driver(runtime, ServiceId.PIN_RESET)
    view, result = d.end()
    assert_ended(view, result, End.FAULT)


def test_pin_reset_refuses_someone_elses_card(runtime: Runtime) -> None:
    d = Driver(runtime, ServiceId.PIN_RESET)
    d.wait("read_id")
    d.id_reader.place(id_card(person("adult_active_card")))
    d.wait("insert_card")
    d.card_reader.insert(chip(person("recent_card_quality")))
    view, result = d.end()
    assert_ended(view, result, End.REFUSED, "reason.card_holder_mismatch")


def test_card_pulled_during_liveness(reset_runtime: Runtime) -> None:
    d, _ = start(reset_runtime, "obama_portrait.jpg")
    d.wait("liveness")
    d.card_reader.remove()
    view, result = d.end()
    assert_ended(view, result, End.CARD_REMOVED)


def test_camera_fault_is_a_device_fault(reset_runtime: Runtime) -> None:
    d, _ = start(reset_runtime, "obama_portrait.jpg")
    d.wait("liveness")
    reset_runtime.devices.camera.steer("fail", op="read", code="camera_lost")  # type: ignore[union-attr]
    view, result = d.end()
    assert_ended(view, result, End.FAULT)
    assert result.code == "device.camera_lost"


def test_photo_on_record_when_the_id_photo_cannot_be_used(reset_runtime: Runtime) -> None:
    import dataclasses

    reset_runtime.devices.camera = ScriptedCamera(blinking("obama_portrait.jpg"))
    d = Driver(reset_runtime, ServiceId.PIN_RESET)
    d.wait("read_id")
    d.id_reader.place(dataclasses.replace(id_card(person("adult_active_card")), photo_bmp=None))  # no WLT decoder
    d.wait("insert_card")
    c = chip(person("adult_active_card"), pin="111111")
    c.reset_pin_hook = hsm_reset_pin
    d.card_reader.insert(c)
    d.confirm_check()  # check your answers: the card and what happens next, before the new PIN
    d.type_pin("new_pin", "470258")
    d.type_pin("new_pin_again", "470258")
    _, result = d.end()
    assert result.end is End.DONE and c.pin == "470258"
