"""A synthetic sitter for the camera in screenshots: a drawn face, not a photograph of anyone.

Documentation must not show real people (the test portraits are of public figures). This face is
drawn with plain shapes on an even light background, yet dlib's HOG detector finds it and it
passes every photo check (frontal, eyes open, no hat, even background), so the camera flow runs
to its captured photo exactly as with a photograph.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]
SKIN = (150, 180, 225)  # BGR
HAIR = (40, 45, 55)


def synthetic_face(width: int = 480, height: int = 640) -> Image:
    """A BGR portrait (3:4) of nobody."""
    w, h = width, height
    img = np.full((h, w, 3), (235, 232, 228), np.uint8)
    cx, cy = w // 2, int(h * 0.42)
    fw, fh = int(w * 0.25), int(h * 0.24)
    cv2.ellipse(img, (cx, h + 40), (int(w * 0.48), int(h * 0.28)), 0, 180, 360, (90, 70, 60), -1)  # shoulders
    cv2.rectangle(img, (cx - fw // 2, cy + fh - 40), (cx + fw // 2, cy + fh + 90), (130, 160, 205), -1)  # neck
    cv2.ellipse(img, (cx, cy - 15), (fw + 22, fh + 20), 0, 180, 360, HAIR, -1)
    cv2.ellipse(img, (cx, cy), (fw, fh), 0, 0, 360, SKIN, -1)
    for s in (-1, 1):  # ears
        cv2.ellipse(img, (cx + s * fw, cy + 10), (16, 34), 0, 0, 360, (140, 170, 215), -1)
    cv2.ellipse(img, (cx, cy - fh + 30), (fw + 4, 60), 0, 180, 360, HAIR, -1)  # hairline above a bare forehead
    ey, ex = cy - int(fh * 0.12), int(fw * 0.42)
    for s in (-1, 1):
        c = (cx + s * ex, ey)
        cv2.ellipse(img, (c[0], ey - 38), (34, 7), 0, 0, 360, (50, 55, 65), -1)  # brow
        cv2.ellipse(img, c, (30, 14), 0, 0, 360, (245, 245, 245), -1)  # open eye
        cv2.circle(img, c, 11, (60, 70, 90), -1)
        cv2.circle(img, c, 5, (15, 15, 15), -1)
        cv2.ellipse(img, c, (30, 14), 0, 180, 360, (40, 40, 50), 3)
    ny = cy + int(fh * 0.28)
    cv2.fillConvexPoly(img, np.array([[cx, ey + 5], [cx - 20, ny], [cx + 20, ny]], np.int32), (125, 155, 200))
    cv2.ellipse(img, (cx, ny), (24, 10), 0, 0, 180, (100, 125, 170), -1)
    my = cy + int(fh * 0.55)
    cv2.ellipse(img, (cx, my), (44, 12), 0, 0, 360, (90, 90, 170), -1)
    cv2.line(img, (cx - 44, my), (cx + 44, my), (60, 60, 120), 2)
    # the face's sides a little darker: the detector's gradients need some relief
    inside = np.zeros((h, w), np.float32)
    cv2.ellipse(inside, (cx, cy), (fw, fh), 0, 0, 360, 1.0, -1)
    xx = np.arange(w, dtype=np.float32)[None, :].repeat(h, 0)
    side = np.clip(np.abs(xx - cx) / fw, 0, 1) ** 2 * 0.25
    shaded = (img.astype(np.float32) * (1 - inside * side)[..., None]).clip(0, 255).astype(np.uint8)
    return np.asarray(cv2.GaussianBlur(shaded, (5, 5), 0), dtype=np.uint8)
