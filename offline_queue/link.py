"""Link monitor: down after N consecutive failures (default 3), up again on the first success."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class LinkState:
    """The heartbeat's ``link{}`` fields."""

    online: bool
    last_success_at: float | None
    consecutive_failures: int


LinkObserver = Callable[[LinkState], None]


class LinkMonitor:
    def __init__(
        self, down_after: int = 3, *, initially_online: bool = True, clock: Callable[[], float] = time.time
    ) -> None:
        if down_after < 1:
            raise ValueError("down_after must be at least 1")
        self.down_after = down_after
        self._clock = clock
        self._lock = threading.Lock()
        self._online = initially_online
        self._last_success_at: float | None = None
        self._failures = 0
        self._observers: list[LinkObserver] = []

    def add_observer(self, observer: LinkObserver) -> None:
        """Called with the new state whenever ``online`` flips (outside the lock)."""
        with self._lock:
            self._observers.append(observer)

    def report_success(self) -> None:
        with self._lock:
            self._failures = 0
            self._last_success_at = self._clock()
            changed = not self._online
            self._online = True
            state, observers = self._state(), list(self._observers)
        if changed:
            self._tell(observers, state)

    def report_failure(self) -> None:
        with self._lock:
            self._failures += 1
            changed = self._online and self._failures >= self.down_after
            if changed:
                self._online = False
            state, observers = self._state(), list(self._observers)
        if changed:
            self._tell(observers, state)

    @property
    def online(self) -> bool:
        with self._lock:
            return self._online

    @property
    def last_success_at(self) -> float | None:
        with self._lock:
            return self._last_success_at

    @property
    def consecutive_failures(self) -> int:
        with self._lock:
            return self._failures

    def state(self) -> LinkState:
        with self._lock:
            return self._state()

    def _state(self) -> LinkState:
        return LinkState(self._online, self._last_success_at, self._failures)

    @staticmethod
    def _tell(observers: list[LinkObserver], state: LinkState) -> None:
        for observer in observers:
            with contextlib.suppress(Exception):  # a broken observer must not stop the others
                observer(state)
