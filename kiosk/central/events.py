"""Events to the central, batched: device alarms, technician actions, command results (masked by the caller).

Events are "queued always" (central-api.md offline policy): in production the uploader hands each
batch to the offline queue (``via_queue``); ``direct`` posts it at once (tests, tools).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from hal.pii import scrub_json
from kiosk.central import requests as rq
from kiosk.central.bodies import EventsBody

log = logging.getLogger("kiosk.central.events")
MAX_BATCH = 100
MAX_BUFFER = 2000  # beyond this the oldest events are dropped (counted), never the process memory

Send = Callable[[list[dict[str, Any]], str], None]  # (events, idempotency key); raises when not delivered/stored


def masked(event: Mapping[str, Any]) -> dict[str, Any]:
    """The event as it may leave the kiosk: the one PII rule set applied at the sink. The audit head is
    kept as it is: a hex hash holds no personal data, and scrubbing its digit runs would break it."""
    fields = dict(event)
    audit = fields.pop("audit", None)
    clean = dict(scrub_json(fields))
    if audit is not None:
        clean["audit"] = audit
    return clean


class EventUploader:
    def __init__(self, send: Send) -> None:
        self._send = send
        self._lock = threading.Lock()
        self._buffer: deque[dict[str, Any]] = deque()
        self._pending_key: str | None = None  # a batch whose outcome is unknown keeps its key for the retry
        self.dropped = 0

    @classmethod
    def direct(cls, client: Any) -> EventUploader:
        return cls(lambda events, key: client.send_events(events, idempotency_key=key) and None)

    @classmethod
    def via_queue(cls, client: Any) -> EventUploader:
        return cls(lambda events, key: client.enqueue(rq.EVENTS, EventsBody(events=events), service="events",
                                                      idempotency_key=key) and None)

    def submit(self, event: Mapping[str, Any]) -> None:
        with self._lock:
            if len(self._buffer) >= MAX_BUFFER:
                self._buffer.popleft()
                self.dropped += 1
            self._buffer.append(masked(event))

    def observe(self, event: Any) -> None:
        """For EventLog.subscribe: accepts an object with ``to_json()``."""
        self.submit(event.to_json())

    @property
    def backlog(self) -> int:
        with self._lock:
            return len(self._buffer)

    def flush(self) -> int:
        """Send what is buffered, ≤ 100 per request; returns how many were handed over."""
        sent = 0
        while True:
            with self._lock:
                batch = [self._buffer[i] for i in range(min(MAX_BATCH, len(self._buffer)))]
                key = self._pending_key or str(uuid.uuid4())
                self._pending_key = key
            if not batch:
                return sent
            try:
                self._send(batch, key)
            except Exception as exc:
                log.warning("events not delivered yet", extra={"error": type(exc).__name__, "count": len(batch)})
                return sent
            with self._lock:
                for _ in batch:
                    self._buffer.popleft()
                self._pending_key = None
            sent += len(batch)
