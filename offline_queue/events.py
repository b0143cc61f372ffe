"""Events and alarms the queue reports to its owner through one plain callable.

Events carry ids, codes and masked text only — never a request body.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Severity = Literal["info", "warning", "critical"]


@dataclass(frozen=True)
class QueueEvent:
    # e.g. "queue_full", "write_failed", "auth_failed", "dead_letter", "set_aside",
    # "flagged_old", "acked", "link_down", "link_up", "sending_paused", "sending_resumed",
    # "integrity_failed" (at open: a damaged WAL tail, quick_check problems, bodies that fail
    # authentication — each also a "dead_letter"), "clock_jump" (retry times followed the clock)
    code: str
    severity: Severity
    message: str
    item_id: int | None = None


EventSink = Callable[[QueueEvent], None]


def emit(sink: EventSink | None, event: QueueEvent) -> None:
    """Deliver an event; a failing observer must never break the queue."""
    if sink is None:
        return
    with contextlib.suppress(Exception):
        sink(event)
