"""The pending release's health check and the switch gate, from what the running kiosk publishes.

Healthy means: the UI is up (its state file is fresh, so it sent READY=1 and keeps feeding the
watchdog) and has left "starting", no device is in a fault state the good release did not also
show, and the outbox opens and passes SQLite's integrity check at a schema this code knows
(so the queued transactions survive). The central being reachable is reported, not required:
a kiosk updated over a USB bundle may have no link.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.config import Config
from offline_queue.migrations import CURRENT_VERSION, schema_version

UI_STATE = "ui-state.json"
FAULT_STATES = ("fault", "error", "failed", "offline")


@dataclass
class HealthReport:
    ok: bool
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@contextlib.contextmanager
def _read_only(db: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection; side files SQLite creates while we (root) read are given back to the
    database's owner, so the kiosk user can still open its own outbox afterwards."""
    sides = [db.with_name(db.name + s) for s in ("-wal", "-shm")]
    before = {p for p in sides if p.exists()}
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        yield conn
    finally:
        conn.close()
        owner = db.stat()
        for p in sides:
            if p not in before and p.exists() and os.geteuid() == 0:
                os.chown(p, owner.st_uid, owner.st_gid)


def queue_schema(db: Path) -> int:
    """The outbox's schema version (0: no outbox yet)."""
    if not db.exists():
        return 0
    with _read_only(db) as conn:
        return schema_version(conn)


def queue_held(db: Path) -> int:
    """Items whose body the outbox still holds (undelivered or dead letters; acked rows keep no body)."""
    if not db.exists():
        return 0
    with _read_only(db) as conn:
        (n,) = conn.execute("SELECT COUNT(*) FROM items WHERE body IS NOT NULL").fetchone()
        return int(n)


def queue_intact(db: Path) -> str | None:
    """None when the outbox is readable by this release; else the problem."""
    if not db.exists():
        return None  # nothing queued yet
    try:
        with _read_only(db) as conn:
            version = schema_version(conn)
            row = conn.execute("PRAGMA quick_check").fetchone()
    except sqlite3.Error as exc:
        return f"queue unreadable: {type(exc).__name__}"
    if version > CURRENT_VERSION:
        return f"queue schema {version} is newer than this release's {CURRENT_VERSION}"
    if row is None or row[0] != "ok":
        return "queue integrity check failed"
    return None


def check(cfg: Config, ui_state: dict[str, Any] | None, *,
          central_ok: Callable[[], bool] = lambda: False) -> HealthReport:
    rep = HealthReport(ok=True)
    if ui_state is None:
        rep.problems.append("UI not up (no fresh state)")
    else:
        if ui_state.get("mode") == "starting":
            rep.problems.append("UI still starting")
        for name, dev in (ui_state.get("devices") or {}).items():
            if isinstance(dev, dict) and dev.get("state") in FAULT_STATES:
                rep.problems.append(f"device {name} {dev.get('state')}")
    problem = queue_intact(cfg.data_path(cfg.offline.queue_db))
    if problem:
        rep.problems.append(problem)
    rep.notes.append("central reachable" if central_ok() else "central not reachable (queue intact)")
    rep.ok = not rep.problems
    return rep


def read_ui_state(cfg: Config, stale_s: float = 30.0) -> dict[str, Any] | None:
    import json

    try:
        data: dict[str, Any] = json.loads(cfg.run_path(UI_STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if time.time() - float(data.get("written_at", 0)) > stale_s:
        return None
    return data


class NotNow(Exception):
    """The kiosk cannot switch now (a citizen is being served, or it did not go out of service)."""


def wait_for_switch_window(cfg: Config, *, timeout_s: float, poll_s: float = 1.0,
                           request_out_of_service: Callable[[], None] = lambda: None) -> None:
    """Block until no session is in progress and the kiosk is out of service (asks for it once idle)."""
    deadline = time.monotonic() + timeout_s
    asked = False
    while True:
        ui = read_ui_state(cfg)
        idle = ui is None or not ui.get("in_transaction", False)  # UI down: nobody is being served
        if ui is None or (idle and ui.get("mode") in ("out_of_service", "maintenance")):
            return
        if idle and not asked:
            request_out_of_service()
            asked = True
        if time.monotonic() >= deadline:
            raise NotNow("a session is in progress" if not idle else "the kiosk did not go out of service")
        time.sleep(poll_s)
