"""The narrow door every screen reaches the app through.

Screens are given an :class:`AppPort` (the Kivy app implements it) and never import
``screens.app``: they render what it hands them and send intents back through it. So the
screens package has no import circle (tests/ui/test_screens_imports.py keeps it so).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

from kivy.uix.widget import Widget

from kiosk.config import Config
from kiosk.domain.services import Availability, ServiceId
from kiosk.flows.base import UserInput, View
from kiosk.maintenance.service import MaintenanceService

T = TypeVar("T")
# (sequence number, BGR uint8 array of shape (h, w, 3)) or None when nothing is published yet.
FrameSource = Callable[[], tuple[int, Any] | None]


class Speech(Protocol):
    """What the screens ask the narrator to say (kiosk.voice.narrator.Narrator)."""

    def view(self, view: View, lang: str) -> None: ...

    def countdown(self, seconds: int, lang: str) -> None: ...

    def notice(self, keys: tuple[str, ...], lang: str) -> None: ...


class AppPort(Protocol):
    """What a screen may ask of the app: texts, widgets by id, intents, and a few facts to show."""

    @property
    def lang(self) -> str: ...

    @property
    def elderly(self) -> bool: ...

    @property
    def widgets(self) -> Mapping[str, Widget]: ...

    @property
    def cfg(self) -> Config:
        """The running configuration (read-only: outlet name, hotline, idle warning)."""
        ...

    @property
    def speech(self) -> Speech: ...

    @property
    def preview_frames(self) -> FrameSource | None:
        """The newest camera frame the flow's worker read (never read from the camera here)."""
        ...

    @property
    def pin_key(self) -> Callable[[str], None] | None:
        """One key of the on-screen PIN pad (weaker mode); None when a hardware pad takes the PIN."""
        ...

    @property
    def maintenance(self) -> MaintenanceService: ...

    def t(self, key: str, **params: object) -> str: ...

    def register(self, widget: Widget) -> None: ...

    def show_overlay(self, widget: Widget) -> None:
        """Put ``widget`` (a modal dialog) above everything, the floating buttons too."""
        ...

    def hide_overlay(self, widget: Widget) -> None: ...

    # ---- intents ---------------------------------------------------------------------------
    def send(self, user_input: UserInput) -> None: ...

    def start_service(self, service: ServiceId) -> None: ...

    def repeat_voice(self, relang: bool = False) -> None: ...

    def toggle_elderly(self) -> None: ...

    def refresh_home(self) -> None: ...

    def close_maintenance_login(self) -> None: ...

    def submit_maintenance_login(self, technician: str, password: str) -> None: ...

    # ---- facts and work ---------------------------------------------------------------------
    def availability(self) -> Mapping[ServiceId, tuple[Availability, frozenset[Any]]]: ...

    def counter_message(self) -> str:
        """Where the nearest counter is: the remote command's message, else the configuration's."""
        ...

    def timeout_factor(self) -> float: ...

    def background(self, work: Callable[[], T], done: Callable[[T], None]) -> None:
        """Run ``work`` (files, SQLite, devices) off the Kivy thread, one job at a time; ``done``
        gets its result on the Kivy thread. ``work`` turns its own failures into a result."""
        ...
