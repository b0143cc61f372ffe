"""Clocks: flows take one so tests can move time without sleeping."""

from __future__ import annotations

import datetime as dt
import time
from typing import Protocol

CHINA_TZ = dt.timezone(dt.timedelta(hours=8))


class Clock(Protocol):
    def now(self) -> dt.datetime: ...

    def monotonic(self) -> float: ...

    def today(self) -> dt.date: ...


def stamp(clock: Clock) -> str:
    """Now as the central's contract writes a time (RFC 3339, seconds, +08:00): when the citizen did it."""
    return clock.now().isoformat(timespec="seconds")


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(CHINA_TZ)

    def monotonic(self) -> float:
        return time.monotonic()

    def today(self) -> dt.date:
        return self.now().date()


class FixedDateClock(SystemClock):
    """Real monotonic time, but a fixed calendar date (age and expiry rules in tests)."""

    def __init__(self, today: dt.date) -> None:
        self._today = today

    def now(self) -> dt.datetime:
        t = dt.datetime.now(CHINA_TZ)
        return t.replace(year=self._today.year, month=self._today.month, day=self._today.day)

    def today(self) -> dt.date:
        return self._today
