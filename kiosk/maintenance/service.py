"""The maintenance session: login, the permission check and audit around every technician action,
and the kiosk's mode while a technician works.

A session starts only when the kiosk is idle (no citizen transaction); while it is active the
kiosk's mode is MAINTENANCE, so the citizen screen shows out-of-service, no service starts
and the heartbeat announces it. The session ends on logout or after five idle minutes, and
the kiosk returns to the mode it had (or to the out-of-service the technician set).

The service is given a ``MaintenanceHost`` (the composition root, kiosk/runtime.py, is one); it
never imports the runtime, so the two do not depend on each other.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

from hal.atomic_file import write_atomic
from hal.status import Supply
from hal.types import PinBlock
from kiosk.alarms import EventLog, KioskEvent
from kiosk.audit import AUDIT_FILE, AUDIT_KEY_FILE, open_audit_log
from kiosk.clock import CHINA_TZ
from kiosk.config import Config
from kiosk.devices import DeviceSet
from kiosk.maintenance.auth import TECHNICIAN_FILE, Authenticator, AuthError, TechnicianStore, TechSession
from kiosk.maintenance.consumables import CONSUMABLES_FILE, Consumables
from kiosk.maintenance.queue_tools import QueueTools
from kiosk.maintenance.roles import Perm, require
from kiosk.maintenance.selftests import SELFTEST_FILE, Readiness, SelfTests, TestResult
from kiosk.mode import Mode
from kiosk.stock_ledger import StockLedger
from kiosk.voice.narrator import Narrator
from offline_queue.forwarder import Forwarder
from offline_queue.link import LinkMonitor
from offline_queue.store import Outbox

log = logging.getLogger("kiosk.maintenance")
T = TypeVar("T")
SIM_DEVICES = ("id_reader", "card_reader", "encoder", "issuer", "camera", "pin_pad", "receipt_printer", "audio",
               "scanner")
VOLUME_KEY = "voice.volume"


class MaintenanceHost(Protocol):
    """What the maintenance service (and its screens) use of the kiosk it runs in."""

    cfg: Config  # replaced by an audited configuration edit

    @property
    def devices(self) -> DeviceSet: ...
    @property
    def events(self) -> EventLog: ...
    @property
    def queue_key(self) -> bytes: ...
    @property
    def stock_ledger(self) -> StockLedger: ...
    @property
    def outbox(self) -> Outbox: ...
    @property
    def forwarder(self) -> Forwarder: ...
    @property
    def link(self) -> LinkMonitor: ...
    @property
    def narrator(self) -> Narrator: ...
    @property
    def mode(self) -> Mode: ...
    @property
    def mode_message(self) -> str: ...
    @property
    def in_transaction(self) -> bool: ...
    def may_enter_maintenance(self) -> bool: ...
    def set_mode(self, mode: Mode, message: str = "") -> None: ...
    def request_restart(self) -> None: ...
    def submit_stock_ledger(self, day: dt.date) -> None: ...


class NotIdle(Exception):
    pass


class NoSession(Exception):
    pass


class MaintenanceService:
    def __init__(self, rt: MaintenanceHost, *, clock: Callable[[], float] = time.monotonic,
                 store: TechnicianStore | None = None) -> None:
        self._host = rt  # private: screens read through the methods below (tests/maintenance/test_one_door.py)
        self.store = store or TechnicianStore(rt.cfg.data_path(TECHNICIAN_FILE))
        self.auth = Authenticator(self.store, clock=clock)
        self.audit = open_audit_log(rt.cfg.data_path(AUDIT_FILE), rt.cfg.data_path(AUDIT_KEY_FILE), rt.queue_key)
        self.selftests = SelfTests(rt.devices, rt.cfg.data_path(SELFTEST_FILE), rt.stock_ledger)
        self.consumables = Consumables(rt.cfg.data_path(CONSUMABLES_FILE), rt.devices, rt.stock_ledger)
        self.session: TechSession | None = None
        self._lock = threading.RLock()
        self._return_to: tuple[Mode, str] | None = None
        self.listeners: list[Callable[[], None]] = []  # the maintenance screens (session ended, …)
        rt.events.subscribe(self._on_event)

    # ---- audit --------------------------------------------------------------------------------
    def _on_event(self, event: KioskEvent) -> None:
        if event.type == "transaction_outcome":  # every citizen transaction outcome, masked (a code)
            self.audit.append("transaction", "citizen", event.code, event.message)

    def _record(self, actor: str, action: str, outcome: str, detail: str = "") -> None:
        record = self.audit.append("technician", actor, action, outcome, detail)
        self._host.events.record(KioskEvent("technician_action", action, "info",
                                         f"{actor}: {outcome} {detail}".strip()[:200],
                                         audit={"seq": record["seq"], "head": record["hash"]}))

    # ---- login / logout -----------------------------------------------------------------------
    def _check_idle(self) -> None:
        if self._host.in_transaction or not self._host.may_enter_maintenance():
            raise NotIdle("终端忙 the kiosk is busy: maintenance starts only when idle")

    def login_password(self, tech_id: str, password: str) -> TechSession:
        with self._lock:
            self._check_idle()
            try:
                session = self.auth.login_password(tech_id, password)
            except AuthError as exc:
                self._record(self.auth.actor_of_failed_login(tech_id), "login", exc.code, "password")
                raise
            self._begin(session)
            return session

    def login_card(self, pin: PinBlock) -> TechSession:
        with self._lock:
            self._check_idle()
            reader = self._host.devices.card_reader
            if reader is None:
                raise AuthError("no_reader", "no card reader")
            try:
                session = self.auth.login_card(reader, pin)
            except AuthError as exc:
                self._record("card", "login", exc.code, "card")
                raise
            self._begin(session)
            return session

    def enter_requested(self, technician: str, password: str) -> bool:
        """The UI's hidden-gesture login: an ID + password, or an empty ID = the technician card
        in the reader, with the password as the card's PIN."""
        try:
            if technician:
                self.login_password(technician, password)
            else:
                self.login_card(PinBlock(encrypted_hex=None, clear_pin=password, format="onscreen"))
            return True
        except (AuthError, NotIdle) as exc:
            log.info("maintenance login refused", extra={"code": getattr(exc, "code", "busy")})
            return False

    def _begin(self, session: TechSession) -> None:
        self._return_to = (self._host.mode, self._host.mode_message)
        self.session = session
        self._record(session.tech_id, "login", "ok", f"{session.method} role={session.role.value}")
        self._host.set_mode(Mode.MAINTENANCE, "maintenance")

    def logout(self, reason: str = "logout") -> None:
        with self._lock:
            if self.session is None:
                return
            tech = self.session.tech_id
            self.session = None
            mode, message = self._return_to or (Mode.IN_SERVICE, "")
            self._return_to = None
            self._record(tech, "logout", reason)
            self._host.set_mode(mode, message)
        for cb in list(self.listeners):
            cb()

    def tick(self) -> bool:
        """Call periodically: ends an idle session. True while a session is active."""
        with self._lock:
            if self.session is not None and self.session.expired():
                self.logout("idle_timeout")
            return self.session is not None

    @property
    def mode_after_logout(self) -> str:
        return str((self._return_to or (self._host.mode, ""))[0])

    @property
    def active(self) -> bool:
        return self.tick()

    def require(self, perm: Perm) -> TechSession:
        with self._lock:
            if not self.tick() or self.session is None:
                raise NoSession("请先登录 log in first (or the session timed out)")
            try:
                require(self.session.role, perm)
            except Exception:
                self._record(self.session.tech_id, perm.value, "denied")
                raise
            self.session.touch()
            return self.session

    def act(self, perm: Perm, action: str, fn: Callable[[], T], detail: str = "") -> T:
        """Check, run and audit one technician action (the outcome is audited even when it fails)."""
        session = self.require(perm)
        try:
            result = fn()
        except Exception as exc:
            self._record(session.tech_id, action, f"failed:{type(exc).__name__}", detail)
            raise
        self._record(session.tech_id, action, "ok", detail)
        return result

    # ---- actions ------------------------------------------------------------------------------
    def run_selftest(self, name: str) -> TestResult:
        def run() -> TestResult:
            r = self.selftests.run(name)
            self._record(self.session.tech_id if self.session else "-", f"selftest.{name}",
                         "pass" if r.passed else "fail", r.detail)
            return r

        self.require(Perm.SELF_TEST)
        return run()

    # ---- what the maintenance screens show (read through here, never through the host) -----------
    @property
    def config(self) -> Config:
        return self._host.cfg

    @property
    def exports_dir(self) -> Path:
        return Path(self._host.cfg.kiosk.data_dir) / "exports"

    @property
    def has_speaker(self) -> bool:
        return self._host.devices.audio is not None

    @property
    def stock_ledger(self) -> StockLedger:
        return self._host.stock_ledger

    @property
    def mode_now(self) -> Mode:
        return self._host.mode

    @property
    def link_online(self) -> bool:
        return self._host.link.online

    def queue_tools(self) -> QueueTools:
        return QueueTools(self._host.outbox, self._host.forwarder)

    def log_file(self) -> Path:
        from kiosk.logs import LOG_FILE

        return self._host.cfg.data_path(LOG_FILE)

    def upload_stock_ledger(self, day: dt.date) -> None:
        """Queue the day's ledger for the central (LEDGER_EXPORT, audited)."""
        self.act(Perm.LEDGER_EXPORT, "ledger.upload", lambda: self._host.submit_stock_ledger(day), str(day))

    def readiness(self) -> Readiness:
        self.require(Perm.VIEW_DEVICES)
        return self.readiness_report()

    def readiness_report(self) -> Readiness:
        statuses = self._host.devices.statuses()
        supplies: dict[str, str] = {}
        for name, st in statuses.items():
            merged = self.consumables.overlay({k: v.value for k, v in st.supplies.items()}, name)
            supplies.update({f"{name}.{k}": v for k, v in merged.items()})
        return Readiness(self._host.cfg.kiosk.id, dt.datetime.now(CHINA_TZ).isoformat(timespec="seconds"),
                         statuses, dict(self.selftests.results), supplies, self._host.outbox.status().to_json(),
                         self._host.link.online)

    def print_readiness(self) -> bool:
        report = self.readiness()
        printer = self._host.devices.receipt_printer
        if printer is None:
            return False
        self.act(Perm.VIEW_DEVICES, "print_readiness", lambda: printer.print_receipt(report.receipt()))
        return True

    def edit_config(self, key: str, text: str) -> tuple[Any, Any]:
        """Administrators only; the file is rewritten only if the whole new file loads; audited old → new.
        Device and central changes take effect at the next restart (like a remote reload)."""
        from kiosk.maintenance import config_edit

        session = self.require(Perm.CONFIG_EDIT)
        try:
            new, old, value = config_edit.edit(self._host.cfg, key, text)
        except Exception as exc:
            self._record(session.tech_id, "config.edit", f"failed:{type(exc).__name__}", key)
            raise
        self._host.cfg = new
        self._record(session.tech_id, "config.edit", "ok", f"{key}: {old} -> {value}")
        return old, value

    def set_volume(self, level: float) -> tuple[Any, Any]:
        """The speaker's volume: an audited configuration change (who may: CONFIG_EDIT), kept in the
        file so it survives a restart, and applied to the speaker at once; a chime lets the
        technician hear the new level."""
        level = round(min(1.0, max(0.0, level)), 2)
        old, value = self.edit_config(VOLUME_KEY, str(level))
        self._host.narrator.set_volume(float(value))  # the narrator keeps the level and sets the speaker's
        audio = self._host.devices.audio
        if audio is not None and audio.status().usable:
            from hal.audio.chime import ensure_chime

            audio.play([ensure_chime(self.selftests.chime)])
        return old, value

    def save_readiness(self, out_dir: Path) -> str:
        """The readiness report as HTML and text files (0600) for the outlet's records."""
        report = self.readiness()
        out_dir.mkdir(parents=True, exist_ok=True)
        stem = out_dir / f"readiness-{report.kiosk_id}-{report.at[:19].replace(':', '')}"
        for suffix, body in ((".html", report.html()), (".txt", report.text())):
            write_atomic(stem.with_suffix(suffix), body)
        self.act(Perm.VIEW_DEVICES, "save_readiness", lambda: None, stem.name)
        return f"saved {stem.name}.html/.txt"

    def out_of_service(self, message: str) -> None:
        """Leave the kiosk out of service (with a message for citizens) when the session ends."""
        clean = "".join(c for c in message if c.isprintable())[:120]
        self.act(Perm.OUT_OF_SERVICE, "out_of_service", lambda: None, clean)
        self._return_to = (Mode.OUT_OF_SERVICE, clean)

    def back_in_service(self) -> None:
        self.act(Perm.OUT_OF_SERVICE, "in_service", lambda: None)
        self._return_to = (Mode.IN_SERVICE, "")

    def restart_app(self) -> None:
        self.act(Perm.RESTART, "restart_app", lambda: None)
        self.logout("restart")
        self._host.request_restart()

    def supply_levels(self) -> dict[str, Supply]:
        return self.consumables.levels()

    # ---- simulator control --------------------------------------------------------------------
    def simulator(self, device: str, action: str, **params: Any) -> str:
        """Steer a simulator (insert/remove cards, present a face, inject faults): simulator mode only."""
        if not self._host.cfg.kiosk.simulator_mode:
            raise PermissionError("simulator control exists only in simulator mode")
        if device not in SIM_DEVICES:
            raise ValueError(f"unknown device {device!r}")
        from hal.sim.base import SimDevice

        dev = getattr(self._host.devices, device)
        if not isinstance(dev, SimDevice):
            raise PermissionError(f"{device} is not a simulator")
        params = _sim_params(device, action, params)
        return self.act(Perm.SIMULATOR, f"sim.{device}.{action}", lambda: dev.steer(action, **params),
                        ",".join(sorted(k for k in params)))


def _sim_params(device: str, action: str, params: dict[str, Any]) -> dict[str, Any]:
    """Turns the screen's choices (a seeded citizen key, a technician ID) into simulator objects."""
    from kiosk import demo

    out = dict(params)
    if "citizen" in out:
        person = demo.citizen(str(out.pop("citizen")))
        if device == "id_reader" and action == "place":
            if person.get("id_valid_until") == "长期":
                person = {**person, "id_valid_until": None}
            out["card"] = demo.id_card_for(person)
        elif action == "insert":
            out["chip"] = demo.chip_of(person, int(out.pop("card_index", 0)))
    if "technician" in out:
        from hal.sim.card_reader import chip_for
        from kiosk.maintenance.auth import technician_card_data

        data = technician_card_data(str(out.pop("technician")), str(out.pop("card_code", "")))
        out["chip"] = chip_for(data, pin=str(out.pop("pin", "123456")))
    if "face" in out:
        out["path"] = str(Path(str(out.pop("face"))))
    return out
