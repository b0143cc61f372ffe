"""The remote commands the UI process carries out, in one registry, and the one way to restart.

The same handlers serve both paths a command can arrive by: the in-process heartbeat
(``attach``) and, when `kiosk sync` runs apart, the UI command spool (``run_spool``).
``flush_queue`` and ``upload_diagnostics`` need no UI and stay with the heartbeat (kiosk/sync.py).
Both paths run a command only while no citizen or technician session is in progress, on the
heartbeat's or the monitor's thread (never Kivy's); the outcome goes back to the central as the
heartbeat's ``command_result`` event (the console shows it beside the command).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from hal.pii import scrub
from hal.status import DeviceStatus
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
    def __init__(self, *, modes: ModeMachine, reload_config: Callable[[], str], restarter: Restarter,
                 self_tests: Callable[[], str], upload_stock_ledger: Callable[[], str]) -> None:
        self._modes = modes
        self._reload_config = reload_config
        self._restarter = restarter
        self.handlers: dict[str, Handler] = {
            "set_mode": self._set_mode,
            "reload_config": lambda _cmd: self._reload_config(),
            "restart_app": self._restart,
            "run_self_tests": lambda _cmd: self._out_of_service_while(self_tests),
            "upload_stock_ledger": lambda _cmd: upload_stock_ledger(),
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

    def _out_of_service_while(self, run: Callable[[], str]) -> str:
        """The devices are the tests' for a moment: no citizen may start a session meanwhile."""
        mode, message = self._modes.mode, self._modes.message
        self._modes.set(Mode.OUT_OF_SERVICE, SELF_TEST_MESSAGE)
        try:
            return run()
        finally:
            self._modes.set(mode, message)


SELF_TEST_MESSAGE = "设备自检中，请稍候 Device self-test in progress, please wait"

# Unattended and harmless: no person needed (an ID card, a test card, PIN pad keys) and no stock
# used (the issuer's test prints and spoils a card; the receipt test leaves a slip in the bezel).
REMOTE_SELF_TESTS = ("camera", "audio")


def remote_self_tests(run_test: Callable[[str], Any], statuses: Callable[[], Mapping[str, DeviceStatus]],
                      configured: Callable[[str], bool]) -> str:
    """The remote ``run_self_tests``: every device's probe, then the unattended self-tests.

    Returns the masked outcome for the central (at most 200 characters), e.g.
    ``probes 6/7 usable (issuer=fault:ribbon_out); camera pass; audio fail:nothing played``."""
    probed = statuses()
    bad = [f"{name}={st.state.value}" + (f":{st.last_error}" if st.last_error else "")
           for name, st in sorted(probed.items()) if not st.usable]
    parts = [f"probes {len(probed) - len(bad)}/{len(probed)} usable" + (f" ({', '.join(bad)})" if bad else "")]
    for name in REMOTE_SELF_TESTS:
        if not configured(name):
            continue
        result = run_test(name)
        parts.append(f"{name} pass" if result.passed else f"{name} fail:{result.detail}")
    return scrub(safe_display_text("; ".join(parts)))[:200]
