"""The composition root: configuration → devices, queue, central client, link, flows.

The UI talks only to this object; it never touches a device or the network itself.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from hal.status import DeviceError, DeviceStatus
from hal.types import Receipt
from kiosk.alarms import EventLog, KioskEvent, Severity
from kiosk.central.delivery import DeliveryService
from kiosk.central.gateway import CentralGateway
from kiosk.clock import Clock, SystemClock
from kiosk.command_spool import CommandSpool
from kiosk.config import Config
from kiosk.devices import DeviceSet, build_devices
from kiosk.domain.services import SERVICES, Availability, ServiceId, availability
from kiosk.flows.base import Flow, FlowChannel, FlowContext, FlowResult, UserInput, View, run_flow
from kiosk.flows.face_limits import FaceFailures
from kiosk.issuance_journal import IssuanceJournal
from kiosk.link_heartbeat import LinkProbe, StatePublisher, events_via_queue, start_heartbeat, state_fields
from kiosk.local_blocks import LocalBlocks
from kiosk.logs import LOG_FILE, add_log_file
from kiosk.maintenance.service import MaintenanceService
from kiosk.mode import Mode, ModeMachine
from kiosk.pin_journal import PinJournal
from kiosk.queue_setup import open_queue
from kiosk.recovery import RecoveryReport, recover
from kiosk.recovery_store import RecoveryStore
from kiosk.remote_commands import RemoteCommands, Restarter, remote_self_tests
from kiosk.secrets_check import enforce_secrets
from kiosk.session import Session
from kiosk.stock_ledger import CardRecord, StockLedger
from kiosk.supervision import DeviceSupervisor
from kiosk.sync import UiStateFile, prune_ledger
from kiosk.ui_feeds import PreviewFeed
from kiosk.voice.narrator import Narrator
from offline_queue.events import QueueEvent
from offline_queue.forwarder import Forwarder
from offline_queue.link import LinkMonitor
from offline_queue.store import Outbox

log = logging.getLogger("kiosk.runtime")

__all__ = ["Mode", "Runtime", "Services"]  # Mode lives in kiosk/mode.py; re-exported for the UI and tests


def _flow_registry() -> dict[ServiceId, Callable[[], Flow]]:
    from kiosk.flows.activate import ActivateFlow
    from kiosk.flows.apply import ApplyFlow
    from kiosk.flows.contact_change import ContactChangeFlow
    from kiosk.flows.counter_guidance import CounterGuidanceFlow
    from kiosk.flows.ecard_sign_in import EcardSignInFlow
    from kiosk.flows.loss_cancel import LossCancelFlow
    from kiosk.flows.loss_report import LossReportFlow
    from kiosk.flows.pin_change import PinChangeFlow
    from kiosk.flows.pin_reset import PinResetFlow
    from kiosk.flows.progress_query import ProgressQueryFlow
    from kiosk.flows.proxy import ProxyFlow
    from kiosk.flows.replace import ReplaceFlow

    return {
        ServiceId.APPLY: ApplyFlow,
        ServiceId.REPLACE: ReplaceFlow,
        ServiceId.LOSS_REPORT: LossReportFlow,
        ServiceId.LOSS_CANCEL: LossCancelFlow,
        ServiceId.ACTIVATE: ActivateFlow,
        ServiceId.PIN_CHANGE: PinChangeFlow,
        ServiceId.PIN_RESET: PinResetFlow,
        ServiceId.CONTACT_CHANGE: ContactChangeFlow,
        ServiceId.PROGRESS_QUERY: ProgressQueryFlow,
        ServiceId.ECARD_SIGN_IN: EcardSignInFlow,
        ServiceId.COUNTER_GUIDANCE: CounterGuidanceFlow,
        ServiceId.PROXY: ProxyFlow,
    }


class Services:
    """What flows reach through ``ctx.services``."""

    def __init__(self, rt: Runtime) -> None:
        self._rt = rt
        self.journal = rt.journal
        self.stock_ledger = rt.stock_ledger
        self.face_failures = rt.face_failures
        self.pin_journal = rt.pin_journal

    def keep_for_recovery(self, application_id: str, record: CardRecord) -> None:
        """Seal what crash recovery needs to report this production (kiosk/recovery_store.py)."""
        still_open = {o.application_id for o in self._rt.journal.unfinished()}
        self._rt.recovery_store.keep(application_id, record, still_open)

    def alarm(self, code: str, message: str, *, device: str | None = None,
              severity: Severity = "warning") -> None:
        """A masked alarm for the central and the maintenance screen (codes, never personal data)."""
        self._rt.events.alarm(code, message, device=device, severity=severity)

    def submit_stock_ledger(self, day: dt.date) -> None:
        """Queue the day's art. 27 ledger (the central keeps the latest per kiosk and day)."""
        self._rt.gateway.send_stock_ledger(day, self._rt.stock_ledger.upload_body(day)["entries"])

    def link_online(self) -> bool:
        return self._rt.link.online

    def block_card_locally(self, identifier: str) -> None:
        self._rt.blocks.block(identifier)

    def unblock_card_locally(self, *identifiers: str) -> None:
        self._rt.blocks.unblock(*identifiers)

    def card_blocked_locally(self, *identifiers: str) -> bool:
        return self._rt.blocks.is_blocked(*identifiers)

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
    """Builds the kiosk from its configuration and wires the parts together; the UI talks only to this.

    The parts, one responsibility each: the mode (kiosk/mode.py), device supervision
    (kiosk/supervision.py), the link and the heartbeat (kiosk/link_heartbeat.py), remote
    commands and restart (kiosk/remote_commands.py), the technician's session
    (kiosk/maintenance/service.py). The citizen flows run one at a time on a worker thread.
    """

    def __init__(self, cfg: Config, *, clock: Clock | None = None, devices: DeviceSet | None = None,
                 central: Any = None) -> None:
        self.cfg = cfg
        self.clock = clock or SystemClock()
        self.events = EventLog()
        self.modes = ModeMachine(on_change=self._changed)
        self.started = time.monotonic()
        self.link = LinkMonitor(cfg.offline.link_down_after_failures)
        enforce_secrets(cfg, before_queue=True)  # a clear refusal before the queue opens its key
        self.outbox, self.forwarder, self.transport, self.queue_key = open_queue(cfg, self.link, self._queue_event)
        self.in_process_sync = cfg.central.sync == "in_process"
        self.delivery, self.central = _connect_central(cfg, self.link, self.outbox, self.forwarder, central)
        self.blocks = LocalBlocks(cfg.data_path("blocked_cards.json"), self.queue_key)
        self.journal = IssuanceJournal(cfg.data_path("issuance_journal.sqlite"))
        self.stock_ledger = StockLedger(cfg.data_path("stock_ledger.sqlite"), self.queue_key, cfg.kiosk.id)
        self.face_failures = FaceFailures(cfg.data_path("face_failures.json"), self.queue_key,
                                          limit=cfg.photo.face_failures_per_day)
        self.pin_journal = PinJournal(cfg.data_path("pin_journal.sqlite"), self.queue_key)
        self.recovery_store = RecoveryStore(cfg.data_path("recovery.sqlite"), self.queue_key)
        self.recovery: RecoveryReport | None = None
        self.devices = devices or build_devices(cfg)
        self.preview = PreviewFeed()  # the flows' camera frames, for the screens' live preview
        self.supervisor = DeviceSupervisor(self.devices, self.events)
        self.narrator = _make_narrator(cfg, self.devices)
        self.link_probe = LinkProbe(self.central, self.link)
        self.gateway = CentralGateway(self.central, self.delivery)  # what flows and recovery reach
        self.spool = CommandSpool(cfg.run_path(""))
        self.restarter = Restarter()
        self.commands = RemoteCommands(modes=self.modes, reload_config=self.reload_config, restarter=self.restarter,
                                       self_tests=self.remote_self_tests,
                                       upload_stock_ledger=self.upload_todays_ledger)
        self.heartbeat: Any = None
        if self.in_process_sync and central is None:
            self.heartbeat = start_heartbeat(cfg, self.central, self.heartbeat_state, self.is_idle, self.outbox,
                                             self.events)
            self.commands.attach(self.heartbeat)
        else:  # no heartbeat in this process to carry the events
            events_via_queue(self.central, self.events)
        self.ui_state = UiStateFile(cfg.run_path("ui-state.json"))
        self.publisher = StatePublisher(self.heartbeat, None if self.in_process_sync else self.ui_state,
                                        self.heartbeat_state)
        self.flows = _flow_registry()
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiosk-worker")
        self._active: tuple[FlowChannel, Future[FlowResult]] | None = None
        self._stop = threading.Event()
        self._monitor: threading.Thread | None = None
        self.listeners: list[Callable[[], None]] = []  # told when device/link/mode state changes
        self._ledger_pruned = 0.0
        self.maintenance = MaintenanceService(self)  # technician login, audit log, self-tests

    # ---- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        enforce_secrets(self.cfg)  # refuse to run with secrets other users can read
        # Core dumps: the start-up guard (kiosk/startup_guard.py) turned them off before `kiosk run` built us.
        add_log_file(self.cfg.data_path(LOG_FILE))
        self.devices.open_all()
        if self.in_process_sync:
            self.forwarder.start()
        self._recover()  # before any citizen service opens
        self.supervisor.poll()
        self._monitor = threading.Thread(target=self._monitor_loop, name="kiosk-monitor", daemon=True)
        self._monitor.start()
        self.modes.started()
        if self.heartbeat is not None:
            self.heartbeat.start()
        self.publisher.publish()

    def stop(self) -> None:
        self._stop.set()
        if self._active:
            self._active[0].send(UserInput("cancel"))
        self._worker.shutdown(wait=True, cancel_futures=True)
        if self.heartbeat is not None:
            self.heartbeat.stop()
        self.forwarder.stop()
        self.devices.close_all()
        self.outbox.close()
        self.journal.close()
        self.stock_ledger.close()
        self.pin_journal.close()
        self.recovery_store.close()
        self.transport.close()
        close = getattr(self.central, "close", None)
        if callable(close):
            close()

    def _recover(self) -> None:
        try:
            self.recovery = recover(self)
        except Exception as exc:  # never crash-loop on it: alarm, serve, retry at the next start
            log.exception("crash recovery failed")
            self.events.alarm("crash_recovery_failed", f"crash recovery failed ({type(exc).__name__})",
                              device="issuer", severity="critical")

    # ---- state the UI shows --------------------------------------------------------------------
    @property
    def mode(self) -> Mode:
        return self.modes.mode

    @property
    def mode_message(self) -> str:
        return self.modes.message

    @property
    def in_transaction(self) -> bool:
        return self._active is not None and not self._active[1].done()

    def statuses(self) -> dict[str, DeviceStatus]:
        return self.supervisor.statuses()

    def availability(self) -> dict[ServiceId, tuple[Availability, frozenset[Any]]]:
        usable = self.devices.usable(self.supervisor.statuses() or None)
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
        states = [a for s, (a, _) in self.availability().items()
                  if s in self.flows and not SERVICES[s].informational]  # guidance alone is no service
        if any(a in usable for a in states):
            return None
        return "link" if not self.link.online else "devices"

    def enter_maintenance_requested(self, technician: str, password: str) -> bool:
        """The UI's hidden-gesture login (kiosk/maintenance/service.py decides)."""
        return self.maintenance.enter_requested(technician, password)

    def set_mode(self, mode: Mode, message: str = "") -> None:
        self.modes.set(mode, message)

    def may_enter_maintenance(self) -> bool:
        return self.modes.may_enter_maintenance()

    # ---- restart and configuration (remote commands and the technician) -----------------------
    @property
    def restart_handlers(self) -> list[Callable[[], None]]:
        """How the app stops for a restart (kiosk/app_main.py adds one); systemd starts it again."""
        return self.restarter.handlers

    @property
    def restart_requested(self) -> bool:
        return self.restarter.requested

    def request_restart(self) -> None:
        self.restarter.request()

    def reload_config(self) -> str:
        """Read the configuration file again (remote reload_config)."""
        from kiosk.config import load_config

        if not self.cfg.source:
            return "no configuration file; nothing to reload"
        new = load_config(self.cfg.source)  # a bad file raises: reported as a failed command
        self.cfg = new
        # Voice settings apply at once: a technician's volume edit is in the file, not lost.
        self.narrator.enabled = new.voice.enabled
        self.narrator.set_volume(new.voice.volume)
        return "configuration reloaded (device and central changes take effect at the next restart)"

    def submit_stock_ledger(self, day: dt.date) -> None:
        Services(self).submit_stock_ledger(day)

    # ---- flows -------------------------------------------------------------------------------
    def start_service(self, service: ServiceId, emit: Callable[[View], None],
                      on_end: Callable[[FlowResult], None] | None = None, *, elderly: bool = False) -> FlowChannel:
        """Run ``service`` on the worker; ``elderly``: the citizen chose elderly mode (longer idle waits)."""
        if self.in_transaction:
            raise RuntimeError("a transaction is already running")
        if self.maintenance.session is not None:
            raise RuntimeError("a technician is working on the kiosk")
        flow = self.flows[service]()
        channel = FlowChannel(emit)
        ctx = FlowContext(channel=channel, session=Session(), clock=self.clock,
                          devices=self.preview.flow_devices(self.devices),
                          central=self.gateway, services=Services(self), config=self.cfg, elderly=elderly)

        def run() -> FlowResult:
            result = run_flow(flow, ctx)
            self.events.record(KioskEvent("transaction_outcome", f"{service.value}.{result.end.value}",
                                          "info", result.code, transaction_no=result.transaction_no))
            if on_end:
                on_end(result)
            return result

        self._active = (channel, self._worker.submit(run))
        return channel

    def wait_idle(self, timeout: float | None = None) -> FlowResult | None:
        if self._active is None:
            return None
        return self._active[1].result(timeout)

    # ---- heartbeat state -----------------------------------------------------------------------
    def is_idle(self) -> bool:
        return not self.in_transaction and self.maintenance.session is None  # remote commands wait for both

    def heartbeat_state(self) -> dict[str, Any]:
        """The heartbeat body's state fields (central-api.md); no personal data."""
        return state_fields(started=self.started, mode=self.mode.value, in_transaction=self.in_transaction,
                            statuses=self.supervisor.statuses(), supplies=self.maintenance.consumables.overlay,
                            link=self.link, outbox=self.outbox, data_dir=self.cfg.kiosk.data_dir)

    # ---- remote commands (kiosk/remote_commands.py) ---------------------------------------------
    def remote_self_tests(self) -> str:
        self.poll_devices()  # fresh probes first
        return remote_self_tests(self.maintenance.selftests.run, self.supervisor.statuses,
                                 lambda name: getattr(self.devices, name, None) is not None)

    def upload_todays_ledger(self) -> str:
        day = self.clock.today()
        self.submit_stock_ledger(day)
        return f"stock ledger {day} queued ({sum(self.stock_ledger.counts(day).values())} rows)"

    # ---- background -------------------------------------------------------------------------
    def poll_devices(self) -> None:
        if self.supervisor.poll():
            self._changed()

    def _changed(self) -> None:
        self.publisher.publish()
        for cb in list(self.listeners):
            try:
                cb()
            except Exception:
                log.exception("listener failed")

    def _queue_event(self, ev: QueueEvent) -> None:
        if ev.severity != "info":
            self.events.alarm(ev.code, ev.message, device="offline_queue", severity=ev.severity)

    def _monitor_loop(self) -> None:
        ticks = 0
        while not self._stop.wait(1.0):
            ticks += 1
            try:
                self.poll_devices()
                self.maintenance.tick()  # a technician session ends after 5 idle minutes, screen or not
                if self.in_process_sync:
                    self._ledger_pruned = prune_ledger(self.outbox, self._ledger_pruned)
                if (ticks % 5 == 0 or not self.link.online) and self.link_probe.probe():
                    self._changed()
                if not self.in_process_sync:
                    if self.is_idle():  # the UI's share of remote commands, only when idle
                        self.commands.run_spool(self.spool)
                    if ticks % 2 == 0:
                        self.publisher.publish()
            except Exception:
                log.exception("monitor tick failed")


def _make_narrator(cfg: Config, devices: DeviceSet) -> Narrator:
    """Spoken guidance through the speaker, if there is one (a kiosk without sound still serves)."""
    return Narrator(devices.audio, enabled=cfg.voice.enabled, volume=cfg.voice.volume)


def _connect_central(cfg: Config, link: LinkMonitor, outbox: Outbox, forwarder: Forwarder,
                     central: Any = None) -> tuple[DeliveryService, Any]:
    """How flows reach the central: the delivery service (queue + forwarder) and the client
    (``central``: a test's own client instead of the configured one)."""
    delivery = DeliveryService(outbox, forwarder, link, wait_s=cfg.central.answer_wait_s)
    if central is None:
        from kiosk.central.client import CentralClient

        central = CentralClient.from_config(cfg, link=link, outbox=outbox)
    return delivery, central
