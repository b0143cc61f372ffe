"""Finding the page: the largest convex quadrilateral in the frame, its corners in order.

Two candidate masks, because platens differ: edges (Canny, closed) find a page on a busy desk, and
Otsu's threshold finds a light page on a dark mat even where its edges are soft. The largest
quadrilateral of either wins.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

Frame = npt.NDArray[np.uint8]
Corners = npt.NDArray[np.float32]  # 4×2: top-left, top-right, bottom-right, bottom-left

MIN_AREA_FRACTION = 0.04  # smaller than this is not a page lying on the platen
MAX_AREA_FRACTION = 0.92  # the frame's own outline (an empty platen thresholded) is not a page
MIN_CONTRAST = 12.0  # grey levels between the page and its surroundings
MIN_PAPER = 0.5  # of the quadrilateral's pixels look like paper (text and tables cover the rest)
PAPER_MAX_SATURATION = 60
PAPER_MIN_VALUE = 80
WORK_WIDTH = 640  # detection runs on a downscaled copy: faster, and paper texture does not matter


@dataclass(frozen=True)
class Page:
    corners: Corners  # in the frame's pixel coordinates
    area_fraction: float  # of the whole frame

    def touches_border(self, frame_size: tuple[int, int], margin: float = 0.01) -> bool:
        """A corner at the frame's edge: the page is probably cut off."""
        w, h = frame_size
        mx, my = w * margin, h * margin
        xs, ys = self.corners[:, 0], self.corners[:, 1]
        return bool((xs < mx).any() or (xs > w - 1 - mx).any() or (ys < my).any() or (ys > h - 1 - my).any())


def order_corners(pts: npt.NDArray[np.float32]) -> Corners:
    """Top-left, top-right, bottom-right, bottom-left (by coordinate sums and differences)."""
    pts = pts.reshape(4, 2).astype(np.float32)
    s = pts.sum(axis=1)
    d = np.diff(pts, axis=1).ravel()  # y - x
    return np.array([pts[np.argmin(s)], pts[np.argmin(d)], pts[np.argmax(s)], pts[np.argmax(d)]], np.float32)


def _paper(bgr: Frame) -> npt.NDArray[np.bool_]:
    """Pixels that look like paper under the lamp: light and nearly colourless."""
    hsv = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)
    return (hsv[..., 1] < PAPER_MAX_SATURATION) & (hsv[..., 2] > PAPER_MIN_VALUE)


def _masks(gray: npt.NDArray[np.uint8], paper: npt.NDArray[np.bool_]) -> list[npt.NDArray[np.uint8]]:
    blurred = cv2.GaussianBlur(gray, (5, 5), 0)
    edges = cv2.Canny(blurred, 40, 120)
    edges = cv2.morphologyEx(edges, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    _, bright = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    bright = cv2.morphologyEx(bright, cv2.MORPH_CLOSE, np.ones((9, 9), np.uint8))  # text lines
    sheet = cv2.morphologyEx(paper.astype(np.uint8) * 255, cv2.MORPH_CLOSE, np.ones((9, 9), np.uint8))
    sheet = cv2.morphologyEx(sheet, cv2.MORPH_OPEN, np.ones((5, 5), np.uint8))  # specks of white on a desk
    return [edges.astype(np.uint8), bright.astype(np.uint8), sheet.astype(np.uint8)]


def _quads(mask: npt.NDArray[np.uint8], min_area: float) -> list[tuple[float, npt.NDArray[np.float32]]]:
    contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    found: list[tuple[float, npt.NDArray[np.float32]]] = []
    for c in sorted(contours, key=cv2.contourArea, reverse=True)[:12]:
        area = float(cv2.contourArea(c))
        if area < min_area:
            break
        hull = cv2.convexHull(c)
        peri = cv2.arcLength(hull, True)
        for eps in (0.02, 0.03, 0.05):
            approx = cv2.approxPolyDP(hull, eps * peri, True)
            if len(approx) == 4 and cv2.isContourConvex(approx):
                found.append((float(cv2.contourArea(approx)), approx.astype(np.float32)))
                break
    return found


def _refine(gray: npt.NDArray[np.uint8], corners: Corners) -> Corners:
    """Sub-pixel corners: the quadrilateral's edges, not the contour's jagged steps."""
    pts = corners.reshape(-1, 1, 2).copy()
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 0.05)
    refined = cv2.cornerSubPix(gray, pts, (5, 5), (-1, -1), criteria)
    moved = np.linalg.norm(refined.reshape(4, 2) - corners, axis=1)
    return np.where((moved < 6)[:, None], refined.reshape(4, 2), corners).astype(np.float32)


def _looks_like_a_page(gray: npt.NDArray[np.uint8], paper: npt.NDArray[np.bool_],
                       quad: npt.NDArray[np.float32]) -> bool:
    """Mostly paper inside, and standing out from a band around it."""
    inside = np.zeros(gray.shape, np.uint8)
    cv2.fillConvexPoly(inside, quad.reshape(-1, 2).astype(np.int32), 255)
    band = cv2.dilate(inside, np.ones((15, 15), np.uint8))
    ring = (band > 0) & (inside == 0)
    if not ring.any() or float(paper[inside > 0].mean()) < MIN_PAPER:
        return False
    return abs(float(gray[inside > 0].mean()) - float(gray[ring].mean())) >= MIN_CONTRAST


def detect_page(frame: Frame) -> Page | None:
    """The page's corners, or None when no quadrilateral large enough lies on the platen.

    A whole page inside the frame is preferred to a larger shape cut by the frame's edge (a table
    edge on a cluttered desk); only when no whole one is there is a cut-off one reported."""
    h, w = frame.shape[:2]
    scale = min(1.0, WORK_WIDTH / w)
    small = cv2.resize(frame, (int(w * scale), int(h * scale)), interpolation=cv2.INTER_AREA) if scale < 1 else frame
    gray = np.ascontiguousarray(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), np.uint8)
    paper = _paper(np.ascontiguousarray(small, np.uint8))
    total = float(gray.shape[0] * gray.shape[1])
    pages: list[Page] = []
    for mask in _masks(gray, paper):
        for area, quad in _quads(mask, MIN_AREA_FRACTION * total):
            if area / total > MAX_AREA_FRACTION or not _looks_like_a_page(gray, paper, quad):
                continue
            pages.append(Page(order_corners(quad), area / total))
    if not pages:
        return None
    size = (int(gray.shape[1]), int(gray.shape[0]))
    whole = [p for p in pages if not p.touches_border(size)]
    best = max(whole or pages, key=lambda p: p.area_fraction)
    corners = _refine(gray, best.corners)
    return Page(corners=(corners / scale).astype(np.float32), area_fraction=best.area_fraction)
