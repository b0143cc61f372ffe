"""How a central answer decides an item's fate (central-api.md, "Errors"). The one place for this rule."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum


class Verdict(Enum):
    ACK = "ack"  # 2xx, replays included
    DEAD = "dead"  # permanent for this request: dead letter with the reason
    AUTH = "auth"  # credentials/certificate: pause sending, alarm, keep the queue
    RETRY = "retry"  # transient: backoff with jitter, honour Retry-After


def classify(status: int) -> Verdict:
    if 200 <= status < 300:
        return Verdict.ACK
    if status in (401, 403):
        return Verdict.AUTH
    if status in (408, 429) or status >= 500:
        return Verdict.RETRY
    if 400 <= status < 500:  # 400/404/409/422 by contract, and any other client error
        return Verdict.DEAD
    return Verdict.RETRY  # 1xx/3xx are not answers we can act on: try again later


@dataclass(frozen=True)
class Refusal:
    """The central's error body (central-api.md "Errors") as data: code, message and every reason."""

    status: int
    code: str
    message: str = ""
    reasons: tuple[tuple[str, str], ...] = ()  # (code, message)

    def text(self) -> str:
        """ "HTTP 422 code: message [reason codes]" for operators (last_error); never parsed back."""
        if not self.code:
            return f"HTTP {self.status}"
        text = f"HTTP {self.status} {self.code}: {self.message}"
        return text + (f" [{', '.join(c for c, _ in self.reasons)}]" if self.reasons else "")


def refusal(status: int, body: bytes) -> Refusal:
    """Read a refusal's error body; a body outside the contract leaves only the status (code ``http_<status>``
    is then the caller's choice, not invented here)."""
    try:
        err = json.loads(body.decode("utf-8"))["error"]
        code, message = str(err.get("code", "")), str(err.get("message", ""))
        reasons = tuple((str(r.get("code", "")), str(r.get("message", "")))
                        for r in err.get("reasons", []) if isinstance(r, dict))
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError, RecursionError):
        return Refusal(status, "")
    return Refusal(status, code, message, reasons)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime

    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError, IndexError):
        return None
