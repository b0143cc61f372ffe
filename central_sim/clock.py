"""The central's clock: China Standard Time, RFC 3339 with offset (central-api.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

CST = dt.timezone(dt.timedelta(hours=8), "CST")

Clock = Callable[[], dt.datetime]


def system_clock() -> dt.datetime:
    return dt.datetime.now(CST)


def rfc3339(t: dt.datetime) -> str:
    return t.astimezone(CST).isoformat(timespec="seconds")


def parse_rfc3339(value: str) -> dt.datetime | None:
    """An aware datetime, or None when the text is not RFC 3339 with an offset."""
    try:
        t = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return t if t.tzinfo is not None else None


def parse_date(value: object) -> dt.date | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None
