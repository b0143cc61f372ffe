"""What every simulator shares: a lock, a status, injected faults and a latency knob."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping

from hal.status import Action, DeviceError, DeviceState, DeviceStatus, Media, Supply


class SimDevice:
    """Base of the simulators. ``steer('fail', code=...)`` makes the next call raise."""

    def __init__(self, name: str, latency_s: float = 0.0) -> None:
        self.name = name
        self.latency_s = latency_s
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._state = DeviceState.ONLINE
        self._fail_next: dict[str, str] = {}  # operation -> error code
        self._last_error: str | None = None
        self._counters: dict[str, int] = {}

    # -- lifecycle -------------------------------------------------------------
    def open(self) -> None:
        with self._lock:
            if self._state is not DeviceState.POWER_OFF:
                self._state = DeviceState.ONLINE

    def close(self) -> None:
        pass

    # -- status ----------------------------------------------------------------
    def _media(self) -> Media:
        return Media.NOT_SUPPORTED

    def _supplies(self) -> Mapping[str, Supply]:
        return {}

    def status(self) -> DeviceStatus:
        with self._lock:
            action = Action.NONE
            if self._state is DeviceState.HARDWARE_ERROR:
                action = Action.RESET
            elif self._state is DeviceState.POWER_OFF:
                action = Action.MAINTENANCE
            return DeviceStatus(
                state=self._state,
                media=self._media(),
                supplies=dict(self._supplies()),
                counters=dict(self._counters),
                last_error=self._last_error,
                action=action,
            )

    # -- fault injection -------------------------------------------------------
    def _operation(self, op: str) -> None:
        """Called at the start of every device operation."""
        if self.latency_s:
            time.sleep(self.latency_s)
        with self._lock:
            if self._state is DeviceState.POWER_OFF:
                raise DeviceError("unplugged", f"{self.name} is unplugged", Action.MAINTENANCE)
            code = self._fail_next.pop(op, None) or self._fail_next.pop("*", None)
            if code:
                self._last_error = code
                self._state = DeviceState.HARDWARE_ERROR
                raise DeviceError(code, f"{self.name}: injected {code}", Action.RESET)
            if self._state is DeviceState.HARDWARE_ERROR:
                self._state = DeviceState.ONLINE  # an operation after a fault is a retry: reset
                self._last_error = None

    def _count(self, counter: str) -> None:
        self._counters[counter] = self._counters.get(counter, 0) + 1

    def steer(self, action: str, **params: object) -> str:
        with self._lock:
            if action == "fail":
                self._fail_next[str(params.get("op", "*"))] = str(params.get("code", "hardware_error"))
                return "armed"
            if action == "unplug":
                self._state = DeviceState.POWER_OFF
                self._changed.notify_all()
                return "unplugged"
            if action == "plug":
                self._state = DeviceState.ONLINE
                self._last_error = None
                self._changed.notify_all()
                return "plugged"
            if action == "clear":
                self._fail_next.clear()
                self._state = DeviceState.ONLINE
                self._last_error = None
                return "cleared"
        return self._steer(action, params)

    def _steer(self, action: str, params: dict[str, object]) -> str:
        raise ValueError(f"{self.name}: unknown action {action!r}")
