"""Real driver: a HID keyboard-wedge QR scanner through evdev, grabbed (EVIOCGRAB) for as long as
it is open, so what it types never reaches the UI or any other reader of the input device.

The device is named by a stable path, e.g. /dev/input/by-id/usb-Honeywell_…-event-kbd.
Keys: hal.scanner.hid_keymap.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import select
import threading
import time

import evdev

from hal.scanner.hid_keymap import WedgeDecoder
from hal.scanner.types import Scan, ScanOutcome
from hal.status import Action, DeviceError, DeviceState, DeviceStatus, DeviceUnavailable

log = logging.getLogger(__name__)


class EvdevWedgeScanner:
    """``hal.scanner.types.Scanner`` for a keyboard-wedge scanner."""

    def __init__(self, path: str, *, name: str = "scanner") -> None:
        self.name = name
        self.path = path
        self._dev: evdev.InputDevice[str] | None = None
        self._decoder = WedgeDecoder()
        self._armed = False
        self._lock = threading.Lock()
        self._state = DeviceState.OFFLINE
        self._last_error: str | None = None
        self._counters = {"scans": 0, "unreadable": 0, "errors": 0, "dropped": 0}

    def open(self) -> None:
        with self._lock:
            self._open()

    def _open(self) -> evdev.InputDevice[str]:
        if self._dev is not None:
            return self._dev
        try:
            dev = evdev.InputDevice(self.path)
        except OSError as exc:
            self._fail(DeviceState.POWER_OFF, "unavailable")
            raise DeviceUnavailable(f"wedge scanner: cannot open {self.path} (errno {exc.errno})") from exc
        try:
            dev.grab()
        except OSError as exc:
            dev.close()
            self._fail(DeviceState.HARDWARE_ERROR, "scanner_grabbed_elsewhere")
            raise DeviceError("scanner_grabbed_elsewhere", f"EVIOCGRAB: errno {exc.errno}",
                              Action.MAINTENANCE) from exc
        self._dev = dev
        self._decoder.reset()
        self._state, self._last_error = DeviceState.ONLINE, None
        log.info("%s: grabbed %s", self.name, dev.name)
        return dev

    def close(self) -> None:
        with self._lock:
            dev, self._dev = self._dev, None
            self._armed = False
            if dev is not None:
                with contextlib.suppress(OSError):
                    dev.ungrab()
                dev.close()
            self._state = DeviceState.OFFLINE

    def status(self) -> DeviceStatus:
        state = self._state
        if self._dev is None and not os.path.exists(self.path):
            state = DeviceState.POWER_OFF
        elif state is DeviceState.ONLINE and self._armed:
            state = DeviceState.BUSY
        return DeviceStatus(state=state, counters=dict(self._counters), last_error=self._last_error,
                            action=Action.MAINTENANCE if state in (DeviceState.POWER_OFF,
                                                                   DeviceState.HARDWARE_ERROR) else Action.NONE)

    def read_code(self, timeout_s: float) -> Scan | None:
        deadline = time.monotonic() + timeout_s
        with self._lock:
            dev = self._open()
            if not self._armed:
                self._drain(dev)  # typed while nobody was asking: not this citizen's
                self._armed = True
            while True:
                scan = self._next(dev)
                if scan is not None:
                    self._counters["scans" if scan.outcome is ScanOutcome.CODE else "unreadable"] += 1
                    return scan
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                select.select([dev.fd], [], [], left)

    def stop(self) -> None:
        with self._lock:
            self._armed = False
            self._decoder.reset()

    def _drain(self, dev: evdev.InputDevice[str]) -> None:
        while self._next(dev) is not None:
            self._counters["dropped"] += 1

    def _next(self, dev: evdev.InputDevice[str]) -> Scan | None:
        try:
            for event in dev.read():
                scan = self._decoder.feed(event)
                if scan is not None:
                    return scan
        except BlockingIOError:
            return None
        except OSError as exc:  # ENODEV: unplugged
            self._dev = None
            with contextlib.suppress(OSError):
                dev.close()
            gone = exc.errno in (errno.ENODEV, errno.EIO)
            self._fail(DeviceState.POWER_OFF if gone else DeviceState.HARDWARE_ERROR, "unavailable")
            raise DeviceUnavailable(f"wedge scanner: read failed (errno {exc.errno})") from exc
        return None

    def _fail(self, state: DeviceState, code: str) -> None:
        self._counters["errors"] += 1
        if (state, code) != (self._state, self._last_error):
            log.info("%s: %s (%s)", self.name, state.value, code)
        self._state, self._last_error = state, code
