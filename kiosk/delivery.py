"""Delivery of state-changing requests whose offline policy is "queued".

Every such request is made durable in the outbox first (the citizen is told "accepted" only
after that), then, with the link up, the forwarder is woken and the flow waits a bounded
time for the central's answer. One path for online and offline means one idempotency key
and one exactly-once guarantee, whatever the link does mid-transaction.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from kiosk.domain.services import SERVICES, ServiceId
from offline_queue.errors import QueueFull, QueueWriteError
from offline_queue.forwarder import Forwarder
from offline_queue.link import LinkMonitor
from offline_queue.store import Outbox, State


@dataclass(frozen=True)
class Delivery:
    applied: bool  # the central acknowledged it
    rejected: bool  # the central refused it for good (dead letter)
    code: str = ""
    reasons: tuple[str, ...] = ()
    idempotency_key: str = ""


class DeliveryRefused(Exception):
    """The request could not even be stored (queue full or disk error): nothing was accepted."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class DeliveryService:
    def __init__(self, outbox: Outbox, forwarder: Forwarder, link: LinkMonitor, wait_s: float = 8.0) -> None:
        self.outbox = outbox
        self.forwarder = forwarder
        self.link = link
        self.wait_s = wait_s

    def submit(
        self,
        service: ServiceId,
        method: str,
        path: str,
        body: dict[str, Any],
        *,
        ordering_key: str,
        summary: str,
        priority: int | None = None,
        wait: bool = True,
    ) -> Delivery:
        """Store durably, then (online, ``wait``) wait a bounded time for the central's answer.
        ``wait=False``: background deliveries (production result, ledger, PIN events) that no
        citizen waits for."""
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        try:
            item = self.outbox.enqueue(
                method, path, raw,
                service=service.value,
                priority=SERVICES[service].queue_priority if priority is None else priority,
                ordering_key=ordering_key,
                summary=summary,
            )
        except QueueFull:
            raise DeliveryRefused("queue_full") from None
        except QueueWriteError:
            raise DeliveryRefused("queue_write_error") from None
        if not self.link.online:
            return Delivery(False, False, "queued", idempotency_key=item.idempotency_key)
        self.forwarder.wake()
        if not wait:
            return Delivery(False, False, "queued", idempotency_key=item.idempotency_key)
        deadline = time.monotonic() + self.wait_s
        while time.monotonic() < deadline:
            info = self.outbox.find(item.idempotency_key)
            if info is not None and info.state == State.ACKED:
                return Delivery(True, False, "applied", idempotency_key=item.idempotency_key)
            if info is not None and info.state == State.DEAD:
                code = (info.last_error or "rejected").split(":")[0].strip()
                return Delivery(False, True, code, (f"reason.{code}",), item.idempotency_key)
            time.sleep(0.02)
        return Delivery(False, False, "queued", idempotency_key=item.idempotency_key)
