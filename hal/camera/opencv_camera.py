"""Cameras through OpenCV: a capture device (index or path) and a file/video source.

``read_frame`` returns None when no frame came (device gone, end of a file that does not
loop); the camera then reopens itself at most once per ``reconnect_interval_s``, so an
unplugged USB camera comes back without a restart. ``fps`` is measured over the last
frames actually delivered, not the rate the driver asked for.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from pathlib import Path

import cv2
import numpy as np

from hal.interfaces import Frame
from hal.status import Action, DeviceState, DeviceStatus, DeviceUnavailable, Media

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")


def _as_frame(img: object) -> Frame:
    return np.ascontiguousarray(img, dtype=np.uint8)


class FpsMeter:
    """Frames per second over a sliding window of delivery times."""

    def __init__(self, window: int = 30) -> None:
        self._times: deque[float] = deque(maxlen=window)

    def tick(self, now: float | None = None) -> None:
        self._times.append(time.monotonic() if now is None else now)

    def reset(self) -> None:
        self._times.clear()

    @property
    def fps(self) -> float:
        if len(self._times) < 2:
            return 0.0
        span = self._times[-1] - self._times[0]
        return (len(self._times) - 1) / span if span > 0 else 0.0


class OpenCvCamera:
    """``hal.interfaces.Camera`` on ``cv2.VideoCapture`` (V4L2 device index or path)."""

    def __init__(
        self,
        device: int | str = 0,
        *,
        width: int = 1280,
        height: int = 720,
        requested_fps: float | None = None,
        name: str = "camera",
        api_preference: int = cv2.CAP_ANY,
        open_timeout_s: float = 5.0,
        read_timeout_s: float = 2.0,
        reconnect_interval_s: float = 1.0,
        enforce_size: bool = False,
    ) -> None:
        self.name = name
        self.device = device
        self.width = width
        self.height = height
        self.requested_fps = requested_fps
        self.api_preference = api_preference
        self.open_timeout_s = open_timeout_s
        self.read_timeout_s = read_timeout_s
        self.reconnect_interval_s = reconnect_interval_s
        self.enforce_size = enforce_size
        self._cap: cv2.VideoCapture | None = None
        self._meter = FpsMeter()
        self._lock = threading.Lock()
        self._last_attempt = float("-inf")
        self._last_error: str | None = None
        self._resolution: tuple[int, int] | None = None
        self.frames = 0
        self.reconnects = 0

    @property
    def fps(self) -> float:
        return self._meter.fps

    @property
    def resolution(self) -> tuple[int, int] | None:
        """(width, height) of the last frame delivered."""
        return self._resolution

    @property
    def reported_fps(self) -> float:
        """The rate the device (or file) claims, for comparison with the measured ``fps``."""
        cap = self._cap
        return float(cap.get(cv2.CAP_PROP_FPS)) if cap is not None else 0.0

    def open(self) -> None:
        with self._lock:
            self._open()

    def _open(self) -> None:
        if self._cap is not None:
            return
        self._last_attempt = time.monotonic()
        src = self.device if isinstance(self.device, int) else str(self.device)
        params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, int(self.open_timeout_s * 1000),
                  cv2.CAP_PROP_READ_TIMEOUT_MSEC, int(self.read_timeout_s * 1000)]
        cap = cv2.VideoCapture(src, self.api_preference, params)
        if not cap.isOpened():
            cap.release()
            self._last_error = "unavailable"
            raise DeviceUnavailable("camera cannot be opened")
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
        if self.requested_fps:
            cap.set(cv2.CAP_PROP_FPS, self.requested_fps)
        self._cap = cap
        self._meter.reset()
        self._last_error = None
        log.info("camera opened (%s)", cap.getBackendName())

    def close(self) -> None:
        with self._lock:
            self._release()

    def _release(self) -> None:
        cap, self._cap = self._cap, None
        if cap is not None:
            cap.release()

    def read_frame(self) -> Frame | None:
        with self._lock:
            if self._cap is None:
                if time.monotonic() - self._last_attempt < self.reconnect_interval_s:
                    return None
                try:
                    self._open()
                    self.reconnects += 1
                except DeviceUnavailable:
                    return None
            assert self._cap is not None
            ok, raw = self._cap.read()
            if not ok or raw is None:
                log.warning("camera delivered no frame; will reopen")
                self._last_error = "no_frame"
                self._release()
                self._last_attempt = time.monotonic()
                return None
            frame = _as_frame(raw)
            if self.enforce_size and (frame.shape[1], frame.shape[0]) != (self.width, self.height):
                frame = _as_frame(cv2.resize(frame, (self.width, self.height), interpolation=cv2.INTER_AREA))
            self._meter.tick()
            self.frames += 1
            self._resolution = (int(frame.shape[1]), int(frame.shape[0]))
            return frame

    def status(self) -> DeviceStatus:
        counters = {"frames": self.frames, "reconnects": self.reconnects}
        if self._cap is None and self._last_error is not None:
            return DeviceStatus(DeviceState.POWER_OFF, Media.NOT_SUPPORTED, counters=counters,
                                last_error=self._last_error, action=Action.SUSPEND)
        if self._cap is None:
            try:
                self.open()
            except DeviceUnavailable as exc:
                return DeviceStatus(DeviceState.POWER_OFF, Media.NOT_SUPPORTED, counters=counters,
                                    last_error=exc.code, action=Action.SUSPEND)
        return DeviceStatus(DeviceState.ONLINE, Media.NOT_SUPPORTED, counters=counters)


class FileCamera:
    """Frames from an image file, a directory of images, or a video file, looped at ``rate_fps``.

    Used by the simulator and tests. ``set_source`` swaps what the camera "sees" at run time
    (e.g. present another face). With ``pace`` each read waits for the next frame time.
    """

    def __init__(self, source: str | Path, *, rate_fps: float = 10.0, size: tuple[int, int] | None = None,
                 loop: bool = True, pace: bool = True, name: str = "camera") -> None:
        self.name = name
        self.rate_fps = rate_fps
        self.size = size
        self.loop = loop
        self.pace = pace
        self._lock = threading.Lock()
        self._meter = FpsMeter()
        self._next_due = 0.0
        self._images: list[Frame] = []
        self._index = 0
        self._video: cv2.VideoCapture | None = None
        self._source = Path(source)
        self._last_error: str | None = None
        self.frames = 0

    @property
    def fps(self) -> float:
        return self._meter.fps

    @property
    def source(self) -> Path:
        return self._source

    def set_source(self, source: str | Path) -> None:
        with self._lock:
            self._close()
            self._source = Path(source)
        self.open()

    def open(self) -> None:
        with self._lock:
            if self._images or self._video is not None:
                return
            try:
                self._load()
                self._last_error = None
            except DeviceUnavailable:
                self._last_error = "unavailable"
                raise

    def _load(self) -> None:
        src = self._source
        if src.is_dir():
            files = sorted(p for p in src.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
            self._images = [_as_frame(img) for img in (cv2.imread(str(p)) for p in files) if img is not None]
            if not self._images:
                raise DeviceUnavailable("no readable image in the camera directory")
        elif src.suffix.lower() in IMAGE_SUFFIXES:
            img = cv2.imread(str(src))
            if img is None:
                raise DeviceUnavailable("camera image unreadable")
            self._images = [_as_frame(img)]
        else:
            cap = cv2.VideoCapture(str(src))
            if not cap.isOpened():
                cap.release()
                raise DeviceUnavailable("camera video cannot be opened")
            self._video = cap
        self._index = 0
        self._meter.reset()

    def close(self) -> None:
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self._video is not None:
            self._video.release()
        self._video = None
        self._images = []

    def _next_frame(self) -> Frame | None:
        if self._images:
            if self._index >= len(self._images):
                if not self.loop:
                    return None
                self._index = 0
            frame = self._images[self._index]
            self._index += 1
            return frame.copy()
        if self._video is None:
            return None
        ok, raw = self._video.read()
        if not ok and self.loop:
            self._video.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, raw = self._video.read()
        return _as_frame(raw) if ok and raw is not None else None

    def read_frame(self) -> Frame | None:
        try:
            self.open()
        except DeviceUnavailable:
            return None
        with self._lock:
            if self.pace:
                now = time.monotonic()
                if self._next_due > now:
                    time.sleep(self._next_due - now)
                self._next_due = max(self._next_due, now) + 1.0 / self.rate_fps
            frame = self._next_frame()
            if frame is None:
                return None
            if self.size is not None and (frame.shape[1], frame.shape[0]) != self.size:
                frame = _as_frame(cv2.resize(frame, self.size, interpolation=cv2.INTER_AREA))
            self._meter.tick()
            self.frames += 1
            return frame

    def status(self) -> DeviceStatus:
        try:
            self.open()
        except DeviceUnavailable as exc:
            return DeviceStatus(DeviceState.POWER_OFF, Media.NOT_SUPPORTED, counters={"frames": self.frames},
                                last_error=exc.code, action=Action.CLEAR)
        return DeviceStatus(DeviceState.ONLINE, Media.NOT_SUPPORTED, counters={"frames": self.frames})
