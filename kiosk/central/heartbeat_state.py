"""The heartbeat body's state part (central-api.md "Heartbeat"), from the objects the app already has.

Nothing personal goes in: device statuses, link and queue counters, disk space, the mode.
"""

from __future__ import annotations

import datetime as dt
import shutil
import time
from collections.abc import Mapping
from typing import Any, Protocol

CST = dt.timezone(dt.timedelta(hours=8))


class _Json(Protocol):
    def to_json(self) -> Mapping[str, Any]: ...


class _Link(Protocol):
    @property
    def online(self) -> bool: ...
    @property
    def last_success_at(self) -> float | None: ...
    @property
    def consecutive_failures(self) -> int: ...


def build_state(
    *,
    app_version: str,
    started_monotonic: float,
    mode: str,
    in_transaction: bool,
    devices: Mapping[str, _Json],
    link: _Link,
    queue: _Json | None,
    data_dir: str,
) -> dict[str, Any]:
    """``devices``: hal DeviceStatus by name; ``link``: offline_queue LinkState; ``queue``: QueueStatus."""
    last = link.last_success_at
    last_at = dt.datetime.fromtimestamp(last, CST).isoformat(timespec="seconds") if last else None
    q = dict(queue.to_json()) if queue is not None else {}
    try:
        disk_free = shutil.disk_usage(data_dir).free
    except OSError:
        disk_free = -1
    return {
        "app_version": app_version,
        "uptime_s": int(time.monotonic() - started_monotonic),
        "mode": mode,
        "in_transaction": in_transaction,
        "devices": {name: dict(status.to_json()) for name, status in devices.items()},
        "link": {"online": link.online, "last_success_at": last_at,
                 "consecutive_failures": link.consecutive_failures},
        "queue": {k: q.get(k, 0) for k in ("depth", "oldest_age_s", "dead_letters", "bytes")},
        "disk_free_bytes": disk_free,
    }
