"""dlib face models, loaded once per process, and face detection with 68 landmarks.

The HOG frontal detector, the 68-point shape predictor and the 128-d ResNet encoder take
about 1.5 s to load, so they are a lazy, thread-safe singleton. Detection runs on a frame
downscaled to ``detect_max_side`` (HOG cost grows with the pixel count; a kiosk face is large),
landmarks and embeddings on the full-resolution frame.
"""

from __future__ import annotations

import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import cv2
import dlib
import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]
Landmarks = npt.NDArray[np.float64]



def u8(a: object) -> Image:
    """OpenCV's stubs type every result as a generic array; its images here are uint8."""
    return cast(Image, a)


# the lowest score dlib is asked to return; callers apply their own thresholds above it
_RUN_THRESHOLD = -1.0


def model_path(name: str) -> str:
    """A file of the face_recognition_models package. Found through the import system rather
    than the package's own helpers, which import ``pkg_resources`` (gone from setuptools>=81)."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("face_recognition_models is not installed")
    for root in spec.submodule_search_locations:
        p = Path(root) / "models" / name
        if p.is_file():
            return str(p)
    raise FileNotFoundError(f"face_recognition_models has no models/{name}")


class FaceModels:
    """The three dlib models. Use :func:`get_models`; never construct per call."""

    def __init__(self) -> None:
        self.detector: Any = dlib.get_frontal_face_detector()
        self.predictor: Any = dlib.shape_predictor(model_path("shape_predictor_68_face_landmarks.dat"))
        self.encoder: Any = dlib.face_recognition_model_v1(model_path("dlib_face_recognition_resnet_model_v1.dat"))
        # dlib's objects are not documented as re-entrant: one caller at a time per model
        self.lock = threading.Lock()


_models: FaceModels | None = None
_models_lock = threading.Lock()


def get_models() -> FaceModels:
    """The process-wide models, loaded on first use."""
    global _models
    if _models is None:
        with _models_lock:
            if _models is None:
                _models = FaceModels()
    return _models


@dataclass(frozen=True)
class FaceDetection:
    """One detected face in frame coordinates."""

    box: tuple[int, int, int, int]  # left, top, right, bottom
    score: float
    landmarks: Landmarks  # (68, 2) x, y

    @property
    def width(self) -> int:
        return self.box[2] - self.box[0]

    @property
    def centre(self) -> tuple[float, float]:
        return ((self.box[0] + self.box[2]) / 2.0, (self.box[1] + self.box[3]) / 2.0)


def to_rgb(frame: Image) -> Image:
    if frame.ndim == 2:
        return u8(np.ascontiguousarray(cv2.cvtColor(frame, cv2.COLOR_GRAY2RGB)))
    return u8(np.ascontiguousarray(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)))


def detect_boxes(
    rgb: Image, *, max_side: int, min_score: float, upsample: int = 0
) -> list[tuple[tuple[int, int, int, int], float]]:
    """HOG detections with score >= ``min_score``, boxes scaled back to ``rgb`` coordinates,
    best first."""
    h, w = rgb.shape[:2]
    scale = min(1.0, max_side / float(max(h, w)))
    small = rgb if scale >= 1.0 else u8(cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA))
    models = get_models()
    with models.lock:
        rects, scores, _ = models.detector.run(np.ascontiguousarray(small), upsample, _RUN_THRESHOLD)
    out = []
    for r, s in zip(rects, scores, strict=True):
        if s < min_score:
            continue
        box = (round(r.left() / scale), round(r.top() / scale),
               round(r.right() / scale), round(r.bottom() / scale))
        out.append((box, float(s)))
    out.sort(key=lambda b: -b[1])
    return out


def landmarks_for(rgb: Image, box: tuple[int, int, int, int]) -> Landmarks:
    models = get_models()
    rect = dlib.rectangle(*box)
    with models.lock:
        shape = models.predictor(rgb, rect)
    return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)


def detect_faces(
    frame: Image, *, max_side: int = 400, min_score: float = -0.3, upsample: int = 0
) -> list[FaceDetection]:
    """Every face with score >= ``min_score``, with landmarks, best score first."""
    rgb = to_rgb(frame)
    return [
        FaceDetection(box=box, score=score, landmarks=landmarks_for(rgb, box))
        for box, score in detect_boxes(rgb, max_side=max_side, min_score=min_score, upsample=upsample)
    ]


def face_descriptor(rgb: Image, box: tuple[int, int, int, int]) -> npt.NDArray[np.float64]:
    """The 128-d embedding of the face in ``box`` (aligned by the 68 landmarks)."""
    models = get_models()
    rect = dlib.rectangle(*box)
    with models.lock:
        shape = models.predictor(rgb, rect)
        vec = models.encoder.compute_face_descriptor(rgb, shape)
    return np.array(vec, dtype=np.float64)
