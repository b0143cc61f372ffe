"""A Transport wrapper that records what really went over the wire (the real HttpTransport inside)."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from offline_queue import BatchItem, BatchItemResult, TransportResponse
from offline_queue.http_transport import HttpTransport


class Recording:
    def __init__(self, inner: HttpTransport) -> None:
        self.inner = inner
        self.singles = 0
        self.batches: list[int] = []
        self.delivered: list[str] = []  # keys in the order the central answered 2xx
        self.lock = threading.Lock()

    def send(self, method: str, path: str, body: bytes, idempotency_key: str) -> TransportResponse:
        with self.lock:
            self.singles += 1
        r = self.inner.send(method, path, body, idempotency_key)
        if 200 <= r.status < 300:
            with self.lock:
                self.delivered.append(idempotency_key)
        return r

    def send_batch(self, items: Sequence[BatchItem]) -> list[BatchItemResult]:
        with self.lock:
            self.batches.append(len(items))
        out = self.inner.send_batch(items)
        with self.lock:
            self.delivered.extend(r.idempotency_key for r in out if 200 <= r.status < 300)
        return out
