"""The document camera through ``cv2.VideoCapture``: a V4L2 device index or path from the config.

It is the kiosk's camera driver (hal.camera.opencv_camera.OpenCvCamera: reconnect after an unplug,
read/open timeouts, measured fps) with the document camera's own name, default resolution and
source: an empty ``source`` means index 1, the second UVC camera (index 0 is the face camera).
"""

from __future__ import annotations

import cv2

from hal.camera.opencv_camera import OpenCvCamera

DEFAULT_INDEX = 1  # the face camera is normally /dev/video0
DEFAULT_SIZE = (1600, 1200)  # a typical 2 MP document camera mode; a page needs ~150 dpi for review


def parse_source(source: str) -> int | str:
    """``""`` → the second camera; ``"2"`` → index 2; anything else is a device path (or a file)."""
    if not source:
        return DEFAULT_INDEX
    return int(source) if source.isdigit() else source


class OpenCvDocumentCamera(OpenCvCamera):
    """hal.doccam.DocumentCamera on OpenCV; the same status model as the face camera."""

    def __init__(self, source: str = "", *, width: int = DEFAULT_SIZE[0], height: int = DEFAULT_SIZE[1],
                 api_preference: int = cv2.CAP_ANY, reconnect_interval_s: float = 1.0) -> None:
        super().__init__(parse_source(source), width=width, height=height, name="document_camera",
                         api_preference=api_preference, reconnect_interval_s=reconnect_interval_s)
