"""What the screens get from the devices without touching them: the newest camera frame for the
live preview, and the on-screen PIN pad's key input in the weaker PIN mode.

The flow's worker reads the camera; a :class:`TappedCamera` publishes each frame it read to a
:class:`PreviewFeed`, which the UI thread polls. Built by the composition root and handed to
the Kivy app as :class:`UiFeeds`; the screens see only its typed callables.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from hal.interfaces import Camera, Frame, PinPad
from hal.status import DeviceStatus
from kiosk.config import Config
from kiosk.devices import DeviceSet

ONSCREEN_DRIVER = "onscreen"


class PreviewFeed:
    """The newest frame a flow's worker read; :meth:`clear` drops the citizen's face."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seq = 0
        self._frame: Frame | None = None

    def publish(self, frame: Frame) -> None:
        with self._lock:
            self._seq += 1
            self._frame = frame  # one more reference, no copy

    def latest(self) -> tuple[int, Frame] | None:
        with self._lock:
            return None if self._frame is None else (self._seq, self._frame)

    def clear(self) -> None:
        with self._lock:
            self._frame = None

    def flow_devices(self, devices: DeviceSet) -> DeviceSet:
        """The device set a flow runs with: the same drivers, its camera reads (and the document
        camera's: the platen on the document screens) published here."""
        tapped: dict[str, object] = {}
        if devices.camera is not None and not isinstance(devices.camera, TappedCamera):
            tapped["camera"] = TappedCamera(devices.camera, self)
        if devices.document_camera is not None and not isinstance(devices.document_camera, TappedCamera):
            tapped["document_camera"] = TappedCamera(devices.document_camera, self)  # resolution: passed through
        return dataclasses.replace(devices, **tapped) if tapped else devices  # type: ignore[arg-type]


class TappedCamera:
    """A camera whose every frame read also goes to a :class:`PreviewFeed`. Everything else
    (status, steering a simulator) goes to the wrapped camera."""

    def __init__(self, camera: Camera, feed: PreviewFeed) -> None:
        self.camera = camera
        self.feed = feed
        self.name = camera.name

    @property
    def fps(self) -> float:
        return self.camera.fps

    def status(self) -> DeviceStatus:
        return self.camera.status()

    def open(self) -> None:
        self.camera.open()

    def close(self) -> None:
        self.camera.close()

    def read_frame(self) -> Frame | None:
        frame = self.camera.read_frame()
        if frame is not None:
            self.feed.publish(frame)
        return frame

    def __getattr__(self, name: str) -> object:
        return getattr(self.camera, name)


@dataclass(frozen=True)
class UiFeeds:
    """``preview_frames``: the newest (sequence number, frame) or None; ``clear_preview`` forgets it.
    ``pin_key``: one key of the on-screen PIN pad, or None when a hardware pad takes the PIN."""

    preview_frames: Callable[[], tuple[int, Frame] | None] | None = None
    clear_preview: Callable[[], None] = lambda: None
    pin_key: Callable[[str], None] | None = None


def ui_feeds(cfg: Config, devices: DeviceSet, preview: PreviewFeed | None = None) -> UiFeeds:
    """The screens' feeds. ``preview``: the runtime's feed, when the runtime gives its flows
    ``preview.flow_devices(devices)``. Without one, the camera in ``devices`` is tapped in place
    (once: a second call reuses the tap)."""
    if preview is None:
        camera = devices.camera
        if isinstance(camera, TappedCamera):
            preview = camera.feed
        elif camera is not None:
            preview = PreviewFeed()
            devices.camera = TappedCamera(camera, preview)
    return UiFeeds(preview_frames=preview.latest if preview is not None else None,
                   clear_preview=preview.clear if preview is not None else (lambda: None),
                   pin_key=onscreen_pin_keys(cfg, devices.pin_pad))


class HasDevices(Protocol):
    """The part of kiosk.runtime.Runtime the UI's composition needs."""

    @property
    def cfg(self) -> Config: ...

    @property
    def devices(self) -> DeviceSet: ...

    @property
    def preview(self) -> PreviewFeed: ...


def runtime_feeds(rt: HasDevices) -> UiFeeds:
    """The feeds for the Kivy app on this runtime: the one place the UI's composition builds them."""
    return ui_feeds(rt.cfg, rt.devices, rt.preview)


def onscreen_pin_keys(cfg: Config, pad: PinPad | None) -> Callable[[str], None] | None:
    """Weaker mode only: the touch screen types the PIN into the on-screen pad driver."""
    if pad is None or cfg.devices.pin_pad.driver != ONSCREEN_DRIVER:
        return None
    press: Callable[[str], None] | None = getattr(pad, "press", None)
    return press
