"""Delivery of requests that travel through the offline queue (routes QUEUED and ALWAYS_QUEUED).

Every such request is made durable in the outbox first (the citizen is told "accepted" only
after that), then, with the link up, the forwarder is woken and the caller waits a bounded
time for the central's answer. One path for online and offline means one idempotency key
and one exactly-once guarantee, whatever the link does mid-transaction.

The wait sleeps on the forwarder's outcome Condition: it wakes when the forwarder settles an
item, not on a timer. When another process (`kiosk sync`) does the sending, nothing in this
process can signal its outcomes, so the wait then re-reads the item every ``cross_process_poll_s``.
"""

from __future__ import annotations

import time

from kiosk.central.outcomes import Accepted, DeliveryRefused, Outcome, Queued, Refused
from kiosk.central.requests import Wire
from offline_queue.errors import QueueFull, QueueWriteError
from offline_queue.forwarder import Forwarder
from offline_queue.link import LinkMonitor
from offline_queue.store import Outbox, State


class DeliveryService:
    def __init__(self, outbox: Outbox, forwarder: Forwarder, link: LinkMonitor, wait_s: float = 8.0,
                 cross_process_poll_s: float = 0.25) -> None:
        self.outbox = outbox
        self.forwarder = forwarder
        self.link = link
        self.wait_s = wait_s
        self.cross_process_poll_s = cross_process_poll_s

    def submit(self, wire: Wire, *, service: str, priority: int, ordering_key: str, summary: str,
               wait: bool = True) -> Outcome:
        """Store durably, then (online, ``wait``) wait a bounded time for the central's answer.
        ``wait=False``: background deliveries (production result, ledger, PIN events) that no
        citizen waits for. Raises DeliveryRefused when nothing could be stored."""
        seen = self.forwarder.settled_count  # before the enqueue, so no outcome slips between
        try:
            item = self.outbox.enqueue(wire.method, wire.path, wire.content or b"", service=service,
                                       priority=priority, ordering_key=ordering_key, summary=summary)
        except QueueFull:
            raise DeliveryRefused("queue_full") from None
        except QueueWriteError:
            raise DeliveryRefused("queue_write_error") from None
        key = item.idempotency_key
        if not self.link.online or not wait:
            return Queued(key)
        self.forwarder.wake()
        deadline = time.monotonic() + self.wait_s
        while True:
            info = self.outbox.find(key)
            if info is not None and info.state == State.ACKED:
                return Accepted(key)
            if info is not None and info.state == State.DEAD:
                return Refused(info.error_code or f"http_{info.status}", info.reasons, key)
            left = deadline - time.monotonic()
            if left <= 0 or not self.link.online:
                return Queued(key)
            if not self.forwarder.running:
                left = min(left, self.cross_process_poll_s)
            seen = self.forwarder.wait_settled(seen, left)
