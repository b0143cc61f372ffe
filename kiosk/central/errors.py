"""Typed errors of the central link, one per class of the contract's error model.

Messages carry codes and HTTP statuses only, never personal data, so they are safe to log.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Reason:
    code: str
    message: str


class CentralError(Exception):
    def __init__(self, code: str, message: str = "", status: int | None = None) -> None:
        super().__init__(f"{code} (HTTP {status})" if status else code)
        self.code = code
        self.message = message
        self.status = status


class CentralRejected(CentralError):
    """400/404/409/422: permanent for this request; do not retry. ``reasons`` lists every problem."""

    def __init__(self, status: int, code: str, message: str, reasons: tuple[Reason, ...] = ()) -> None:
        super().__init__(code, message, status)
        self.reasons = reasons


class CentralAuthError(CentralError):
    """401/403 or a TLS certificate refused (either side): stop sending, raise a maintenance alarm."""


class CentralUnavailable(CentralError):
    """408/429/5xx, connection errors, timeouts: transient; retry with backoff (``retry_after_s`` if given)."""

    def __init__(self, code: str, message: str = "", status: int | None = None,
                 retry_after_s: float | None = None) -> None:
        super().__init__(code, message, status)
        self.retry_after_s = retry_after_s


class CentralProtocolError(CentralError):
    """The central answered something the contract does not allow (malformed or unexpected)."""


class CentralConfigError(ValueError):
    """The client was configured against the contract (e.g. plain http to a non-loopback host)."""
