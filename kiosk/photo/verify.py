"""Face verification (PIN reset, service 7): a live frame against a reference photo.

The reference is the ID card's photo (102 × 126 px once the WLT is decoded) or the photo on
record. Both faces go through dlib's 68-landmark alignment and its 128-d ResNet embedding;
the decision is Euclidean distance <= threshold (0.6 is the model's customary threshold;
lower is stricter). The ID card photo is too small for the HOG detector (~80 px minimum face),
so small references are upscaled before detection.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from kiosk.photo.detector import FaceDetection, Image, detect_boxes, face_descriptor, to_rgb, u8

METHOD = "dlib-resnet-128d-euclidean"
Embedding = npt.NDArray[np.float64]
SMALL_REFERENCE_MIN_SIDE = 320  # upscale references shorter than this (the ID photo is 126 high)
LIVE_MAX_SIDE = 400


@dataclass(frozen=True)
class FaceMatch:
    matched: bool
    distance: float | None  # None when a face was missing
    threshold: float
    method: str
    code: str  # messages key: face_matched, face_mismatch, no_face_live, no_face_reference

    @property
    def score(self) -> float | None:
        """A similarity in [0, 1] for display: 1 - distance, clipped."""
        return None if self.distance is None else max(0.0, min(1.0, 1.0 - self.distance))


def decode_image(data: bytes) -> Image | None:
    """JPEG, BMP or PNG bytes → BGR image; None when undecodable."""
    if not data:
        return None
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    return u8(img) if img is not None and img.size else None


def embed(image: Image, *, max_side: int = LIVE_MAX_SIDE, face: FaceDetection | None = None) -> Embedding | None:
    """The embedding of the largest face in ``image`` (or of ``face``); None when none found."""
    if face is not None:
        return face_descriptor(to_rgb(image), face.box)
    h, w = image.shape[:2]
    if min(h, w) < SMALL_REFERENCE_MIN_SIDE:
        f = SMALL_REFERENCE_MIN_SIDE / float(min(h, w))
        image = u8(cv2.resize(image, None, fx=f, fy=f, interpolation=cv2.INTER_CUBIC))
        max_side = max(image.shape[:2])
    rgb = to_rgb(image)
    boxes = detect_boxes(rgb, max_side=max_side, min_score=0.0)
    if not boxes:
        return None
    box = max(boxes, key=lambda b: (b[0][2] - b[0][0]) * (b[0][3] - b[0][1]))[0]
    return face_descriptor(rgb, box)


def reference_embedding(reference: bytes | Image) -> Embedding | None:
    """Embed the reference once (the flow may cache it across retries)."""
    img = decode_image(reference) if isinstance(reference, bytes) else reference
    return None if img is None else embed(img)


def verify(
    live_frame: Image,
    reference: bytes | Image | Embedding,
    threshold: float = 0.6,
    *,
    live_face: FaceDetection | None = None,
) -> FaceMatch:
    """Compare the live frame's face with the reference: encoded image bytes (JPEG/BMP/PNG),
    a BGR image, or an embedding from :func:`reference_embedding`."""
    ref: Embedding | None
    if isinstance(reference, bytes):
        ref = reference_embedding(reference)
    elif reference.ndim == 1:
        ref = reference.astype(np.float64)
    else:
        ref = reference_embedding(u8(reference))
    if ref is None:
        return FaceMatch(False, None, threshold, METHOD, "no_face_reference")
    live = embed(live_frame, face=live_face)
    if live is None:
        return FaceMatch(False, None, threshold, METHOD, "no_face_live")
    d = float(np.linalg.norm(live - ref))
    ok = d <= threshold
    return FaceMatch(ok, d, threshold, METHOD, "face_matched" if ok else "face_mismatch")
