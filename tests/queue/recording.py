"""A Transport wrapper that records what really went over the wire (the real HttpTransport inside)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence

from offline_queue import BatchItem, BatchItemResult, BatchRefused, TransportError, TransportResponse
from offline_queue.http_transport import HttpTransport


class Recording:
    def __init__(self, inner: HttpTransport) -> None:
        self.inner = inner
        self.singles = 0
        self.batches: list[int] = []
        self.delivered: list[str] = []  # keys in the order the central answered 2xx
        self.lock = threading.Lock()
        self.outcomes: Counter[str] = Counter()  # "503", "timeout", "connection", ...

    def send(self, method: str, path: str, body: bytes, idempotency_key: str) -> TransportResponse:
        with self.lock:
            self.singles += 1
        try:
            r = self.inner.send(method, path, body, idempotency_key)
        except TransportError as exc:
            self._count(exc.kind)
            raise
        self._count(str(r.status))
        if 200 <= r.status < 300:
            with self.lock:
                self.delivered.append(idempotency_key)
        return r

    def send_batch(self, items: Sequence[BatchItem]) -> list[BatchItemResult]:
        with self.lock:
            self.batches.append(len(items))
        try:
            out = self.inner.send_batch(items)
        except TransportError as exc:
            self._count(exc.kind)
            raise
        except BatchRefused as exc:
            self._count(str(exc.response.status))
            raise
        self._count("batch_ok")
        with self.lock:
            self.delivered.extend(r.idempotency_key for r in out if 200 <= r.status < 300)
        return out

    def _count(self, what: str) -> None:
        with self.lock:
            self.outcomes[what] += 1
