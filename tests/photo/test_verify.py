"""Face verification on real images and derived variants (ID-card-sized, brighter, JPEG)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from kiosk.photo.detector import Image, detect_faces, u8
from kiosk.photo.verify import METHOD, reference_embedding, verify


def id_card_photo(img: Image) -> Image:
    """A 102 × 126 head-and-shoulders crop, as the ID card's photo is."""
    f = detect_faces(img, min_score=0.0)[0]
    left, top, right, _ = f.box
    w, cx = right - left, (left + right) / 2
    x0, x1 = int(cx - 0.9 * w), int(cx + 0.9 * w)
    y0 = max(0, int(top - 0.6 * w))
    y1 = y0 + int((x1 - x0) * 126 / 102)
    return u8(cv2.resize(img[y0:y1, max(0, x0):x1], (102, 126), interpolation=cv2.INTER_AREA))


@pytest.fixture(scope="module")
def obama_id_bmp(obama: Image) -> bytes:
    ok, buf = cv2.imencode(".bmp", id_card_photo(obama))
    assert ok
    return buf.tobytes()


def test_live_frame_matches_the_id_card_photo(frame: Image, obama_id_bmp: bytes) -> None:
    m = verify(frame, obama_id_bmp, 0.6)
    assert m.matched and m.code == "face_matched"
    assert m.distance is not None and m.distance < 0.45
    assert m.threshold == 0.6 and m.method == METHOD
    assert m.score is not None and m.score > 0.55


def test_brightness_change_and_jpeg_compression_still_match(obama: Image, frame: Image) -> None:
    brighter = u8(cv2.convertScaleAbs(frame, alpha=1.0, beta=50))
    ok, jpg = cv2.imencode(".jpg", obama, [cv2.IMWRITE_JPEG_QUALITY, 20])
    assert ok
    m = verify(brighter, jpg.tobytes())
    assert m.matched, m


def test_different_people_do_not_match(biden: Image, obama_id_bmp: bytes, obama: Image) -> None:
    m = verify(biden, obama_id_bmp)
    assert not m.matched and m.code == "face_mismatch"
    assert m.distance is not None and m.distance > 0.7
    # a stricter threshold refuses what the default accepts; a lax one accepts anybody
    assert not verify(biden, obama, threshold=0.3).matched
    assert verify(biden, obama, threshold=1.2).matched


def test_reference_embedding_can_be_reused(frame: Image, biden: Image, obama_id_bmp: bytes) -> None:
    ref = reference_embedding(obama_id_bmp)
    assert ref is not None and ref.shape == (128,)
    assert verify(frame, ref).matched
    assert not verify(biden, ref).matched


def test_missing_faces_are_reported(coffee: Image, frame: Image, obama_id_bmp: bytes) -> None:
    assert verify(coffee, obama_id_bmp).code == "no_face_live"
    ok, cup = cv2.imencode(".jpg", coffee)
    assert ok
    assert verify(frame, cup.tobytes()).code == "no_face_reference"
    m = verify(frame, b"not an image")
    assert not m.matched and m.code == "no_face_reference" and m.distance is None
    assert verify(frame, b"").code == "no_face_reference"
    assert not np.isnan(verify(frame, frame).distance or 0.0)
