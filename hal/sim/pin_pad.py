"""Simulated PIN pad: the demo or a test types digits; only the count is reported as events."""

from __future__ import annotations

import queue

from hal.sim.base import SimDevice
from hal.types import PinBlock, PinEntryEvent, PinEntryEventKind


class SimPinPad(SimDevice):
    """Simulator mode hands over a clear PIN (the contract allows it only in simulator mode)."""

    def __init__(self, name: str = "pin_pad") -> None:
        super().__init__(name)
        self._digits: list[str] = []
        self._events: queue.Queue[PinEntryEvent] = queue.Queue()
        self._active = False
        self._max_len = 6

    @property
    def secure(self) -> bool:
        return False

    def start_entry(self, min_len: int, max_len: int, timeout_s: float) -> None:
        self._operation("start")
        with self._lock:
            self._digits = []
            self._max_len = max_len
            self._active = True
            while not self._events.empty():
                self._events.get_nowait()

    def press(self, key: str) -> None:
        """A key on the pad: '0'-'9', 'enter', 'cancel', 'backspace', 'clear'."""
        with self._lock:
            if not self._active:
                return
            if key.isdigit() and len(key) == 1:
                if len(self._digits) < self._max_len:
                    self._digits.append(key)
                kind = PinEntryEventKind.DIGIT
            else:
                kind = PinEntryEventKind(key)
                if kind is PinEntryEventKind.BACKSPACE and self._digits:
                    self._digits.pop()
                elif kind is PinEntryEventKind.CLEAR:
                    self._digits = []
            if kind in (PinEntryEventKind.ENTER, PinEntryEventKind.CANCEL):
                self._active = False
            self._events.put(PinEntryEvent(kind, len(self._digits)))

    def type_pin(self, pin: str) -> None:
        for d in pin:
            self.press(d)
        self.press("enter")

    def next_event(self, timeout_s: float) -> PinEntryEvent | None:
        try:
            return self._events.get(timeout=timeout_s)
        except queue.Empty:
            return None

    def get_pin_block(self, pan: str) -> PinBlock:
        with self._lock:
            pin = "".join(self._digits)
            self._digits = []
            return PinBlock(encrypted_hex=None, clear_pin=pin, format="sim-clear")

    def cancel(self) -> None:
        with self._lock:
            self._active = False
            self._digits = []

    def _steer(self, action: str, params: dict[str, object]) -> str:
        if action == "type":
            self.type_pin(str(params.get("pin", "")))
            return "typed"
        if action == "press":
            self.press(str(params.get("key", "")))
            return "pressed"
        return super()._steer(action, params)
