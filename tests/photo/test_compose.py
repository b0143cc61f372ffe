"""The card photo: re-detect the face on the produced JPEG and check every spec number."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image as PILImage

from kiosk.photo.compose import PhotoError, compose_card_photo
from kiosk.photo.detector import FaceDetection, Image, detect_faces, u8
from kiosk.photo.settings import PhotoSettings

W, H = 358, 441


def measure(jpeg: bytes) -> dict[str, float]:
    """Geometry of a produced photo, measured from its pixels only."""
    img = u8(cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR))
    faces = detect_faces(img, max_side=1000, min_score=0.0)
    assert len(faces) == 1, "the photo must show exactly one face"
    lm = faces[0].landmarks
    le, re_ = lm[36:42].mean(axis=0), lm[42:48].mean(axis=0)
    mid = (le + re_) / 2.0
    fw = float(np.linalg.norm(lm[16] - lm[0]))
    # top of the head: first row where a quarter of a central band is not background-white
    band = img[:, int(mid[0] - fw / 4):int(mid[0] + fw / 4)].astype(np.int32)
    not_white = (255 - band.min(axis=2)) > 40
    rows = np.nonzero(not_white.mean(axis=1) >= 0.25)[0]
    return {
        "face_width": fw,
        "head_top": float(rows[0]),
        "eye_x": float(mid[0]),
        "eye_from_bottom": float(H - mid[1]),
        "corner_white": float(np.concatenate([img[:30, :30].ravel(), img[:30, -30:].ravel()]).mean()),
    }


def assert_spec(jpeg: bytes, min_bytes: int = 14 * 1024, max_bytes: int = 40 * 1024) -> dict[str, float]:
    assert jpeg[:2] == b"\xff\xd8"
    pil = PILImage.open(io.BytesIO(jpeg))
    assert pil.format == "JPEG" and pil.mode == "RGB" and pil.size == (W, H)  # 24-bit colour
    assert pil.info.get("dpi") == (350, 350)
    assert min_bytes <= len(jpeg) <= max_bytes
    m = measure(jpeg)
    assert 179 <= m["face_width"] <= 255, m
    assert 7 <= m["head_top"] <= 21, m
    assert 162 <= m["eye_x"] <= 196, m
    assert m["eye_from_bottom"] >= 207, m
    return m


def test_one_face_gives_a_compliant_photo(frame: Image, frame_face: FaceDetection) -> None:
    photo = compose_card_photo(frame, frame_face)
    m = assert_spec(photo.jpeg)
    assert photo.whitened and m["corner_white"] > 245
    g = photo.geometry
    assert g.head_top_method == "segmented" and not g.violations()
    # the composer's own report agrees with the re-detection
    assert abs(g.face_width - m["face_width"]) < 12
    assert abs(g.eye_mid_x - m["eye_x"]) < 6
    assert abs(g.head_top - m["head_top"]) < 6


@pytest.mark.parametrize("name", ["obama", "biden", "astronaut"])
def test_other_portraits_compose_to_spec(name: str, request: pytest.FixtureRequest) -> None:
    img: Image = request.getfixturevalue(name)
    face = detect_faces(img, min_score=0.0)[0]
    assert_spec(compose_card_photo(img, face).jpeg)


def test_configured_size_range_is_honoured(frame: Image, frame_face: FaceDetection) -> None:
    s = PhotoSettings(jpeg_min_bytes=9 * 1024, jpeg_max_bytes=20 * 1024)
    photo = compose_card_photo(frame, frame_face, s)
    assert 9 * 1024 <= photo.size_bytes <= 20 * 1024
    assert_spec(photo.jpeg, 9 * 1024, 20 * 1024)
    default = compose_card_photo(frame, frame_face)
    assert default.quality > photo.quality  # the search used the room it had


def test_impossible_size_range_is_an_error(frame: Image, frame_face: FaceDetection) -> None:
    with pytest.raises(PhotoError) as e:
        compose_card_photo(frame, frame_face, PhotoSettings(jpeg_min_bytes=300 * 1024, jpeg_max_bytes=400 * 1024))
    assert e.value.code == "photo_size"
    with pytest.raises(PhotoError) as e:
        compose_card_photo(frame, frame_face, PhotoSettings(jpeg_min_bytes=100, jpeg_max_bytes=1024))
    assert e.value.code == "photo_size"


def test_without_whitening_the_estimated_geometry_still_meets_spec(frame: Image, frame_face: FaceDetection) -> None:
    photo = compose_card_photo(frame, frame_face, PhotoSettings(whiten_background=False))
    assert not photo.whitened and photo.geometry.head_top_method == "estimated"
    img = u8(cv2.imdecode(np.frombuffer(photo.jpeg, np.uint8), cv2.IMREAD_COLOR))
    face = detect_faces(img, max_side=1000, min_score=0.0)[0]
    fw = float(np.linalg.norm(face.landmarks[16] - face.landmarks[0]))
    assert 179 <= fw <= 255


def test_same_frame_gives_the_same_photo(frame: Image, frame_face: FaceDetection) -> None:
    assert compose_card_photo(frame, frame_face).jpeg == compose_card_photo(frame, frame_face).jpeg


def test_tilted_head_is_levelled(frame: Image) -> None:
    h, w = frame.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), 8, 1.0)
    tilted = u8(cv2.warpAffine(frame, m, (w, h), borderMode=cv2.BORDER_REPLICATE))
    photo = compose_card_photo(tilted)
    img = u8(cv2.imdecode(np.frombuffer(photo.jpeg, np.uint8), cv2.IMREAD_COLOR))
    lm = detect_faces(img, max_side=1000, min_score=0.0)[0].landmarks
    le, re_ = lm[36:42].mean(axis=0), lm[42:48].mean(axis=0)
    assert abs(np.degrees(np.arctan2(re_[1] - le[1], re_[0] - le[0]))) < 3


def test_no_face_frame_is_refused(coffee: Image) -> None:
    with pytest.raises(PhotoError) as e:
        compose_card_photo(coffee)
    assert e.value.code == "no_face"


def _background_replaced(frame: Image, face: FaceDetection, kind: str) -> Image:
    """Everything outside the face outline replaced: random noise (a busy scene) or the
    skin's own colour (nothing to tell the head from the backdrop)."""
    lm = face.landmarks
    mask = np.zeros(frame.shape[:2], np.uint8)
    cv2.fillConvexPoly(mask, cv2.convexHull(lm[:27].astype(np.int32)), 255)
    out = frame.copy()
    n = int((mask == 0).sum())
    if kind == "noise":
        out[mask == 0] = np.random.default_rng(1).integers(0, 255, (n, 3), dtype=np.uint8)
    else:
        y, x = int(lm[29, 1]), int(lm[29, 0])
        out[mask == 0] = np.median(frame[y - 5:y + 5, x - 5:x + 5].reshape(-1, 3), axis=0).astype(np.uint8)
    return out


@pytest.mark.parametrize("kind", ["noise", "skin"])
def test_untrustworthy_cutout_asks_for_the_backdrop(frame: Image, frame_face: FaceDetection, kind: str) -> None:
    bad = _background_replaced(frame, frame_face, kind)
    with pytest.raises(PhotoError) as e:
        compose_card_photo(bad, frame_face)
    assert e.value.code == "background_uneven"
    # the same frame is accepted when the kiosk does not whiten (it has its own backdrop check)
    assert compose_card_photo(bad, frame_face, PhotoSettings(whiten_background=False)).size_bytes > 0
