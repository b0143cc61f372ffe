"""Card-photo geometry (社会保障卡制证用数字相片): the published numbers and the crop plan.

Output 358 × 441 px; face width 179–255 px; top of the head 7–21 px from the top edge; eye
midpoint 162–196 px from the left edge; eye line at least 207 px above the bottom edge.
"Face width" is measured between landmarks 0 and 16 of the 68-point model (the face outline
at ear level), the measure the geometry test re-detects on the produced JPEG.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

PHOTO_W = 358
PHOTO_H = 441
FACE_W_RANGE = (179.0, 255.0)
HEAD_TOP_RANGE = (7.0, 21.0)
EYE_X_RANGE = (162.0, 196.0)
EYE_FROM_BOTTOM_MIN = 207.0
EYE_Y_MAX = PHOTO_H - EYE_FROM_BOTTOM_MIN

# targets inside the ranges, with room for landmark noise on re-detection
TARGET_FACE_W = 212.0
TARGET_HEAD_TOP = 14.0
TARGET_EYE_X = PHOTO_W / 2.0
SAFE_EYE_Y_MAX = EYE_Y_MAX - 8.0
SAFE_FACE_W_MIN = FACE_W_RANGE[0] + 8.0

# eye line to top of the head, as a multiple of the face width: used only to plan before the
# segmentation measures the real head top (adult anthropometry, hair adds some)
HEAD_ABOVE_EYES_PER_FACE_W = 0.75

Landmarks = npt.NDArray[np.float64]


def eye_centres(lm: Landmarks) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """(left-in-image, right-in-image) eye centres from the 68-point landmarks."""
    return lm[36:42].mean(axis=0), lm[42:48].mean(axis=0)


def face_width(lm: Landmarks) -> float:
    return float(np.linalg.norm(lm[16] - lm[0]))


@dataclass(frozen=True)
class CropPlan:
    """A similarity transform frame → photo: rotate by ``angle_deg`` about the eye midpoint,
    scale by ``scale``, and put the eye midpoint at (``eye_x``, ``eye_y``) in the photo."""

    scale: float
    angle_deg: float
    eye_mid: tuple[float, float]  # in the frame
    eye_x: float
    eye_y: float

    def matrix(self) -> npt.NDArray[np.float64]:
        a = math.radians(self.angle_deg)
        c, s = math.cos(a) * self.scale, math.sin(a) * self.scale
        ex, ey = self.eye_mid
        # rotation+scale about the eye midpoint, then translate it to the target
        m: npt.NDArray[np.float64] = np.array(
            [[c, s, self.eye_x - (c * ex + s * ey)], [-s, c, self.eye_y - (-s * ex + c * ey)]],
            dtype=np.float64,
        )
        return m

    def source_corners(self) -> npt.NDArray[np.float64]:
        """The photo's four corners mapped back into the frame."""
        m = np.vstack([self.matrix(), [0.0, 0.0, 1.0]])
        inv = np.linalg.inv(m)
        corners = np.array([[0, 0, 1], [PHOTO_W, 0, 1], [0, PHOTO_H, 1], [PHOTO_W, PHOTO_H, 1]], float)
        out: npt.NDArray[np.float64] = (inv @ corners.T).T[:, :2]
        return out


def plan_crop(lm: Landmarks, head_above_eyes: float | None = None) -> CropPlan:
    """Plan the crop from landmarks; ``head_above_eyes`` is the measured eye-line-to-head-top
    distance in frame pixels (None: estimated from the face width)."""
    le, re_ = eye_centres(lm)
    mid = (le + re_) / 2.0
    angle = math.degrees(math.atan2(re_[1] - le[1], re_[0] - le[0]))
    fw = face_width(lm)
    above = head_above_eyes if head_above_eyes is not None else HEAD_ABOVE_EYES_PER_FACE_W * fw
    scale = TARGET_FACE_W / fw
    eye_y = TARGET_HEAD_TOP + above * scale
    if eye_y > SAFE_EYE_Y_MAX:
        # tall head/hair: shrink so the eye line stays high enough, but keep the face wide enough
        scale = max((SAFE_EYE_Y_MAX - TARGET_HEAD_TOP) / above, SAFE_FACE_W_MIN / fw)
        eye_y = TARGET_HEAD_TOP + above * scale
    return CropPlan(scale=scale, angle_deg=angle, eye_mid=(float(mid[0]), float(mid[1])),
                    eye_x=TARGET_EYE_X, eye_y=eye_y)


def overflow(plan: CropPlan, width: int, height: int) -> tuple[float, float, float, float]:
    """How far (frame pixels) the photo's source area sticks out left, top, right, bottom."""
    c = plan.source_corners()
    return (
        max(0.0, -float(c[:, 0].min())),
        max(0.0, -float(c[:, 1].min())),
        max(0.0, float(c[:, 0].max()) - width),
        max(0.0, float(c[:, 1].max()) - height),
    )
