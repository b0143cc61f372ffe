"""The heartbeat: state to the central every interval and at once on change; remote commands back.

Never queued: each send builds the current state, so the latest always replaces an unsent one.
``seq`` is persisted (atomic file replace) before each send, so it stays monotonic across restarts;
``boot_id`` is new at every process start, so a kiosk restored from an older disk image (whose seq
goes backwards) starts a new ordering at the central instead of being ignored.
Commands run only while the kiosk is idle (``is_idle()``), each through the handler the app
registered for its type; every outcome is reported as a ``command_result`` event.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from hal.atomic_file import write_atomic
from hal.pii import scrub_json
from kiosk.central.errors import CentralError
from kiosk.central.events import EventUploader
from kiosk.central.models import Command

log = logging.getLogger("kiosk.central.heartbeat")
CST = dt.timezone(dt.timedelta(hours=8))
BOOT_ID = str(uuid.uuid4())  # this process's boot (central-api-additions.md "Heartbeat ordering")
COMMAND_TYPES = ("set_mode", "flush_queue", "upload_diagnostics", "reload_config", "restart_app", "update",
                 "run_self_tests", "upload_stock_ledger")

StateProvider = Callable[[], Mapping[str, Any]]  # app_version, uptime_s, mode, in_transaction, devices, link, queue…
CommandHandler = Callable[[Command], str]  # returns a short masked outcome message; raises on failure
AuditHead = Callable[[], Mapping[str, Any]]  # the audit log's {"seq", "head"} (kiosk/audit.py)


class SeqStore:
    """A monotonic counter in a small file, replaced atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            self._value = int(path.read_text(encoding="ascii").strip() or 0)
        except FileNotFoundError:
            self._value = 0
        except ValueError:  # a torn/garbled file: continue from a value that is surely larger
            self._value = int(time.time())

    @property
    def value(self) -> int:
        return self._value

    def next(self) -> int:
        with self._lock:
            self._value += 1
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(self.path, str(self._value))
            return self._value


class HeartbeatSender:
    def __init__(
        self,
        client: Any,  # CentralClient (heartbeat(body) -> HeartbeatReply, kiosk_id)
        state: StateProvider,
        seq_path: Path,
        *,
        interval_s: float = 30.0,
        is_idle: Callable[[], bool] = lambda: True,
        events: EventUploader | None = None,
        tick_s: float = 1.0,
        boot_id: str = BOOT_ID,
    ) -> None:
        self.client = client
        self.boot_id = boot_id
        self.state = state
        self.seq = SeqStore(seq_path)
        self.interval_s = interval_s
        self.is_idle = is_idle
        self.events = events
        self.tick_s = tick_s
        self.handlers: dict[str, CommandHandler] = {}
        self.pending: deque[Command] = deque()
        self._seen_commands: deque[str] = deque(maxlen=200)
        self._changed = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.audit_head: AuditHead | None = None  # when set, every heartbeat carries `audit: {seq, head}`
        self.last_sent_at: float | None = None
        self.last_error: str | None = None
        self.sent = 0

    # ---- wiring --------------------------------------------------------------------------------
    def register(self, command_type: str, handler: CommandHandler) -> None:
        if command_type not in COMMAND_TYPES:
            raise ValueError(f"unknown command type {command_type}")
        self.handlers[command_type] = handler

    def state_changed(self) -> None:
        """Call on any state change (mode, device, link, queue): a heartbeat goes out at once."""
        self._changed.set()

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="heartbeat", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._changed.set()
        if self._thread is not None:
            self._thread.join(10)

    # ---- one heartbeat -------------------------------------------------------------------------
    def body(self) -> dict[str, Any]:
        state = dict(self.state())
        state.update(kiosk_id=self.client.kiosk_id, seq=self.seq.next(), boot_id=self.boot_id,
                     sent_at=dt.datetime.now(CST).isoformat(timespec="seconds"), heartbeat_interval_s=self.interval_s)
        out = dict(scrub_json(state))  # the one PII rule set, at the sink
        if self.audit_head is not None:  # a hex head is not personal data (scrubbing could mangle it)
            out["audit"] = dict(self.audit_head())
        return out

    def send_now(self) -> bool:
        """Send the current state; queue the commands it brings back. False when the central was not reached."""
        try:
            reply = self.client.heartbeat(self.body())
        except CentralError as exc:
            self.last_error = exc.code
            log.info("heartbeat not delivered", extra={"error": exc.code})
            return False
        self.last_error = None
        self.last_sent_at = time.monotonic()
        self.sent += 1
        for raw in reply.commands:
            self._accept(raw)
        return True

    def _accept(self, raw: Any) -> None:
        try:
            cmd = Command.model_validate(raw)
        except ValidationError:
            cid = str(raw.get("id", "")) if isinstance(raw, Mapping) else ""
            self._report(cid, str(raw.get("type", "?")) if isinstance(raw, Mapping) else "?", False,
                         "unknown or malformed command")
            return
        if cmd.id in self._seen_commands:
            return  # delivered twice (e.g. a reply lost and resent): act once
        self._seen_commands.append(cmd.id)
        self.pending.append(cmd)

    def run_pending(self) -> int:
        """Carry out queued commands if the kiosk is idle; returns how many ran."""
        ran = 0
        while self.pending and self.is_idle():
            cmd = self.pending.popleft()
            handler = self.handlers.get(cmd.type)
            if handler is None:
                self._report(cmd.id, cmd.type, False, "not supported by this kiosk")
            else:
                try:
                    message = handler(cmd)
                    self._report(cmd.id, cmd.type, True, message)
                except Exception as exc:
                    self._report(cmd.id, cmd.type, False, type(exc).__name__)
            ran += 1
        return ran

    def _report(self, command_id: str, kind: str, ok: bool, message: str) -> None:
        log.info("remote command", extra={"command": kind, "ok": ok})
        if self.events is None:
            return
        self.events.submit({
            "event_id": str(uuid.uuid4()), "at": dt.datetime.now(CST).isoformat(timespec="seconds"),
            "type": "command_result", "severity": "info" if ok else "warning",
            "code": f"{kind}_{'ok' if ok else 'failed'}", "message": message[:200], "command_id": command_id,
        })

    # ---- the loop ------------------------------------------------------------------------------
    def _loop(self) -> None:
        next_due = 0.0
        while not self._stop.is_set():
            now = time.monotonic()
            if now >= next_due or self._changed.is_set():
                self._changed.clear()
                self.send_now()
                next_due = time.monotonic() + self.interval_s
            try:
                if self.run_pending():
                    self.state_changed()  # a command may have changed the mode: tell the central now
                if self.events is not None:
                    self.events.flush()
            except Exception:
                log.exception("heartbeat tick failed")
            self._changed.wait(min(self.tick_s, max(0.0, next_due - time.monotonic())))
