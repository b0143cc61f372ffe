"""Synthetic document-camera scenes: a rendered page (text lines, table rules, a seal) warped in
perspective onto the platen, with the faults a real 高拍仪 shows (glare from the lamp, blur from a
moving hand, an empty platen). Used by the simulator, the emulator and the tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

Frame = npt.NDArray[np.uint8]
Corners = npt.NDArray[np.float32]  # 4×2: top-left, top-right, bottom-right, bottom-left

# Width / height of each document as it lies on the platen (mm ratios).
ASPECTS: dict[str, float] = {
    "household_register": 143 / 105,  # 户口簿 常住人口登记卡 page, landscape
    "birth_certificate": 210 / 148,  # 出生医学证明, landscape
    "authorisation_letter": 210 / 297,  # 授权委托书, A4 portrait
    "id_card": 85.6 / 54,  # 居民身份证
}
PAPER = (228, 232, 236)  # BGR: white paper under the lamp, not clipped
MAT = (60, 52, 48)  # the platen's dark mat


def render_page(kind: str, width: int = 840, seed: int = 1) -> Frame:
    """A document page of ``kind``: title, table rules, text lines and a red seal, on paper."""
    aspect = ASPECTS[kind]
    height = round(width / aspect)
    rng = np.random.default_rng(seed)
    page = np.full((height, width, 3), PAPER, np.uint8)
    margin = max(8, width // 18)
    ink = (40, 36, 34)
    title_h = max(10, height // 12)
    cv2.rectangle(page, (width // 4, margin), (3 * width // 4, margin + title_h), (90, 60, 50), -1)
    y = margin + title_h + max(6, height // 30)
    line_h = max(8, height // 22)
    if kind in ("household_register", "birth_certificate"):  # ruled tables
        cv2.rectangle(page, (margin, y), (width - margin, height - margin), ink, max(1, width // 400))
        for row_y in range(y + line_h, height - margin, line_h):
            cv2.line(page, (margin, row_y), (width - margin, row_y), ink, 1)
        cv2.line(page, (width // 3, y), (width // 3, height - margin), ink, 1)
    while y + line_h < height - margin:
        x = margin + 4
        while x < width - margin - 20:
            word = int(rng.integers(max(4, width // 40), max(6, width // 9)))
            x_end = min(x + word, width - margin - 4)
            cv2.rectangle(page, (x, y + line_h // 4), (x_end, y + 3 * line_h // 4), ink, -1)
            x = x_end + int(rng.integers(4, max(5, width // 40)))
        y += line_h
    cv2.putText(page, "No. 35010" + str(int(rng.integers(1000, 9999))), (margin, height - margin // 3),
                cv2.FONT_HERSHEY_SIMPLEX, max(0.3, width / 1600), ink, 1, cv2.LINE_AA)
    seal_r = max(6, min(width, height) // 9)
    cv2.circle(page, (width - margin - seal_r, height - margin - seal_r), seal_r, (40, 40, 200), max(2, seal_r // 8))
    return page


def default_corners(frame_size: tuple[int, int], aspect: float, fill: float = 0.7, tilt: float = 0.06) -> Corners:
    """Where a page of ``aspect`` lies: centred, ``fill`` of the frame, a little keystone (``tilt``)."""
    fw, fh = frame_size
    w = min(fw * fill, fh * fill * aspect)
    h = w / aspect
    cx, cy = fw / 2, fh / 2
    k = tilt * w
    return np.array([[cx - w / 2 + k, cy - h / 2], [cx + w / 2 - k, cy - h / 2],
                     [cx + w / 2, cy + h / 2], [cx - w / 2, cy + h / 2]], np.float32)


def platen(frame_size: tuple[int, int], background: Frame | None = None) -> Frame:
    """The empty platen: the dark mat, or a real photo as the surface (a cluttered desk)."""
    fw, fh = frame_size
    if background is not None:
        return np.ascontiguousarray(cv2.resize(background, (fw, fh), interpolation=cv2.INTER_AREA), np.uint8)
    frame = np.full((fh, fw, 3), MAT, np.uint8)
    noise = np.random.default_rng(0).integers(-6, 7, frame.shape)  # fabric, so the mat is not flat
    return np.ascontiguousarray(np.clip(frame.astype(np.int16) + noise, 0, 255), np.uint8)


def place(page: Frame, corners: Corners, frame_size: tuple[int, int], background: Frame | None = None) -> Frame:
    """Warp ``page`` onto the platen so that its corners land on ``corners``."""
    ph, pw = page.shape[:2]
    src = np.array([[0, 0], [pw - 1, 0], [pw - 1, ph - 1], [0, ph - 1]], np.float32)
    m = cv2.getPerspectiveTransform(src, corners.astype(np.float32))
    frame = platen(frame_size, background)
    warped = cv2.warpPerspective(page, m, frame_size, flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.full((ph, pw), 255, np.uint8), m, frame_size, flags=cv2.INTER_NEAREST)
    frame[mask > 0] = warped[mask > 0]
    return frame


def add_glare(frame: Frame, centre: tuple[int, int], radius: int) -> Frame:
    """The lamp's reflection on glossy paper: a clipped white spot with a soft rim."""
    out = frame.astype(np.float32)
    yy, xx = np.mgrid[0:frame.shape[0], 0:frame.shape[1]]
    d = np.sqrt((xx - centre[0]) ** 2 + (yy - centre[1]) ** 2) / max(1, radius)
    weight = np.clip(1.6 - d, 0.0, 1.0)[..., None]
    out = out * (1 - weight) + 255.0 * weight
    return np.ascontiguousarray(np.clip(out, 0, 255), np.uint8)


def add_blur(frame: Frame, kernel: int) -> Frame:
    k = kernel | 1
    return np.ascontiguousarray(cv2.GaussianBlur(frame, (k, k), 0), np.uint8)


@dataclass(frozen=True)
class Scene:
    """A steerable scene: which document lies on the platen, and which fault spoils the view."""

    kind: str | None = "household_register"  # None: the platen is empty
    fault: str = "none"  # none | glare | blur | no_page
    tilt: float = 0.06
    fill: float = 0.7
    seed: int = 1


FAULTS = ("none", "glare", "blur", "no_page")


def render(scene: Scene, frame_size: tuple[int, int], background: Frame | None = None) -> Frame:
    if scene.kind is None or scene.fault == "no_page":
        return platen(frame_size, background)
    aspect = ASPECTS[scene.kind]
    corners = default_corners(frame_size, aspect, scene.fill, scene.tilt)
    page_w = int(max(np.linalg.norm(corners[1] - corners[0]), np.linalg.norm(corners[2] - corners[3])))
    frame = place(render_page(scene.kind, max(64, page_w), scene.seed), corners, frame_size, background)
    if scene.fault == "glare":
        c = corners.mean(axis=0)
        frame = add_glare(frame, (int(c[0]), int(c[1])), int(0.12 * min(frame_size)))
    elif scene.fault == "blur":
        frame = add_blur(frame, max(9, min(frame_size) // 40))
    return frame
