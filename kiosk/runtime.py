"""The composition root: configuration → devices, queue, central client, link, flows.

The UI talks only to this object; it never touches a device or the network itself.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from enum import StrEnum
from pathlib import Path
from typing import Any

from hal.status import DeviceError, DeviceStatus
from hal.types import Receipt
from kiosk.alarms import EventLog, KioskEvent
from kiosk.clock import Clock, SystemClock
from kiosk.config import Config
from kiosk.delivery import DeliveryService
from kiosk.devices import DeviceSet, build_devices
from kiosk.domain.services import Availability, ServiceId, availability
from kiosk.flows.base import Flow, FlowChannel, FlowContext, FlowResult, UserInput, View, run_flow
from kiosk.local_blocks import LocalBlocks
from kiosk.session import Session
from offline_queue.crypto import BodyCipher, create_key_file, load_key_file
from offline_queue.events import QueueEvent
from offline_queue.forwarder import Forwarder, ForwarderConfig
from offline_queue.http_transport import HttpTransport
from offline_queue.link import LinkMonitor
from offline_queue.store import Bounds, Outbox

log = logging.getLogger("kiosk.runtime")


class Mode(StrEnum):
    STARTING = "starting"
    IN_SERVICE = "in_service"
    OUT_OF_SERVICE = "out_of_service"
    MAINTENANCE = "maintenance"


def _flow_registry() -> dict[ServiceId, Callable[[], Flow]]:
    from kiosk.flows.loss_report import LossReportFlow

    return {ServiceId.LOSS_REPORT: LossReportFlow}


class Services:
    """What flows reach through ``ctx.services``."""

    def __init__(self, rt: Runtime) -> None:
        self._rt = rt
        self.delivery = rt.delivery

    def link_online(self) -> bool:
        return self._rt.link.online

    def block_card_locally(self, identifier: str) -> None:
        self._rt.blocks.block(identifier)

    def print_receipt(self, receipt: Receipt) -> bool:
        printer = self._rt.devices.receipt_printer
        if printer is None:
            return False
        try:
            printer.print_receipt(receipt)
            return True
        except DeviceError as exc:
            self._rt.events.alarm(exc.code, "receipt printing failed", device="receipt_printer")
            return False


class Runtime:
    def __init__(self, cfg: Config, *, clock: Clock | None = None, devices: DeviceSet | None = None,
                 central: Any = None) -> None:
        self.cfg = cfg
        self.clock = clock or SystemClock()
        self.events = EventLog()
        self.mode = Mode.STARTING
        self.mode_message = ""
        data = Path(cfg.kiosk.data_dir)
        data.mkdir(parents=True, exist_ok=True)
        os.chmod(data, 0o700)
        key_path = cfg.data_path(cfg.offline.queue_key_file)
        if not key_path.exists() and cfg.kiosk.simulator_mode:
            create_key_file(key_path)  # demo only; production installs its key at provisioning
        self.queue_key = load_key_file(key_path)
        self.outbox = Outbox(
            cfg.data_path(cfg.offline.queue_db), BodyCipher(self.queue_key),
            Bounds(cfg.offline.max_items, cfg.offline.max_bytes, cfg.offline.max_age_days * 86400),
            on_event=self._queue_event,
        )
        self.link = LinkMonitor(cfg.offline.link_down_after_failures)
        headers = {"X-Kiosk-Id": cfg.kiosk.id}
        self.transport = HttpTransport(
            cfg.central.url, ca_file=cfg.central.ca_file, cert_file=cfg.central.cert_file,
            key_file=cfg.central.key_file, connect_timeout_s=cfg.central.connect_timeout_s,
            read_timeout_s=cfg.central.read_timeout_s, default_headers=headers,
        )
        self.forwarder = Forwarder(
            self.outbox, self.transport, link=self.link,
            config=ForwarderConfig(batch_threshold=cfg.offline.batch_threshold),
            on_event=self._queue_event,
        )
        self.delivery = DeliveryService(self.outbox, self.forwarder, self.link,
                                        wait_s=cfg.central.read_timeout_s)
        self.blocks = LocalBlocks(cfg.data_path("blocked_cards.json"), self.queue_key)
        self.devices = devices or build_devices(cfg)
        self.central = central if central is not None else _make_central(cfg, self.link)
        self.flows = _flow_registry()
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiosk-worker")
        self._active: tuple[FlowChannel, Future[FlowResult]] | None = None
        self._statuses: dict[str, DeviceStatus] = {}
        self._stop = threading.Event()
        self._monitor: threading.Thread | None = None
        self.listeners: list[Callable[[], None]] = []  # told when device/link/mode state changes

    # ---- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        self.devices.open_all()
        self.forwarder.start()
        self._poll_devices()
        self._monitor = threading.Thread(target=self._monitor_loop, name="kiosk-monitor", daemon=True)
        self._monitor.start()
        self.mode = Mode.IN_SERVICE

    def stop(self) -> None:
        self._stop.set()
        if self._active:
            self._active[0].send(UserInput("cancel"))
        self._worker.shutdown(wait=True, cancel_futures=True)
        self.forwarder.stop()
        self.devices.close_all()
        self.outbox.close()
        self.transport.close()
        close = getattr(self.central, "close", None)
        if callable(close):
            close()

    # ---- state the UI shows --------------------------------------------------------------------
    @property
    def in_transaction(self) -> bool:
        return self._active is not None and not self._active[1].done()

    def statuses(self) -> dict[str, DeviceStatus]:
        return dict(self._statuses)

    def availability(self) -> dict[ServiceId, tuple[Availability, frozenset[Any]]]:
        usable = self.devices.usable(self._statuses or None)
        return {
            s: availability(s, link_online=self.link.online, usable_devices=usable, built=set(self.flows),
                            accept_offline_applications=self.cfg.offline.accept_applications_for_later)
            for s in ServiceId
        }

    def out_of_service_reason(self) -> str | None:
        """Why the citizen screen must show out-of-service, or None when some service can run."""
        if self.mode is Mode.OUT_OF_SERVICE:
            return "remote"
        if self.mode is Mode.MAINTENANCE:
            return "maintenance"
        usable = {Availability.AVAILABLE, Availability.AVAILABLE_OFFLINE}
        states = [a for s, (a, _) in self.availability().items() if s in self.flows]
        if any(a in usable for a in states):
            return None
        return "link" if not self.link.online else "devices"

    def set_mode(self, mode: Mode, message: str = "") -> None:
        self.mode, self.mode_message = mode, message
        self._changed()

    # ---- flows -------------------------------------------------------------------------------
    def start_service(self, service: ServiceId, emit: Callable[[View], None],
                      on_end: Callable[[FlowResult], None] | None = None) -> FlowChannel:
        if self.in_transaction:
            raise RuntimeError("a transaction is already running")
        flow = self.flows[service]()
        channel = FlowChannel(emit)
        ctx = FlowContext(channel=channel, session=Session(), clock=self.clock, devices=self.devices,
                          central=self.central, services=Services(self), config=self.cfg)

        def run() -> FlowResult:
            result = run_flow(flow, ctx)
            self.events.record(KioskEvent("transaction_outcome", f"{service.value}.{result.end.value}",
                                          "info", result.code))
            if on_end:
                on_end(result)
            return result

        self._active = (channel, self._worker.submit(run))
        return channel

    def wait_idle(self, timeout: float | None = None) -> FlowResult | None:
        if self._active is None:
            return None
        return self._active[1].result(timeout)

    # ---- background -------------------------------------------------------------------------
    def _changed(self) -> None:
        for cb in list(self.listeners):
            try:
                cb()
            except Exception:
                log.exception("listener failed")

    def _queue_event(self, ev: QueueEvent) -> None:
        if ev.severity != "info":
            self.events.alarm(ev.code, ev.message, device="offline_queue", severity=ev.severity)

    def _poll_devices(self) -> None:
        new = self.devices.statuses()
        changed = False
        for name, st in new.items():
            old = self._statuses.get(name)
            if old is None or (old.state, old.last_error, dict(old.supplies)) != (
                    st.state, st.last_error, dict(st.supplies)):
                changed = True
                log.info("device status", extra={"device": name, "state": st.state.value})
                if old is not None and old.usable and not st.usable:
                    self.events.alarm(st.last_error or st.state.value, "device not usable", device=name)
                elif old is not None and not old.usable and st.usable:
                    self.events.recovered(name)
        self._statuses = new
        if changed:
            self._changed()

    def _probe_link(self) -> None:
        health = getattr(self.central, "health", None)
        if health is None:
            return
        was = self.link.online
        try:
            health()
            self.link.report_success()
        except Exception:
            self.link.report_failure()
        if was != self.link.online:
            log.info("link changed", extra={"online": self.link.online})
            self._changed()

    def _monitor_loop(self) -> None:
        ticks = 0
        while not self._stop.wait(1.0):
            ticks += 1
            try:
                self._poll_devices()
                if ticks % 5 == 0 or not self.link.online:
                    self._probe_link()
            except Exception:
                log.exception("monitor tick failed")


def _make_central(cfg: Config, link: LinkMonitor) -> Any:
    from kiosk.central.client import CentralClient

    return CentralClient.from_config(cfg, link=link)
