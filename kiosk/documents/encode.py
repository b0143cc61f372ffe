"""The page as a JPEG inside the configured size range: quality first, then resolution, comes down
until it fits; a file below the minimum is refused (it would be too poor to review)."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

Frame = npt.NDArray[np.uint8]
QUALITIES = (90, 85, 80, 75, 70, 65, 60, 55, 50, 45, 40)
MIN_SIDE = 600  # never shrink a page below this: the text would go


class DocumentSizeError(Exception):
    def __init__(self, code: str, size: int) -> None:
        super().__init__(f"{code}: {size} bytes")
        self.code = code  # "document_too_small" | "document_too_large"
        self.size = size


def _jpeg(img: Frame, quality: int) -> bytes:
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality, cv2.IMWRITE_JPEG_OPTIMIZE, 1])
    if not ok:
        raise DocumentSizeError("document_encode_failed", 0)
    return bytes(buf.tobytes())


def encode_within(page: Frame, min_bytes: int, max_bytes: int) -> bytes:
    img = page
    while True:
        data = b""
        for q in QUALITIES:
            data = _jpeg(img, q)
            if len(data) <= max_bytes:
                break
        if len(data) <= max_bytes:
            if len(data) < min_bytes:
                raise DocumentSizeError("document_too_small", len(data))
            return data
        h, w = img.shape[:2]
        if min(h, w) * 0.8 < MIN_SIDE:
            raise DocumentSizeError("document_too_large", len(data))
        img = np.ascontiguousarray(cv2.resize(img, (int(w * 0.8), int(h * 0.8)), interpolation=cv2.INTER_AREA),
                                   np.uint8)
