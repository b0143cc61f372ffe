"""The document camera (高拍仪): a second UVC camera looking down at a platen, through OpenCV.

The device only delivers frames; finding the page, straightening it and judging its quality is
the application's (kiosk.documents), so a kiosk may swap the camera without touching a rule.
"""

from __future__ import annotations

from typing import Protocol

from hal.interfaces import Camera


class DocumentCamera(Camera, Protocol):
    """``hal.interfaces.Camera`` (``read_frame`` → BGR frame or None) for the document platen.

    ``read_frame`` returning None is a normal outcome (no frame this time; the driver reconnects
    by itself); a missing or broken device shows in ``status()``."""

    @property
    def resolution(self) -> tuple[int, int] | None:
        """(width, height) of the last frame delivered, None before the first."""
        ...
