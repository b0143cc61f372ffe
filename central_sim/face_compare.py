"""The central's own face comparison (人证核验 without a WLT decoder at the kiosk).

The kiosk sends a live JPEG; the central compares it with the portrait on record for the person
and answers match / score / threshold / reason, never a portrait. The same method as the kiosk's
(dlib 68-landmark alignment + 128-d ResNet embedding, Euclidean distance), written here on its own
so that the reference central does not import the kiosk. Images are decoded with Pillow.
"""

from __future__ import annotations

import importlib.util
import io
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dlib
import numpy as np
import numpy.typing as npt
from PIL import Image, UnidentifiedImageError

METHOD = "central-dlib-resnet-128d-euclidean"
MAX_DISTANCE = 0.5  # the central's threshold: a match is a distance at most this (lower is stricter)
MIN_SIDE = 320  # references smaller than this (an ID-card sized photo) are upscaled before detection
MAX_SIDE = 640  # larger images are scaled down first: HOG cost grows with the pixel count

Rgb = npt.NDArray[np.uint8]
Embedding = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Comparison:
    match: bool
    distance: float | None  # None when a face was missing
    reason: str  # face_matched, face_mismatch, no_face_live, no_face_reference

    @property
    def score(self) -> float:
        """Similarity in [0, 1]: 1 - distance (0 when no comparison was possible)."""
        return 0.0 if self.distance is None else max(0.0, min(1.0, 1.0 - self.distance))

    @property
    def threshold(self) -> float:
        return 1.0 - MAX_DISTANCE


def _model_path(name: str) -> str:
    spec = importlib.util.find_spec("face_recognition_models")
    for root in (spec.submodule_search_locations or []) if spec else []:
        p = Path(root) / "models" / name
        if p.is_file():
            return str(p)
    raise FileNotFoundError(f"face_recognition_models has no models/{name}")


class _Models:
    def __init__(self) -> None:
        self.detector: Any = dlib.get_frontal_face_detector()
        self.predictor: Any = dlib.shape_predictor(_model_path("shape_predictor_68_face_landmarks.dat"))
        self.encoder: Any = dlib.face_recognition_model_v1(_model_path("dlib_face_recognition_resnet_model_v1.dat"))


_models: _Models | None = None
_lock = threading.Lock()  # dlib's objects are not documented as re-entrant; also guards the lazy load


def decode(data: bytes) -> Rgb | None:
    """JPEG/PNG/BMP bytes → RGB array, scaled into [MIN_SIDE, MAX_SIDE]; None when undecodable."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            rgb = img.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError):
        return None
    w, h = rgb.size
    if min(w, h) < MIN_SIDE:
        f = MIN_SIDE / float(min(w, h))
        rgb = rgb.resize((round(w * f), round(h * f)), Image.Resampling.BICUBIC)
    elif max(w, h) > MAX_SIDE:
        f = MAX_SIDE / float(max(w, h))
        rgb = rgb.resize((round(w * f), round(h * f)), Image.Resampling.LANCZOS)
    return np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8))


def embed(rgb: Rgb) -> Embedding | None:
    """The embedding of the largest face, or None when no face is found."""
    global _models
    with _lock:
        if _models is None:
            _models = _Models()
        rects = list(_models.detector(rgb, 0))
        if not rects:
            return None
        rect = max(rects, key=lambda r: r.width() * r.height())
        shape = _models.predictor(rgb, rect)
        return np.array(_models.encoder.compute_face_descriptor(rgb, shape), dtype=np.float64)


def compare(live_jpeg: bytes, reference: bytes) -> Comparison:
    """The live photo against the portrait on record."""
    ref_img = decode(reference)
    ref = embed(ref_img) if ref_img is not None else None
    if ref is None:
        return Comparison(False, None, "no_face_reference")
    live_img = decode(live_jpeg)
    live = embed(live_img) if live_img is not None else None
    if live is None:
        return Comparison(False, None, "no_face_live")
    d = float(np.linalg.norm(live - ref))
    ok = d <= MAX_DISTANCE
    return Comparison(ok, d, "face_matched" if ok else "face_mismatch")
