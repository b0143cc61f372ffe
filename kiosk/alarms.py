"""Alarms and events for the central (device alarms, command outcomes, transaction outcomes).

Events are masked by construction: callers pass codes and masked text only; every text field is
scrubbed again here (hal/pii.py) before anyone sees the event.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from hal.pii import scrub
from kiosk.clock import CHINA_TZ

log = logging.getLogger("kiosk.alarms")
Severity = Literal["info", "warning", "critical"]
EventType = Literal["device_alarm", "device_recovered", "technician_action", "command_result",
                    "transaction_outcome"]


@dataclass(frozen=True)
class KioskEvent:
    type: EventType
    code: str
    severity: Severity
    message: str
    device: str | None = None
    event_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    at: str = field(default_factory=lambda: dt.datetime.now(CHINA_TZ).isoformat(timespec="seconds"))
    audit: dict[str, object] | None = None  # a technician action's audit head {seq, head}: the central anchors it
    # a transaction's number, as on the citizen's receipt: the central files the outcome under it, so the
    # counter can look the transaction up by it (result.receipt)
    transaction_no: str = ""

    def to_json(self) -> dict[str, object]:
        d: dict[str, object] = {"event_id": self.event_id, "at": self.at, "type": self.type,
                                "severity": self.severity, "code": self.code, "message": self.message}
        if self.device:
            d["device"] = self.device
        if self.audit is not None:
            d["audit"] = self.audit
        if self.transaction_no:
            d["transaction_no"] = self.transaction_no
        return d


class EventLog:
    """Recent events (bounded) plus the active alarms, with observers (the event uploader)."""

    def __init__(self, keep: int = 500) -> None:
        self._lock = threading.Lock()
        self.recent: deque[KioskEvent] = deque(maxlen=keep)
        self.active_alarms: dict[str, KioskEvent] = {}
        self._observers: list[Callable[[KioskEvent], None]] = []

    def subscribe(self, observer: Callable[[KioskEvent], None]) -> None:
        self._observers.append(observer)

    def record(self, event: KioskEvent) -> None:
        event = dataclasses.replace(event, code=scrub(event.code), message=scrub(event.message),
                                    device=scrub(event.device) if event.device else event.device)
        with self._lock:
            self.recent.append(event)
            key = f"{event.device or '-'}:{event.code}"
            if event.type == "device_alarm":
                self.active_alarms[key] = event
            elif event.type == "device_recovered":
                for k in [k for k in self.active_alarms if k.startswith(f"{event.device or '-'}:")]:
                    del self.active_alarms[k]
        log.log(logging.WARNING if event.severity != "info" else logging.INFO, "event",
                extra={"type": event.type, "code": event.code, "device": event.device or ""})
        for obs in list(self._observers):
            try:
                obs(event)
            except Exception:
                log.exception("event observer failed")

    def alarm(self, code: str, message: str, *, device: str | None = None,
              severity: Severity = "warning") -> None:
        self.record(KioskEvent("device_alarm", code, severity, message, device))

    def recovered(self, device: str, message: str = "recovered") -> None:
        self.record(KioskEvent("device_recovered", "recovered", "info", message, device))
