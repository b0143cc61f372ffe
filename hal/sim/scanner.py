"""Simulated QR scanner: a tester shows a code (``steer('scan', text=…)``) or a damaged one
(``steer('unreadable')``); ``unplug`` is the no-scanner fault."""

from __future__ import annotations

import collections
import time

from hal.scanner.types import Scan, ScanOutcome, checked_text
from hal.sim.base import SimDevice
from hal.status import DeviceState


class SimScanner(SimDevice):
    def __init__(self, name: str = "scanner", latency_s: float = 0.0) -> None:
        super().__init__(name, latency_s)
        self._shown: collections.deque[Scan] = collections.deque()
        self.armed = False

    def show(self, text: str) -> None:
        with self._lock:
            self._shown.append(checked_text(text))
            self._changed.notify_all()

    def show_unreadable(self) -> None:
        with self._lock:
            self._shown.append(Scan(ScanOutcome.UNREADABLE))
            self._changed.notify_all()

    def read_code(self, timeout_s: float) -> Scan | None:
        self._operation("read")
        deadline = time.monotonic() + timeout_s
        with self._lock:
            self.armed = True
            if self._state is DeviceState.ONLINE:
                self._state = DeviceState.BUSY
            while not self._shown:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._changed.wait(min(left, 0.2))
                if self._state is DeviceState.POWER_OFF:
                    return None
            scan = self._shown.popleft()
            self._count("scans" if scan.outcome is ScanOutcome.CODE else "unreadable")
            return scan

    def stop(self) -> None:
        with self._lock:
            self.armed = False
            self._shown.clear()  # a code shown to nobody is not kept for the next citizen
            if self._state is DeviceState.BUSY:
                self._state = DeviceState.ONLINE

    def _steer(self, action: str, params: dict[str, object]) -> str:
        if action == "scan":
            self.show(str(params.get("text", "")))
            return "shown"
        if action == "unreadable":
            self.show_unreadable()
            return "shown"
        return super()._steer(action, params)
