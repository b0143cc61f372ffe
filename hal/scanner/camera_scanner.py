"""A QR scanner made of the kiosk's own camera and zxing-cpp, for kiosks without a scanner.

The camera stays the camera (face capture, preview); this reads its frames while a scan screen
waits. A code zxing finds but cannot decode (glare, a cracked phone screen, too far away) in
several frames running is reported once as unreadable, so the screen can say what to do.
"""

from __future__ import annotations

import threading
import time

import cv2
import numpy as np
import numpy.typing as npt
import zxingcpp

from hal.interfaces import Camera, Frame
from hal.scanner.types import Scan, ScanOutcome, checked_text
from hal.status import DeviceState, DeviceStatus

FRAME_INTERVAL_S = 0.08  # ~12 decodes a second: enough for a hand-held phone, light on 2 cores
UNREADABLE_AFTER = 6  # frames in a row with an undecodable code
_QR = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)


def decode_frame(frame: Frame) -> list[Scan]:
    """Every QR code in one BGR (or grey) frame: decoded ones as codes, damaged ones as unreadable."""
    grey: npt.NDArray[np.uint8] = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)  # type: ignore[assignment]
    found = zxingcpp.read_barcodes(grey, formats=_QR, try_rotate=True,
                                   try_downscale=True, return_errors=True)
    scans: list[Scan] = []
    for barcode in found:
        if barcode.valid:
            scans.append(checked_text(barcode.text, "QRCode"))
        else:
            scans.append(Scan(ScanOutcome.UNREADABLE, symbology="QRCode"))
    return scans


class CameraQrScanner:
    """``hal.scanner.types.Scanner`` over a ``hal.interfaces.Camera``."""

    def __init__(self, camera: Camera, *, name: str = "scanner", frame_interval_s: float = FRAME_INTERVAL_S,
                 unreadable_after: int = UNREADABLE_AFTER) -> None:
        self.name = name
        self.camera = camera
        self._interval = frame_interval_s
        self._unreadable_after = unreadable_after
        self._lock = threading.Lock()
        self._armed = False
        self._bad_frames = 0
        self._counters = {"scans": 0, "unreadable": 0, "frames": 0}

    def open(self) -> None:
        self.camera.open()  # safe to call again: the camera is the device set's too

    def close(self) -> None:
        self.stop()  # the camera itself is closed by its owner

    def status(self) -> DeviceStatus:
        cam = self.camera.status()
        state = cam.state
        if state is DeviceState.ONLINE and self._armed:
            state = DeviceState.BUSY
        return DeviceStatus(state=state, counters=dict(self._counters), last_error=cam.last_error, action=cam.action)

    def read_code(self, timeout_s: float) -> Scan | None:
        deadline = time.monotonic() + timeout_s
        with self._lock:
            self._armed = True
            while True:
                started = time.monotonic()
                frame = self.camera.read_frame()
                if frame is not None:
                    self._counters["frames"] += 1
                    scan = self._judge(decode_frame(frame))
                    if scan is not None:
                        return scan
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                time.sleep(max(0.0, min(left, self._interval - (time.monotonic() - started))))

    def stop(self) -> None:
        self._armed = False
        self._bad_frames = 0

    def _judge(self, scans: list[Scan]) -> Scan | None:
        good = [s for s in scans if s.outcome is ScanOutcome.CODE]
        if good:
            self._bad_frames = 0
            self._counters["scans"] += 1
            return good[0]
        if not scans:
            self._bad_frames = 0
            return None
        self._bad_frames += 1
        if self._bad_frames < self._unreadable_after:
            return None
        self._bad_frames = 0
        self._counters["unreadable"] += 1
        return Scan(ScanOutcome.UNREADABLE, symbology="QRCode")
