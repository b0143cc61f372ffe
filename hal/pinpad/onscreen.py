"""On-screen PIN entry: the WEAKER, configurable fallback for a kiosk without an encrypting pad.

WEAKER MODE: the PIN is typed on the touch screen and exists in this process in clear until
``get_pin_block`` hands it over (``PinBlock.clear_pin``; ``encrypted_hex`` is None). It is never
logged, never written anywhere, and wiped on cancel, timeout and hand-over. A deployment that
handles real PINs should use ``Zt588PinPad`` (``secure`` True). ``status()`` says so too:
``last_error`` carries ``WEAK_MODE_NOTE`` so the maintenance screen and heartbeats show it.

The UI thread calls ``press``; the flow's worker thread calls ``next_event``: the same
``PinEntryEvent`` stream as the real pad (digit counts only).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable

from hal.pinpad.iso9564 import MAX_PIN, MIN_PIN
from hal.status import Action, DeviceError, DeviceState, DeviceStatus
from hal.types import PinBlock, PinEntryEvent, PinEntryEventKind

WEAK_MODE_NOTE = "weaker_mode: on-screen PIN entry, no encrypting pad"
KEYS = frozenset({*"0123456789", "enter", "cancel", "backspace", "clear"})


class OnScreenPinPad:
    """``hal.interfaces.PinPad`` fed by the touch screen. ``secure`` is False (weaker mode)."""

    def __init__(self, name: str = "pin_pad_onscreen", clock: Callable[[], float] = time.monotonic) -> None:
        self.name = name
        self._clock = clock
        self._lock = threading.Lock()
        self._events: queue.Queue[PinEntryEvent] = queue.Queue()
        self._digits: list[str] = []
        self._active = False
        self._entered = False
        self._min_len, self._max_len = MIN_PIN, MAX_PIN
        self._timeout_s = 30.0
        self._last_activity = 0.0
        self._entries = 0

    @property
    def secure(self) -> bool:
        return False

    def open(self) -> None:
        pass  # nothing to connect

    def close(self) -> None:
        self.cancel()

    def status(self) -> DeviceStatus:
        return DeviceStatus(
            state=DeviceState.BUSY if self._active else DeviceState.ONLINE,
            counters={"entries": self._entries},
            last_error=WEAK_MODE_NOTE,
            action=Action.NONE,
        )

    def start_entry(self, min_len: int, max_len: int, timeout_s: float) -> None:
        if not MIN_PIN <= min_len <= max_len <= MAX_PIN:
            raise ValueError(f"PIN length must be {MIN_PIN}..{MAX_PIN} with min <= max")
        with self._lock:
            self._wipe()
            self._events = queue.Queue()
            self._min_len, self._max_len, self._timeout_s = min_len, max_len, timeout_s
            self._active, self._entered = True, False
            self._last_activity = self._clock()
            self._entries += 1

    def press(self, key: str) -> None:
        """A key of the on-screen keypad: "0".."9", "enter", "cancel", "backspace" or "clear"."""
        if key not in KEYS:
            raise ValueError("unknown key")
        with self._lock:
            if not self._active:
                return
            self._last_activity = self._clock()
            kind = self._apply(key)
            if kind is not None:
                self._events.put(PinEntryEvent(kind, len(self._digits)))

    def _apply(self, key: str) -> PinEntryEventKind | None:
        if key.isdigit():
            if len(self._digits) >= self._max_len:
                return None  # like a pad: keys beyond the maximum are ignored
            self._digits.append(key)
            return PinEntryEventKind.DIGIT
        if key == "backspace":
            if self._digits:
                self._digits.pop()
            return PinEntryEventKind.BACKSPACE
        if key == "clear":
            self._wipe()
            return PinEntryEventKind.CLEAR
        if key == "enter":
            if len(self._digits) < self._min_len:
                return None  # too short: the pad refuses enter
            self._active, self._entered = False, True
            return PinEntryEventKind.ENTER
        self._wipe()  # cancel
        self._active = False
        return PinEntryEventKind.CANCEL

    def next_event(self, timeout_s: float) -> PinEntryEvent | None:
        deadline = self._clock() + timeout_s
        while True:
            with self._lock:
                events = self._events
                if self._active and self._clock() - self._last_activity >= self._timeout_s:
                    self._wipe()
                    self._active = False
                    return PinEntryEvent(PinEntryEventKind.TIMEOUT, 0)
            # short waits so the inactivity timeout is noticed without a timer thread
            wait = min(deadline - self._clock(), 0.05)
            try:
                return events.get(timeout=max(0.0, wait))
            except queue.Empty:
                if self._clock() >= deadline:
                    return None

    def get_pin_block(self, pan: str) -> PinBlock:
        """The PIN in clear (weaker mode). ``pan`` is unused: there is no key to bind it to."""
        with self._lock:
            if not self._entered:
                raise DeviceError("onscreen_no_pin", "no PIN entered", Action.NONE)
            pin = "".join(self._digits)
            self._wipe()
            self._entered = False
        return PinBlock(encrypted_hex=None, clear_pin=pin, format="clear")

    def cancel(self) -> None:
        with self._lock:
            self._wipe()
            self._active = self._entered = False

    def _wipe(self) -> None:
        self._digits.clear()
