"""Perspective correction: the page, seen from above, at its own aspect ratio."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from kiosk.documents.page import Corners

Frame = npt.NDArray[np.uint8]
MAX_SIDE = 1600  # ~190 dpi across an A4 page: readable for a reviewer, small enough to send


def measured_aspect(corners: Corners) -> float:
    """Width / height of the quadrilateral (mean of opposite sides)."""
    tl, tr, br, bl = corners
    width = float(np.linalg.norm(tr - tl) + np.linalg.norm(br - bl)) / 2
    height = float(np.linalg.norm(bl - tl) + np.linalg.norm(br - tr)) / 2
    return width / max(height, 1e-6)


def output_size(corners: Corners, aspect: float | None, max_side: int = MAX_SIDE) -> tuple[int, int]:
    """(width, height): the page's own aspect (or the measured one), at the resolution the frame holds."""
    tl, tr, br, bl = corners
    seen = max(float(np.linalg.norm(p - q)) for p, q in ((tr, tl), (br, bl), (bl, tl), (br, tr)))
    a = aspect if aspect is not None else measured_aspect(corners)
    long_side = min(float(max_side), seen)
    return (round(long_side), round(long_side / a)) if a >= 1 else (round(long_side * a), round(long_side))


def rectify(frame: Frame, corners: Corners, aspect: float | None = None, max_side: int = MAX_SIDE) -> Frame:
    """The page cut out and straightened. ``aspect``: the document's known width/height. A page lying
    rotated by a quarter turn (its measured aspect on the other side of 1) is turned upright first."""
    if aspect is not None and (measured_aspect(corners) >= 1) != (aspect >= 1):
        corners = np.roll(corners, -1, axis=0)  # start from the top-right: a quarter turn
    w, h = output_size(corners, aspect, max_side)
    dst = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float32)
    m = cv2.getPerspectiveTransform(corners.astype(np.float32), dst)
    return np.ascontiguousarray(cv2.warpPerspective(frame, m, (w, h), flags=cv2.INTER_CUBIC), np.uint8)
