"""Fixtures for the photo tests: the real face images, loaded once, and the dlib models,
loaded once per session (the singleton in kiosk.photo.detector)."""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest

from kiosk.photo.detector import FaceDetection, Image, detect_faces, get_models, u8
from tests.photo.synth import kiosk_frame

_REPO_FACES = Path(__file__).resolve().parents[1] / "data" / "faces"
_SHARED_FACES = Path("/work/shared/data/faces")


def faces_dir() -> Path:
    """tests/data/faces when the HAL engineer's copy is there, else the shared originals."""
    return _REPO_FACES if (_REPO_FACES / "obama_portrait.jpg").is_file() else _SHARED_FACES


def load(name: str) -> Image:
    img = cv2.imread(str(faces_dir() / name), cv2.IMREAD_COLOR)
    assert img is not None, f"cannot read {name}"
    return u8(img)


@pytest.fixture(scope="session", autouse=True)
def _models_loaded_once() -> None:
    get_models()


@pytest.fixture(scope="session")
def obama() -> Image:
    return load("obama_portrait.jpg")


@pytest.fixture(scope="session")
def biden() -> Image:
    return load("biden_portrait.jpg")


@pytest.fixture(scope="session")
def astronaut() -> Image:
    return load("astronaut.png")


@pytest.fixture(scope="session")
def coffee() -> Image:
    return load("coffee_no_face.png")


@pytest.fixture(scope="session")
def frame(obama: Image) -> Image:
    """A 640 × 480 camera-like frame: the portrait's head and shoulders."""
    return kiosk_frame(obama)


@pytest.fixture(scope="session")
def frame_face(frame: Image) -> FaceDetection:
    faces = detect_faces(frame)
    assert len(faces) == 1
    return faces[0]
