"""The citizen's face in front of the simulator camera, for the flows' identity check (人证核验).

A ``HolderFaceCamera`` shows, blinking, the face of whoever's ID card lies on the simulated reader
(the holder in person: their seeded portrait), unless a test puts someone else in front of it
(``impostor``) or nobody. Frames are real photographs; the blink is painted (kiosk/photo/live_sim)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import cv2

from central_sim.seed import citizens
from hal.interfaces import Frame
from hal.sim.camera import SimCamera
from hal.sim.id_reader import SimIdCardReader
from kiosk.photo.live_sim import live_citizen
from tests.photo.conftest import faces_dir


@functools.cache
def blinking(path: str) -> tuple[Frame, ...]:
    """A live citizen: the portrait's person blinking in front of the camera."""
    img = cv2.imread(path)
    assert img is not None, path
    frames = live_citizen(img)  # type: ignore[arg-type]
    assert frames is not None, f"no framing of {path} blinks for the liveness check"
    return tuple(frames)


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


def holder_before_camera(rt: Any) -> None:
    """The runtime's camera shows the ID card's holder (a sim ID reader), dlib's models loaded first
    (once per process, before a flow's short idle timeout counts)."""
    from kiosk.photo.detector import get_models

    if isinstance(rt.devices.id_reader, SimIdCardReader):
        get_models()
        rt.devices.camera = HolderFaceCamera(rt.devices.id_reader)


def citizen_before_camera(rt: Any, id_number: str) -> None:
    """A citizen signed in without an ID card on the reader (an e-card) stands before the camera."""
    camera = rt.devices.camera
    assert isinstance(camera, HolderFaceCamera)
    camera.impostor(_portraits()[id_number])
