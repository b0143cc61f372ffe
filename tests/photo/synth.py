"""Synthetic frame sequences built from real face images, for the photo and liveness tests.

"Live" sequences: eyes painted shut with the skin colour for a few frames (a blink), or a
depth-weighted horizontal displacement (the nose moves more than the face outline, as in a
real head turn). "Printout" sequences: the same image repeated, or moved by rigid 2-D
transforms / a planar perspective tilt, as when someone holds up and moves a photo.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from kiosk.photo.detector import Image, u8
from kiosk.photo.live_sim import blink_sequence as blink_sequence  # the blink, shared with the simulator
from kiosk.photo.live_sim import close_eyes as close_eyes

Landmarks = npt.NDArray[np.float64]


def rigid(img: Image, dx: float, dy: float, angle_deg: float, scale: float) -> Image:
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), angle_deg, scale)
    m[:, 2] += np.array([dx, dy])
    return u8(cv2.warpAffine(img, m, (w, h), borderMode=cv2.BORDER_REPLICATE))


def printout_moves(img: Image, n: int = 12, seed: int = 7) -> list[Image]:
    """A held-up photo moving a little: random small translation, rotation and scale."""
    rng = np.random.default_rng(seed)
    return [
        rigid(img, float(rng.uniform(-12, 12)), float(rng.uniform(-8, 8)),
              float(rng.uniform(-4, 4)), float(rng.uniform(0.93, 1.07)))
        for _ in range(n)
    ]


def tilt_printout(img: Image, amount: float) -> Image:
    """A flat photo rotated about its vertical axis: a planar perspective warp (one side
    shrinks vertically and moves in)."""
    h, w = img.shape[:2]
    d = amount * h
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    shrink = abs(amount) * w * 0.6
    if amount >= 0:
        dst = np.array([[0, 0], [w - shrink, d], [w - shrink, h - d], [0, h]], np.float32)
    else:
        dst = np.array([[shrink, -d], [w, 0], [w, h], [shrink, h + d]], np.float32)
    m = cv2.getPerspectiveTransform(src, dst)
    return u8(cv2.warpPerspective(img, m, (w, h), borderMode=cv2.BORDER_REPLICATE))


def turn_head(img: Image, lm: Landmarks, shift_frac: float) -> Image:
    """A head turn approximated by depth: each pixel moves sideways in proportion to how far
    it stands out of the face plane (nose most, face outline least, background not at all).
    ``shift_frac``: the nose tip's shift as a fraction of the face width (+ = image right)."""
    h, w = img.shape[:2]
    fw = float(np.linalg.norm(lm[16] - lm[0]))
    nose = lm[30]
    centre = lm[27:36].mean(axis=0)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    # depth: a bump around the nose plus a broad dome over the face
    d_nose = np.exp(-(((xs - nose[0]) ** 2) + ((ys - nose[1]) ** 2)) / (2 * (0.12 * fw) ** 2))
    d_face = np.exp(-(((xs - centre[0]) ** 2) / (2 * (0.35 * fw) ** 2)
                      + ((ys - centre[1]) ** 2) / (2 * (0.55 * fw) ** 2)))
    depth = 0.7 * d_nose + 0.3 * d_face
    shift = shift_frac * fw * depth
    map_x = (xs - shift).astype(np.float32)
    return u8(cv2.remap(img, map_x, ys, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE))


def two_face_frame(a: Image, b: Image, height: int = 480) -> Image:
    """Two portraits side by side scaled to one frame height (two people in front of the camera)."""
    def fit(x: Image) -> Image:
        f = height / x.shape[0]
        return u8(cv2.resize(x, (round(x.shape[1] * f), height), interpolation=cv2.INTER_AREA))
    return u8(np.hstack([fit(a), fit(b)]))


def kiosk_frame(portrait: Image, top: int = 0, rows: int | None = None, size: tuple[int, int] = (640, 480)) -> Image:
    """A 4:3 camera-like frame from the upper part of a portrait (head and shoulders)."""
    w = portrait.shape[1]
    rows = rows if rows is not None else round(w * size[1] / size[0])
    return u8(cv2.resize(portrait[top:top + rows], size, interpolation=cv2.INTER_AREA))

