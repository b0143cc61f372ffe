"""Is the straightened page good enough for a reviewer: sharp, without glare, lit?

Blur is the variance of the Laplacian on the page scaled to a fixed width (so a bigger page does
not score sharper); glare is the fraction of the page that is clipped white (the lamp reflected
in glossy paper or a plastic sleeve hides what is under it).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

Frame = npt.NDArray[np.uint8]
NORM_WIDTH = 800


@dataclass(frozen=True)
class Thresholds:
    min_sharpness: float = 120.0  # variance of the Laplacian at NORM_WIDTH
    max_glare: float = 0.01  # fraction of the page clipped at ≥ GLARE_LEVEL
    glare_level: int = 250
    min_brightness: float = 70.0  # mean grey of the page
    min_area_fraction: float = 0.12  # the page fills at least this much of the frame


DEFAULT = Thresholds()


@dataclass(frozen=True)
class Quality:
    sharpness: float
    glare: float
    brightness: float


def _normalised_gray(page: Frame) -> npt.NDArray[np.uint8]:
    gray = cv2.cvtColor(page, cv2.COLOR_BGR2GRAY)
    h, w = gray.shape
    return np.ascontiguousarray(cv2.resize(gray, (NORM_WIDTH, max(1, int(h * NORM_WIDTH / w))),
                                           interpolation=cv2.INTER_AREA), np.uint8)


def measure(page: Frame, thresholds: Thresholds = DEFAULT) -> Quality:
    gray = _normalised_gray(page)
    sharpness = float(cv2.Laplacian(gray, cv2.CV_64F).var())
    glare = float(np.count_nonzero(gray >= thresholds.glare_level)) / gray.size
    return Quality(sharpness=sharpness, glare=glare, brightness=float(gray.mean()))


def problems(q: Quality, thresholds: Thresholds = DEFAULT) -> tuple[str, ...]:
    """Every problem at once, as instruction codes (kiosk.documents.messages)."""
    found: list[str] = []
    if q.glare > thresholds.max_glare:
        found.append("glare")
    if q.sharpness < thresholds.min_sharpness:
        found.append("blurred")
    if q.brightness < thresholds.min_brightness:
        found.append("too_dark")
    return tuple(found)
