"""Forwarder + heartbeat: in the kiosk process, or on their own as `kiosk sync`.

Production runs them as kiosk-sync.service so the queue keeps draining and the central keeps
hearing from the kiosk while the UI restarts. The two processes share:
- the SQLite WAL queue (file locking makes that safe; each item is claimed in one transaction);
- ``ui-state.json``: the UI's mode, devices and in_transaction flag, rewritten on every change
  and every few seconds (a stale file means the UI is restarting);
- ``ui-commands/``: remote commands only the UI can carry out (set_mode, reload_config,
  restart_app), one JSON file each, with the outcome written back to ``ui-results/``.
"""

from __future__ import annotations

import json
import logging
import shutil
import signal
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from hal.atomic_file import write_atomic
from kiosk import __version__
from kiosk.command_spool import CommandSpool
from kiosk.config import Config
from offline_queue.link import LinkMonitor
from offline_queue.store import Outbox

log = logging.getLogger("kiosk.sync")
UI_STATE_STALE_S = 10.0
UI_COMMANDS = ("set_mode", "reload_config", "restart_app", "run_self_tests", "upload_stock_ledger")
LEDGER_KEEP_S = 35 * 86400.0  # masked receipts of acked items: the central keeps outcomes 30 days
LEDGER_PRUNE_EVERY_S = 3600.0


def prune_ledger(outbox: Outbox, last: float) -> float:
    """Drop old masked receipts at most hourly (data minimisation; keeps the queue's scans short)."""
    now = time.monotonic()
    if last and now - last < LEDGER_PRUNE_EVERY_S:
        return last
    try:
        removed = outbox.prune_ledger(LEDGER_KEEP_S)
        if removed:
            log.info("ledger pruned", extra={"removed": removed})
    except Exception:
        log.exception("ledger prune failed")
    return now


def link_json(link: LinkMonitor) -> dict[str, Any]:
    last = link.last_success_at
    return {
        "online": link.online,
        "last_success_at": time.strftime("%Y-%m-%dT%H:%M:%S+08:00", time.localtime(last)) if last else None,
        "consecutive_failures": link.consecutive_failures,
    }


def queue_json(outbox: Outbox) -> dict[str, Any]:
    st = outbox.status()
    return {"depth": st.depth, "oldest_age_s": round(st.oldest_age_s, 1), "dead_letters": st.dead_letters,
            "bytes": st.bytes}


def disk_free(path: Path) -> int:
    try:
        return shutil.disk_usage(path).free
    except OSError:
        return 0


class UiStateFile:
    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, state: Mapping[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(self.path, json.dumps({**state, "written_at": time.time()}))

    def read(self) -> dict[str, Any] | None:
        """The UI's last state, or None when it is missing or stale (UI down or restarting)."""
        try:
            data: dict[str, Any] = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if time.time() - float(data.get("written_at", 0)) > UI_STATE_STALE_S:
            return None
        return data


def make_heartbeat(cfg: Config, client: Any, state: Callable[[], Mapping[str, Any]],
                   is_idle: Callable[[], bool], outbox: Outbox) -> Any:
    from kiosk.audit import AUDIT_FILE, read_head
    from kiosk.central.events import EventUploader
    from kiosk.central.heartbeat import HeartbeatSender
    from kiosk.update.remote import register as register_update
    from kiosk.update.status import heartbeat_update

    def state_with_update() -> Mapping[str, Any]:
        # Either process that heartbeats reports the update state (docs/updates.md).
        u = heartbeat_update(cfg)
        return {**state(), "update": u} if u else state()

    events = EventUploader.via_queue(client)
    hb = HeartbeatSender(client, state_with_update, cfg.data_path("heartbeat.seq"),
                         interval_s=cfg.central.heartbeat_interval_s, is_idle=is_idle, events=events)
    audit_log = cfg.data_path(AUDIT_FILE)
    hb.audit_head = lambda: read_head(audit_log)  # the central anchors it (docs/security.md)
    hb.register("flush_queue", lambda _cmd: "flushed" if _flush(outbox) else "flush incomplete")
    register_update(hb, cfg)  # writes a request the privileged kiosk-update.service carries out
    return hb


def _flush(outbox: Outbox) -> bool:
    outbox.make_all_due()
    return True


class SyncService:
    """`kiosk sync`: the forwarder and the heartbeat on their own (kiosk-sync.service)."""

    def __init__(self, cfg: Config) -> None:
        from kiosk.central.client import CentralClient
        from kiosk.queue_setup import open_queue

        self.cfg = cfg
        self.started = time.monotonic()
        self.link = LinkMonitor(cfg.offline.link_down_after_failures)
        self.outbox, self.forwarder, self.transport, self.queue_key = open_queue(cfg, self.link, on_event=None)
        self.client = CentralClient.from_config(cfg, link=self.link, outbox=self.outbox)
        self.ui_state = UiStateFile(cfg.run_path("ui-state.json"))
        self.spool = CommandSpool(cfg.run_path(""))
        self.heartbeat = make_heartbeat(cfg, self.client, self.state, self._ui_idle, self.outbox)
        for kind in UI_COMMANDS:
            self.heartbeat.register(kind, self._to_ui)
        self._stop = threading.Event()

    def _workers_alive(self) -> bool:
        threads = (getattr(self.forwarder, "_thread", None), getattr(self.heartbeat, "_thread", None))
        return all(t is not None and t.is_alive() for t in threads)

    def _ui_idle(self) -> bool:
        ui = self.ui_state.read()
        return ui is not None and not ui.get("in_transaction", False)

    def _to_ui(self, cmd: Any) -> str:
        self.spool.post(cmd.model_dump())
        return "handed to the UI"

    def state(self) -> dict[str, Any]:
        ui = self.ui_state.read()
        return {
            "app_version": __version__,
            "uptime_s": int(time.monotonic() - self.started),
            "mode": ui.get("mode", "starting") if ui else "starting",
            "in_transaction": bool(ui.get("in_transaction")) if ui else False,
            "devices": ui.get("devices", {}) if ui else {},
            "link": link_json(self.link),
            "queue": queue_json(self.outbox),
            "disk_free_bytes": disk_free(Path(self.cfg.kiosk.data_dir)),
        }

    def run(self) -> int:
        from kiosk import watchdog

        signal.signal(signal.SIGTERM, lambda *_: self._stop.set())
        self.forwarder.start()
        self.heartbeat.start()
        watchdog.ready("sync running")
        pruned = 0.0
        while not self._stop.wait(2.0):
            pruned = prune_ledger(self.outbox, pruned)
            if self._workers_alive():  # a dead worker thread must end in a restart, not a silent stall
                watchdog.watchdog_ping()
            for outcome in self.spool.outcomes():
                self.heartbeat._report(outcome.get("id", ""), "ui_command", bool(outcome.get("ok")),
                                       str(outcome.get("message", "")))
        watchdog.stopping()
        self.heartbeat.stop()
        self.forwarder.stop()
        self.outbox.close()
        self.client.close()
        self.transport.close()
        return 0
