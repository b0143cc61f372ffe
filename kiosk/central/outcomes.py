"""What became of a request that went through the offline queue, as a flow sees it: typed data, never
HTTP statuses, paths or queue rows."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Accepted:
    """The central applied it (acknowledged through the queue, which keeps no answer bodies)."""

    idempotency_key: str


@dataclass(frozen=True)
class Refused:
    """The central refused it for good: its error code and every (code, message) reason it gave.
    Messages are the central's (scrubbed of digit runs); flows show reason codes, not messages."""

    code: str
    reasons: tuple[tuple[str, str], ...] = ()
    idempotency_key: str = ""

    @property
    def codes(self) -> tuple[str, ...]:
        """Every reason code, or the error code when the central listed none."""
        return tuple(c for c, _ in self.reasons) or (self.code,)


@dataclass(frozen=True)
class Queued:
    """Stored durably; the central has not answered yet (link down, or not within the wait)."""

    idempotency_key: str


Outcome = Accepted | Refused | Queued


class DeliveryRefused(Exception):
    """The request could not even be stored (queue full or disk error): nothing was accepted."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code
