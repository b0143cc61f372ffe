"""What the screens get from the devices without touching them: the newest camera frame for the
live preview, and the on-screen PIN pad's key input in the weaker PIN mode.

Built once by the composition root (kiosk.app_main, the UI test harness) and handed to the
Kivy app; the screens see only the two typed callables of :class:`UiFeeds`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from hal.interfaces import Camera, Frame, PinPad
from hal.status import DeviceStatus
from kiosk.config import Config
from kiosk.devices import DeviceSet

ONSCREEN_DRIVER = "onscreen"


class PreviewTap:
    """Wraps the camera the flow's worker reads and keeps the newest frame for the preview.

    The worker calls ``read_frame`` as before (one more reference, no copy); the UI thread
    polls :meth:`latest`; :meth:`clear` drops the citizen's face when the session ends.
    Everything else (status, steering a simulator) goes to the wrapped camera.
    """

    def __init__(self, camera: Camera) -> None:
        self.camera = camera
        self.name = camera.name
        self._lock = threading.Lock()
        self._seq = 0
        self._frame: Frame | None = None

    @property
    def fps(self) -> float:
        return self.camera.fps

    def status(self) -> DeviceStatus:
        return self.camera.status()

    def open(self) -> None:
        self.camera.open()

    def close(self) -> None:
        self.clear()
        self.camera.close()

    def read_frame(self) -> Frame | None:
        frame = self.camera.read_frame()
        if frame is not None:
            with self._lock:
                self._seq += 1
                self._frame = frame
        return frame

    def latest(self) -> tuple[int, Frame] | None:
        with self._lock:
            return None if self._frame is None else (self._seq, self._frame)

    def clear(self) -> None:
        with self._lock:
            self._frame = None

    def __getattr__(self, name: str) -> object:
        # Simulator steering (present a face, inject a fault) reaches the simulated camera.
        return getattr(self.camera, name)


@dataclass(frozen=True)
class UiFeeds:
    """``preview_frames``: the newest (sequence number, frame) or None; ``clear_preview`` forgets it.
    ``pin_key``: one key of the on-screen PIN pad, or None when a hardware pad takes the PIN."""

    preview_frames: Callable[[], tuple[int, Frame] | None] | None = None
    clear_preview: Callable[[], None] = lambda: None
    pin_key: Callable[[str], None] | None = None


def ui_feeds(cfg: Config, devices: DeviceSet) -> UiFeeds:
    """Tap the camera (once: a second call reuses the tap) and find the on-screen pad's keys."""
    camera = devices.camera
    tap: PreviewTap | None = None
    if isinstance(camera, PreviewTap):
        tap = camera
    elif camera is not None:
        tap = PreviewTap(camera)
        devices.camera = tap
    return UiFeeds(preview_frames=tap.latest if tap is not None else None,
                   clear_preview=tap.clear if tap is not None else (lambda: None),
                   pin_key=_onscreen_keys(cfg, devices.pin_pad))


def _onscreen_keys(cfg: Config, pad: PinPad | None) -> Callable[[str], None] | None:
    """Weaker mode only: the touch screen types the PIN into the on-screen pad driver."""
    if pad is None or cfg.devices.pin_pad.driver != ONSCREEN_DRIVER:
        return None
    press: Callable[[str], None] | None = getattr(pad, "press", None)
    return press
