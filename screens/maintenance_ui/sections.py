"""What each maintenance section shows and offers: text lines plus actions. Every action goes
through the MaintenanceService (permission check + audit); nothing here decides a rule."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.clock import CHINA_TZ
from kiosk.maintenance import config_edit
from kiosk.maintenance.ledger_export import export_day
from kiosk.maintenance.logs_view import read_logs
from kiosk.maintenance.roles import Perm
from kiosk.maintenance.selftests import TESTS
from kiosk.maintenance.service import MaintenanceService
from kiosk.strings import t


@dataclass(frozen=True)
class Action:
    label: str
    kiosk_id: str
    run: Callable[[], Any] | None = None  # runs on a worker thread; its result is shown
    ask_number: Callable[[int], Any] | None = None  # asks a number on the keypad first
    danger: bool = False


@dataclass
class Section:
    lines: list[str]
    actions: list[Action] = field(default_factory=list)


SECTIONS = ("devices", "consumables", "ledger", "queue", "logs", "config", "service", "simulator")
TITLES = {"devices": "设备 Devices", "consumables": "耗材 Supplies", "ledger": "台账 Ledger",
          "queue": "队列 Queue", "logs": "日志 Logs", "config": "配置 Config", "service": "服务 Service",
          "simulator": "模拟器 Simulator"}
OOS_MESSAGES = ("设备维护中 under maintenance", "补充耗材中 refilling supplies", "系统升级 system upgrade")
VOLUME_STEP = 0.1
EDITABLE = ("timeouts.idle_s", "timeouts.id_card_read_s", "timeouts.card_insert_s", "timeouts.pin_entry_s",
            "central.heartbeat_interval_s", "offline.batch_threshold")


def _both(key: str, **params: Any) -> str:
    """The technician screens are bilingual: Chinese, then English."""
    return f"{t('zh', key, **params)} {t('en', key, **params)}"


def _pct(level: Any) -> int:
    return round(float(level) * 100)


def _today() -> dt.date:
    return dt.datetime.now(CHINA_TZ).date()


def build(name: str, svc: MaintenanceService, state: dict[str, Any]) -> Section:
    return {"devices": _devices, "consumables": _consumables, "ledger": _ledger, "queue": _queue,
            "logs": _logs, "config": _config, "service": _service, "simulator": _simulator}[name](svc, state)


def _devices(svc: MaintenanceService, _state: dict[str, Any]) -> Section:
    report = svc.readiness()
    def test(name: str) -> Callable[[], Any]:
        return lambda: svc.run_selftest(name)

    actions = [Action(f"自检 {label.split()[0]}", f"maint.test.{name}", test(name)) for name, label in TESTS.items()]
    actions.append(Action("打印就绪报告 print report", "maint.print_readiness", svc.print_readiness))
    actions.append(Action("保存报告 save HTML/text", "maint.save_readiness", lambda: svc.save_readiness(
        svc.exports_dir)))
    lines = report.lines()
    if svc.has_speaker:
        def volume(step: float) -> Callable[[], str]:
            def run() -> str:
                old, new = svc.set_volume(svc.config.voice.volume + step)
                return _both("maint.volume.saved", old=_pct(old), new=_pct(new))
            return run

        lines.insert(3, _both("maint.volume.level", percent=_pct(svc.config.voice.volume)))
        actions += [Action(_both("maint.volume.down"), "maint.volume.down", volume(-VOLUME_STEP)),
                    Action(_both("maint.volume.up"), "maint.volume.up", volume(VOLUME_STEP))]
    return Section(lines, actions)


def _consumables(svc: MaintenanceService, _state: dict[str, Any]) -> Section:
    c, who = svc.consumables, (svc.session.tech_id if svc.session else "-")
    left = c.blank_cards_left()
    lines = [f"blank cards (kiosk count): {'unknown' if left is None else left}",
             f"reject box used: {c.reject_box_used()}",
             *(f"{k}: {v.value}" for k, v in c.levels().items()),
             "-- recent --", *(f"{r['at']} {r['action']} {r.get('added', r.get('counted', ''))}"
                               for r in c.records()[-8:])]

    def refill(n: int) -> str:
        rec = svc.act(Perm.CONSUMABLES, "refill_hopper", lambda: c.refill_hopper(n, who), f"added={n}")
        return f"hopper: {rec['total']} cards"

    def empty(n: int) -> str:
        dl = svc.act(Perm.CONSUMABLES, "empty_reject_box", lambda: c.empty_reject_box(n, who), f"counted={n}")
        return "\n".join(dl.lines())

    return Section(lines, [
        Action("补卡 refill hopper", "maint.refill", ask_number=refill),
        Action("更换色带 ribbon", "maint.ribbon",
               lambda: svc.act(Perm.CONSUMABLES, "replace_ribbon", lambda: c.replace_ribbon(who)) and "replaced"),
        Action("清空废卡箱 empty reject box", "maint.reject", ask_number=empty),
        Action("更换凭条纸 receipt paper", "maint.paper",
               lambda: svc.act(Perm.CONSUMABLES, "change_receipt_paper", lambda: c.change_receipt_paper(who))
               and "paper changed"),
    ])


def _ledger(svc: MaintenanceService, _state: dict[str, Any]) -> Section:
    svc.require(Perm.LEDGER_VIEW)
    day = _today()
    ledger = svc.stock_ledger
    rows = ledger.rows(day)
    lines = [f"{day} {ledger.counts(day)}", *(f"{r.at[11:19]} {r.kind.value:11} {r.name} {r.ssn} {r.card_no} "
                                               f"{r.bank_account} {r.reason}" for r in rows[-30:])]

    def export() -> str:
        paths = svc.act(Perm.LEDGER_EXPORT, "ledger.export", lambda: export_day(ledger, day, svc.exports_dir),
                        str(day))
        return "exported: " + ", ".join(p.name for p in paths)

    def upload() -> str:
        svc.upload_stock_ledger(day)
        return "queued for the central"

    return Section(lines, [Action("导出 export CSV/XLSX", "maint.ledger_export", export),
                           Action("上传 upload", "maint.ledger_upload", upload)])


def _queue(svc: MaintenanceService, _state: dict[str, Any]) -> Section:
    svc.require(Perm.QUEUE_VIEW)
    tools = svc.queue_tools()
    view = tools.view(limit=30)
    lines = [f"depth {view.depth}  oldest {view.oldest_age_s:.0f} s  dead letters {view.dead_letters}",
             *view.lines]

    def export() -> str:
        path = svc.exports_dir / f"dead-letters-{_today()}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        n = svc.act(Perm.QUEUE_EXPORT, "queue.export_dead", lambda: tools.export_dead(path))
        return f"{n} dead letters exported (masked) to {path.name}"

    return Section(lines, [
        Action("立即发送 flush", "maint.flush",
               lambda: "sent" if svc.act(Perm.QUEUE_FLUSH, "queue.flush", lambda: tools.flush(10)) else "not yet"),
        Action("重试死信 retry dead", "maint.retry_dead",
               lambda: f"{svc.act(Perm.QUEUE_RETRY, 'queue.retry_dead', tools.retry_dead)} queued again"),
        Action("导出死信 export dead", "maint.export_dead", export),
    ])


def _logs(svc: MaintenanceService, state: dict[str, Any]) -> Section:
    svc.require(Perm.LOGS_VIEW)
    level = str(state.get("log_level", "info"))
    hours = int(state.get("log_hours", 24))
    since = dt.datetime.now() - dt.timedelta(hours=hours)
    entries = read_logs(svc.log_file(), since=since, min_level=level, limit=40)
    lines = [f"level ≥ {level}, last {hours} h: {len(entries)} entries", *(e.line()[:160] for e in entries)]

    def setter(key: str, value: Any) -> Callable[[], str]:
        def run() -> str:
            state[key] = value
            return f"{key} = {value}"
        return run

    levels = [Action(lv, f"maint.log.{lv}", setter("log_level", lv)) for lv in ("info", "warning", "error")]
    return Section(lines, levels + [Action(f"{h} h", f"maint.log.h{h}", setter("log_hours", h)) for h in (1, 24)])


def _config(svc: MaintenanceService, _state: dict[str, Any]) -> Section:
    svc.require(Perm.CONFIG_VIEW)
    cfg = svc.config
    lines = [f"file: {cfg.source or '(built-in defaults)'}",
             *(f"{k} = {v}" for k, v in config_edit.flatten(cfg).items())]

    def editor(key: str) -> Callable[[int], str]:
        def run(n: int) -> str:
            old, value = svc.edit_config(key, str(n))
            return f"{key}: {old} → {value} (audited)"
        return run

    return Section(lines, [Action(f"改 {k.split('.')[-1]}", f"maint.cfg.{k}", ask_number=editor(k)) for k in EDITABLE])


def _service(svc: MaintenanceService, _state: dict[str, Any]) -> Section:
    lines = [f"mode now: {svc.mode_now.value}", f"after logout: {svc.mode_after_logout}",
             f"link: {'online' if svc.link_online else 'OFFLINE'}"]

    def oos(message: str) -> Callable[[], str]:
        def run() -> str:
            svc.out_of_service(message)
            return f"out of service after logout: {message}"
        return run

    def in_service() -> str:
        svc.back_in_service()
        return "in service after logout"

    def restart() -> str:
        svc.restart_app()
        return "restarting"

    actions = [Action(f"暂停服务 {m.split()[0]}", f"maint.oos.{i}", oos(m)) for i, m in enumerate(OOS_MESSAGES)]
    def verify_audit() -> str:
        return str(svc.act(Perm.AUDIT_VERIFY, "audit.verify", svc.audit.verify))

    actions += [Action("校验审计日志 verify audit", "maint.audit_verify", verify_audit),
                Action("恢复服务 back in service", "maint.in_service", in_service),
                Action("重启应用 restart app", "maint.restart", restart, danger=True)]
    return Section(lines, actions)


SIM_ACTIONS: tuple[tuple[str, str, str, dict[str, Any]], ...] = (
    ("放身份证 place ID", "id_reader", "place", {"citizen": "adult_active_card"}),
    ("取身份证 remove ID", "id_reader", "remove", {}),
    ("插社保卡 insert card", "card_reader", "insert", {"citizen": "adult_active_card"}),
    ("拔卡 remove card", "card_reader", "remove", {}),
    ("凭条纸用完 paper out", "receipt_printer", "paper", {"count": 0}),
    ("卡机卡纸 jam issuer", "issuer", "jam", {"op": "print"}),
    ("卡机断电 unplug issuer", "issuer", "unplug", {}),
    ("卡机上电 plug issuer", "issuer", "plug", {}),
    ("读卡器故障 reader fault", "card_reader", "fail", {"code": "reader_error"}),
    ("清除故障 clear faults", "issuer", "clear", {}),
    (_both("maint.sim.speaker_off"), "audio", "unplug", {}),
    (_both("maint.sim.speaker_on"), "audio", "plug", {}),
)


def _simulator(svc: MaintenanceService, _state: dict[str, Any]) -> Section:
    if not svc.config.kiosk.simulator_mode:
        return Section(["simulator control exists only in simulator mode"])
    faces = sorted(Path(__file__).resolve().parents[2].joinpath("tests", "data", "faces").glob("*.jpg"))[:1]
    def steer(dev: str, act: str, params: dict[str, Any]) -> Callable[[], str]:
        return lambda: svc.simulator(dev, act, **params)

    actions = [Action(label, f"maint.sim.{dev}.{act}", steer(dev, act, params))
               for label, dev, act, params in SIM_ACTIONS]
    if faces:
        actions.append(Action("出示人脸 present face", "maint.sim.face",
                              lambda: svc.simulator("camera", "present", face=str(faces[0]))))
    return Section(["simulator mode: steer the simulated devices"], actions)
