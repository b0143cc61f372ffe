"""One frame judged: is a page there, whole, sharp and without glare; and has it lain still?"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from kiosk.documents.kinds import ASPECT, DocumentKind
from kiosk.documents.page import Page, detect_page
from kiosk.documents.quality import DEFAULT, Quality, Thresholds, measure, problems
from kiosk.documents.rectify import rectify

Frame = npt.NDArray[np.uint8]
STEADY_TOLERANCE = 0.01  # corners may move this fraction of the frame's diagonal between frames


@dataclass(frozen=True)
class Assessment:
    problems: tuple[str, ...]  # instruction codes; empty when the page is good
    page: Page | None = None
    quality: Quality | None = None
    image: Frame | None = field(default=None, repr=False)  # the straightened page

    @property
    def good(self) -> bool:
        return not self.problems and self.image is not None


def assess(frame: Frame, kind: DocumentKind, thresholds: Thresholds = DEFAULT) -> Assessment:
    page = detect_page(frame)
    if page is None:
        return Assessment(("no_page",))
    size = (int(frame.shape[1]), int(frame.shape[0]))
    if page.touches_border(size):
        return Assessment(("page_cut_off",), page)
    if page.area_fraction < thresholds.min_area_fraction:
        return Assessment(("page_too_small",), page)
    image = rectify(frame, page.corners, ASPECT[kind])
    q = measure(image, thresholds)
    return Assessment(problems(q, thresholds), page, q, image)


class Steadiness:
    """Counts consecutive frames whose page corners stayed put (a hand let go of the page)."""

    def __init__(self, tolerance: float = STEADY_TOLERANCE) -> None:
        self.tolerance = tolerance
        self._last: npt.NDArray[np.float32] | None = None
        self.count = 0

    def feed(self, page: Page | None, frame_size: tuple[int, int]) -> int:
        if page is None:
            self._last, self.count = None, 0
            return 0
        diag = float(np.hypot(*frame_size))
        if self._last is not None and float(np.abs(page.corners - self._last).max()) <= self.tolerance * diag:
            self.count += 1
        else:
            self.count = 1
        self._last = page.corners
        return self.count

    def reset(self) -> None:
        self._last, self.count = None, 0
