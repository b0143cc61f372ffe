"""The citizen's face in front of the simulator camera, for the flows' identity check (人证核验).

A ``HolderFaceCamera`` shows, blinking, the face of whoever's ID card lies on the simulated reader
(the holder in person: their seeded portrait), unless a test puts someone else in front of it
(``impostor``) or nobody. Frames are real photographs; the blink is painted (tests/photo/synth)."""

from __future__ import annotations

import functools
from pathlib import Path

import cv2
import numpy as np

from central_sim.seed import citizens
from hal.interfaces import Frame
from hal.sim.camera import SimCamera
from hal.sim.id_reader import SimIdCardReader
from kiosk.photo.detector import detect_faces
from kiosk.photo.liveness import LivenessChallenge
from tests.photo.conftest import faces_dir
from tests.photo.synth import blink_sequence, kiosk_frame


def _framings(img: Frame) -> list[Frame]:
    """The portrait as a 640x480 camera would see the citizen: close up, or a step back."""
    frames = [kiosk_frame(img)]
    scaled = cv2.resize(img, None, fx=0.9, fy=0.9)
    frame = np.full((480, 640, 3), 235, np.uint8)
    h, w = min(scaled.shape[0], 480), min(scaled.shape[1], 640)
    x = (640 - w) // 2
    frame[:h, x:x + w] = scaled[:h, :w]
    frames.append(frame)
    return frames


@functools.cache
def blinking(path: str) -> tuple[Frame, ...]:
    """A live citizen: the portrait as a camera frame, eyes open, shut, open. The painted blink must
    read as one (at some framings a portrait's lids keep their open landmarks): the first framing
    whose sequence passes the kiosk's own liveness challenge is used."""
    img = cv2.imread(path)
    assert img is not None, path
    for frame in _framings(img):  # type: ignore[arg-type]
        faces = detect_faces(frame)
        if not faces:
            continue
        seq = tuple(blink_sequence(frame, faces[0].landmarks))
        challenge = LivenessChallenge("blink", max_frames=3 * len(seq))
        for f in seq * 3:
            if challenge.feed(f).code == "liveness_passed" or challenge.status != "pending":
                break
        if challenge.status == "passed":
            return seq
    raise AssertionError(f"no framing of {path} blinks for the liveness check")


def face_file(name: str) -> str:
    return str(faces_dir() / name)


@functools.cache
def _portraits() -> dict[str, str]:
    """ID number → the seeded portrait file (the ID card's chip photo is made from it)."""
    from tests.flows.conftest import TODAY  # the seeded ID numbers depend on the day

    return {p["id_number"]: str(p["photo_path"]) for p in citizens(TODAY).values() if p.get("photo_path")}


class HolderFaceCamera(SimCamera):
    def __init__(self, id_reader: SimIdCardReader) -> None:
        super().__init__()
        self._reader = id_reader
        self._someone: str | None = None  # a face file shown instead of the holder's
        self._nobody = False
        self._i = 0

    def impostor(self, path: str | None) -> None:
        self._someone = path

    def nobody(self) -> None:
        self._nobody = True

    def read_frame(self) -> Frame | None:
        card = self._reader.placed()
        path = self._someone or (_portraits().get(card.id_number) if card is not None else None)
        if self._nobody or path is None or not Path(path).is_file():
            return super().read_frame()
        self._operation("read")
        self.frames_read += 1
        seq = blinking(path)
        self._i += 1
        return seq[self._i % len(seq)].copy()
