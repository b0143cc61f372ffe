"""The kiosk's mode: starting → in service ⇄ out of service ⇄ maintenance, with the citizens' message.

One place says which moves are allowed: the kiosk leaves STARTING once, at start-up, and nothing
returns to it; a technician session begins only from a citizen-facing mode (in or out of service).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from enum import StrEnum


class Mode(StrEnum):
    STARTING = "starting"
    IN_SERVICE = "in_service"
    OUT_OF_SERVICE = "out_of_service"
    MAINTENANCE = "maintenance"


# A technician may take over only from these (never mid-start-up or during another session).
MAINTENANCE_FROM = frozenset({Mode.IN_SERVICE, Mode.OUT_OF_SERVICE})


class ModeMachine:
    """The current mode and message; ``on_change`` is told after every move (UI, heartbeat)."""

    def __init__(self, on_change: Callable[[], None] = lambda: None) -> None:
        self._lock = threading.Lock()
        self._mode = Mode.STARTING
        self._message = ""
        self._on_change = on_change

    @property
    def mode(self) -> Mode:
        return self._mode

    @property
    def message(self) -> str:
        return self._message

    def started(self) -> None:
        """Start-up is over: serve citizens (unless something already moved the kiosk on)."""
        with self._lock:
            if self._mode is Mode.STARTING:
                self._mode = Mode.IN_SERVICE

    def set(self, mode: Mode, message: str = "") -> None:
        if mode is Mode.STARTING:
            raise ValueError("cannot set mode starting")
        with self._lock:
            self._mode, self._message = mode, message
        self._on_change()

    def may_enter_maintenance(self) -> bool:
        return self._mode in MAINTENANCE_FROM
