"""The link to the central and what the kiosk tells it: link probes, the heartbeat's state, events.

With ``central.sync = in_process`` the heartbeat runs here and carries the events; with
``external`` (`kiosk sync` is its own process, kiosk/sync.py) the state goes to ``ui-state.json``
for that process, and events go into the shared queue themselves (its forwarder batches them).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from hal.status import DeviceStatus
from kiosk import __version__
from kiosk.alarms import EventLog, KioskEvent
from kiosk.config import Config
from kiosk.sync import UiStateFile, disk_free, link_json, make_heartbeat, queue_json
from offline_queue.link import LinkMonitor
from offline_queue.store import Outbox

log = logging.getLogger("kiosk.link_heartbeat")
SupplyOverlay = Callable[[dict[str, str], str], dict[str, str]]  # (supplies, device name) → supplies shown


class LinkProbe:
    """Asks the central's health endpoint and keeps the link monitor's verdict."""

    def __init__(self, central: Any, link: LinkMonitor) -> None:
        self.central = central
        self.link = link

    def probe(self) -> bool:
        """One probe; True when the link went online or offline because of it."""
        health = getattr(self.central, "health", None)
        if health is None:
            return False
        was = self.link.online
        try:
            health()
            self.link.report_success()
        except Exception:
            self.link.report_failure()
        if was == self.link.online:
            return False
        log.info("link changed", extra={"online": self.link.online})
        return True


def device_json(st: DeviceStatus, supplies: SupplyOverlay | None = None, name: str = "") -> dict[str, Any]:
    d = st.to_json()
    sup: Any = d["supplies"]
    if supplies is not None:  # the kiosk's own consumable counts and thresholds (maintenance)
        sup = supplies(sup, name)
    return {"state": d["state"], "supplies": sup, "counters": d["counters"], "last_error": d["last_error"]}


def state_fields(*, started: float, mode: str, in_transaction: bool, statuses: Mapping[str, DeviceStatus],
                 supplies: SupplyOverlay | None, link: LinkMonitor, outbox: Outbox, data_dir: str
                 ) -> dict[str, Any]:
    """The heartbeat body's state fields (central-api.md); codes and counters, no personal data."""
    return {
        "app_version": __version__,
        "uptime_s": int(time.monotonic() - started),
        "mode": mode,
        "in_transaction": in_transaction,
        "devices": {k: device_json(v, supplies, k) for k, v in statuses.items()},
        "link": link_json(link),
        "queue": queue_json(outbox),
        "disk_free_bytes": disk_free(Path(data_dir)),
    }


class StatePublisher:
    """Tells whoever reports to the central that the state changed: the in-process heartbeat
    (sends at once) or, with external sync, the UI state file `kiosk sync` reads."""

    def __init__(self, heartbeat: Any, ui_state: UiStateFile | None, state: Callable[[], Mapping[str, Any]]
                 ) -> None:
        self.heartbeat = heartbeat
        self.ui_state = ui_state
        self.state = state

    def publish(self) -> None:
        if self.heartbeat is not None:
            self.heartbeat.state_changed()
        if self.ui_state is not None:
            try:
                self.ui_state.write(self.state())
            except OSError:
                log.warning("cannot write the UI state file")


def start_heartbeat(cfg: Config, central: Any, state: Callable[[], Mapping[str, Any]],
                    is_idle: Callable[[], bool], outbox: Outbox, events: EventLog) -> Any:
    """The in-process heartbeat (not started yet); it also carries every kiosk event to the central."""
    heartbeat = make_heartbeat(cfg, central, state, is_idle, outbox)
    events.subscribe(heartbeat.events.observe)
    return heartbeat


def events_via_queue(central: Any, events: EventLog) -> None:
    """No heartbeat here: each kiosk event goes into the shared queue as it happens."""
    if not callable(getattr(central, "enqueue", None)):
        return
    from kiosk.central.events import EventUploader

    uploader = EventUploader.via_queue(central)

    def upload(event: KioskEvent) -> None:
        uploader.observe(event)
        uploader.flush()

    events.subscribe(upload)
