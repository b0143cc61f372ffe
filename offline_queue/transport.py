"""What the forwarder needs from the wire: one request, or a /v1/batch of them.

Implementations raise TransportError for connection errors, resets and timeouts (outcome
unknown), and return a response for anything the server answered.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from offline_queue.errors import OfflineQueueError, TransportError

__all__ = ["BatchItem", "BatchItemResult", "BatchRefused", "Transport", "TransportError", "TransportResponse"]

MAX_BATCH = 100  # central-api.md: /v1/batch takes up to 100 items


@dataclass(frozen=True)
class TransportResponse:
    status: int
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""

    @property
    def replayed(self) -> bool:
        return self.headers.get("idempotent-replayed", "").lower() == "true"


@dataclass(frozen=True)
class BatchItem:
    idempotency_key: str
    method: str
    path: str
    body: bytes  # a JSON document (the batch envelope embeds it)


@dataclass(frozen=True)
class BatchItemResult:
    idempotency_key: str
    status: int
    body: bytes = b""
    replayed: bool = False


class BatchRefused(OfflineQueueError):
    """The /v1/batch request as a whole got a non-2xx answer (no item was judged)."""

    def __init__(self, response: TransportResponse) -> None:
        super().__init__(f"batch refused with HTTP {response.status}")
        self.response = response


class Transport(Protocol):
    def send(self, method: str, path: str, body: bytes, idempotency_key: str) -> TransportResponse: ...

    def send_batch(self, items: Sequence[BatchItem]) -> list[BatchItemResult]:
        """Results for the items the server judged (matched by key; missing ones count as not sent).

        Raises BatchRefused for a non-2xx answer to the batch itself, TransportError on the wire.
        """
        ...
