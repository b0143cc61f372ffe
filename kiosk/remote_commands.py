"""The remote commands the UI process carries out, in one registry, and the one way to restart.

The same handlers serve both paths a command can arrive by: the in-process heartbeat
(``attach``) and, when `kiosk sync` runs apart, the UI command spool (``run_spool``).
``flush_queue`` and ``upload_diagnostics`` need no UI and stay with the heartbeat (kiosk/sync.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from kiosk.command_spool import CommandSpool
from kiosk.domain.text import safe_display_text
from kiosk.mode import Mode, ModeMachine

log = logging.getLogger("kiosk.remote_commands")


class CommandArgs(Protocol):
    """What a handler reads of a command (kiosk.central.models.Command, or a spooled one)."""

    @property
    def mode(self) -> str | None: ...
    @property
    def message(self) -> str | None: ...


Handler = Callable[[CommandArgs], str]  # returns a short masked outcome; raises on failure


@dataclass(frozen=True)
class SpooledCommand:
    mode: str | None = None
    message: str | None = None


class Restarter:
    """Restart the app (remote restart_app or a technician): the app stops itself, systemd's
    Restart=always starts it again. ``handlers`` are how the app stops (kiosk/app_main.py)."""

    def __init__(self) -> None:
        self.requested = False
        self.handlers: list[Callable[[], None]] = []

    def request(self) -> None:
        self.requested = True
        for cb in list(self.handlers):
            cb()


class RemoteCommands:
    def __init__(self, *, modes: ModeMachine, reload_config: Callable[[], str], restarter: Restarter) -> None:
        self._modes = modes
        self._reload_config = reload_config
        self._restarter = restarter
        self.handlers: dict[str, Handler] = {
            "set_mode": self._set_mode,
            "reload_config": lambda _cmd: self._reload_config(),
            "restart_app": self._restart,
        }

    def attach(self, heartbeat: Any) -> None:
        """Let the in-process heartbeat run these (it waits until the kiosk is idle)."""
        for kind, handler in self.handlers.items():
            heartbeat.register(kind, handler)

    def run(self, kind: str, args: CommandArgs = SpooledCommand()) -> str:
        handler = self.handlers.get(kind)
        if handler is None:
            raise ValueError(f"unknown command {kind!r}")
        return handler(args)

    def run_spool(self, spool: CommandSpool) -> None:
        """External sync: carry out the spooled commands and write back each outcome.
        The caller runs this only while the kiosk is idle."""
        for raw in spool.take():
            cid = str(raw.get("id", ""))
            try:
                mode, message = raw.get("mode"), raw.get("message")
                args = SpooledCommand(None if mode is None else str(mode), None if message is None else str(message))
                spool.report(cid, True, self.run(str(raw.get("type")), args))
            except Exception as exc:
                spool.report(cid, False, type(exc).__name__)

    def _set_mode(self, cmd: CommandArgs) -> str:
        mode = Mode(cmd.mode) if cmd.mode else Mode.IN_SERVICE
        self._modes.set(mode, safe_display_text(cmd.message or ""))  # refuses STARTING
        return f"mode={mode.value}"

    def _restart(self, _cmd: CommandArgs) -> str:
        self._restarter.request()
        return "restart scheduled"
