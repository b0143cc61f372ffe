"""Kiosks: heartbeats (state + pending remote commands), events/alarms, stock ledgers."""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from central_sim.clock import parse_date, parse_rfc3339, rfc3339
from central_sim.errors import ApiError, Reasons
from central_sim.routes import Ctx, bad_request, need_object, route, text
from central_sim.storage import Database, Row, Tx

MODES = ("in_service", "out_of_service", "maintenance", "starting")
COMMANDS = ("set_mode", "flush_queue", "upload_diagnostics", "reload_config", "restart_app", "update")
EVENT_TYPES = ("device_alarm", "device_recovered", "technician_action", "command_result", "transaction_outcome")
SEVERITIES = ("info", "warning", "critical")
MAX_EVENTS = 500
ID_LIKE = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")  # events must be masked (contract)
DEFAULT_INTERVAL_S = 30.0
OFFLINE_AFTER_MISSED = 3


def _same_kiosk(ctx: Ctx) -> str:
    kiosk = ctx.params["kiosk_id"]
    if ctx.kiosk_id and ctx.kiosk_id != kiosk:
        raise ApiError(403, "kiosk_id_mismatch", "终端编号与证书/请求头不一致")
    return kiosk


@dataclass
class Beat:
    kiosk_id: str
    seq: int
    interval_s: float
    state: str  # the heartbeat body as JSON
    seen_epoch: float
    first_seen: str


def parse_heartbeat(ctx: Ctx, raw: Any) -> Beat:
    body, reasons = need_object(raw), Reasons()
    kiosk = _same_kiosk(ctx)
    if body.get("kiosk_id") != kiosk:
        reasons.add("kiosk_id_mismatch", "心跳中的终端编号与路径不一致")
    seq = body.get("seq")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        reasons.add("invalid_seq", "seq 必须是非负整数")
    mode = text(body, "mode", reasons, "运行模式")
    if mode and mode not in MODES:
        reasons.add("invalid_mode", "未知的运行模式")
    if "devices" in body and not isinstance(body["devices"], dict):
        reasons.add("invalid_devices", "devices 必须是对象")
    bad_request(reasons)
    assert isinstance(seq, int)
    interval = body.get("heartbeat_interval_s", DEFAULT_INTERVAL_S)
    interval = float(interval) if isinstance(interval, int | float) and interval > 0 else DEFAULT_INTERVAL_S
    return Beat(kiosk, seq, interval, json.dumps(body, ensure_ascii=False), ctx.now.timestamp(), rfc3339(ctx.now))


def store_beats(tx: Tx, beats: list[Beat]) -> None:
    """Latest state wins by seq (a late or repeated heartbeat only proves the kiosk is alive)."""
    for b in beats:
        tx.execute(
            "INSERT INTO kiosks (kiosk_id, first_seen, last_seen, last_seq, interval_s, state) VALUES (?,?,?,?,?,?)"
            " ON CONFLICT (kiosk_id) DO UPDATE SET"
            " last_seen = CASE WHEN excluded.last_seen > kiosks.last_seen THEN excluded.last_seen"
            " ELSE kiosks.last_seen END,"
            " state = CASE WHEN excluded.last_seq > kiosks.last_seq THEN excluded.state ELSE kiosks.state END,"
            " interval_s = CASE WHEN excluded.last_seq > kiosks.last_seq THEN excluded.interval_s"
            " ELSE kiosks.interval_s END,"
            " last_seq = CASE WHEN excluded.last_seq > kiosks.last_seq THEN excluded.last_seq ELSE kiosks.last_seq END",
            (b.kiosk_id, b.first_seen, b.seen_epoch, b.seq, b.interval_s, b.state),
        )


def deliver_commands(tx: Tx, kiosk: str, at: str) -> list[dict[str, Any]]:
    pending = tx.all("SELECT command_id, command FROM kiosk_commands WHERE kiosk_id = ? AND delivered_at IS NULL"
                     " ORDER BY created_at", (kiosk,))
    for p in pending:
        tx.execute("UPDATE kiosk_commands SET delivered_at = ? WHERE command_id = ?", (at, p["command_id"]))
    return [json.loads(p["command"]) for p in pending]


@route("POST", "/v1/kiosks/{kiosk_id}/heartbeat", idempotent=False)
def heartbeat(tx: Tx, ctx: Ctx, raw: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """Unbuffered form (used inside /v1/batch); direct heartbeats go through HeartbeatBuffer."""
    store_beats(tx, [parse_heartbeat(ctx, raw)])
    return 200, {"server_time": rfc3339(ctx.now), "commands": deliver_commands(tx, ctx.params["kiosk_id"],
                                                                               rfc3339(ctx.now))}


class HeartbeatBuffer:
    """Heartbeats are soft state: kept in memory and written in one transaction per flush (≈1 s).

    At 2,000 kiosks this turns ~70 fsyncs/s into one; a crash loses at most the last second of
    liveness, never a command (commands are read and marked delivered in their own transaction).
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._lock = threading.Lock()
        self._pending: dict[str, Beat] = {}
        with db.read() as tx:
            rows = tx.all("SELECT DISTINCT kiosk_id FROM kiosk_commands WHERE delivered_at IS NULL")
        self._with_commands = {r["kiosk_id"] for r in rows}

    def command_queued(self, kiosk_id: str) -> None:
        with self._lock:
            self._with_commands.add(kiosk_id)

    def handle(self, ctx: Ctx, raw: Any) -> tuple[int, dict[str, Any]]:
        beat = parse_heartbeat(ctx, raw)
        with self._lock:
            prev = self._pending.get(beat.kiosk_id)
            if prev is None or beat.seq > prev.seq:
                self._pending[beat.kiosk_id] = beat
            else:
                prev.seen_epoch = max(prev.seen_epoch, beat.seen_epoch)
            has_commands = beat.kiosk_id in self._with_commands
            self._with_commands.discard(beat.kiosk_id)
        commands: list[dict[str, Any]] = []
        if has_commands:
            with self.db.transaction() as tx:
                commands = deliver_commands(tx, beat.kiosk_id, rfc3339(ctx.now))
        return 200, {"server_time": rfc3339(ctx.now), "commands": commands}

    def flush(self) -> int:
        with self._lock:
            beats = list(self._pending.values())
            self._pending.clear()
        if beats:
            with self.db.transaction() as tx:
                store_beats(tx, beats)
        return len(beats)


def queue_command(tx: Tx, kiosk_id: str, command: dict[str, Any], at: str) -> dict[str, Any]:
    """Queue a remote command for the kiosk's next heartbeat (admin endpoint / monitor)."""
    kind = command.get("type")
    if kind not in COMMANDS:
        raise ApiError(400, "unknown_command", f"未知命令 {kind}")
    if kind == "set_mode" and command.get("mode") not in MODES:
        raise ApiError(400, "invalid_mode", "set_mode 需要有效的 mode")
    cmd = {"id": str(uuid.uuid4()), **{k: v for k, v in command.items() if k != "id"}}
    tx.execute("INSERT INTO kiosk_commands (command_id, kiosk_id, command, created_at) VALUES (?,?,?,?)",
               (cmd["id"], kiosk_id, json.dumps(cmd, ensure_ascii=False), at))
    return cmd


@route("POST", "/v1/kiosks/{kiosk_id}/events", idempotent=True)
def events(tx: Tx, ctx: Ctx, raw: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    body, reasons = need_object(raw), Reasons()
    kiosk = _same_kiosk(ctx)
    items = body.get("events")
    if not isinstance(items, list) or not items or len(items) > MAX_EVENTS:
        reasons.add("invalid_events", f"events 须为 1 至 {MAX_EVENTS} 条")
        items = []
    for i, e in enumerate(items):
        if not isinstance(e, dict):
            reasons.add(f"event_{i}_invalid", f"第 {i + 1} 条事件不是对象")
            continue
        if not isinstance(e.get("event_id"), str) or not e["event_id"]:
            reasons.add(f"event_{i}_missing_event_id", f"第 {i + 1} 条事件缺少 event_id")
        if e.get("type") not in EVENT_TYPES:
            reasons.add(f"event_{i}_invalid_type", f"第 {i + 1} 条事件类型未知")
        if e.get("severity") not in SEVERITIES:
            reasons.add(f"event_{i}_invalid_severity", f"第 {i + 1} 条事件级别未知")
        if parse_rfc3339(e.get("at", "")) is None:
            reasons.add(f"event_{i}_invalid_at", f"第 {i + 1} 条事件时间格式不正确")
        if any(ID_LIKE.search(str(e.get(f, ""))) for f in ("code", "message", "device")):
            reasons.add(f"event_{i}_personal_data", f"第 {i + 1} 条事件含有疑似证件号码，事件不得含个人信息")
    bad_request(reasons)
    now = rfc3339(ctx.now)
    accepted = 0
    for e in items:
        if tx.one("SELECT 1 AS x FROM kiosk_events WHERE event_id = ?", (e["event_id"],)):
            continue  # already have it (events may arrive twice through different batches)
        accepted += 1
        device = str(e.get("device") or "")
        tx.execute(
            "INSERT INTO kiosk_events (event_id, kiosk_id, at, type, device, severity, code, message, received_at)"
            " VALUES (?,?,?,?,?,?,?,?,?)",
            (e["event_id"], kiosk, e["at"], e["type"], device, e["severity"], str(e.get("code", ""))[:80],
             str(e.get("message", ""))[:500], now),
        )
        if e["type"] == "device_recovered" and device:
            tx.execute("UPDATE kiosk_events SET cleared = 1 WHERE kiosk_id = ? AND device = ?"
                       " AND type = 'device_alarm'", (kiosk, device))
        if e["type"] == "command_result" and isinstance(e.get("command_id"), str):
            tx.execute("UPDATE kiosk_commands SET outcome = ? WHERE command_id = ? AND kiosk_id = ?",
                       (f"{e.get('code', '')}: {e.get('message', '')}"[:200], e["command_id"], kiosk))
    return 200, {"accepted": accepted}


def _balance_problem(entry: dict[str, Any]) -> bool:
    fields = ("opening", "received", "issued", "spoiled", "closing")
    if not all(isinstance(entry.get(f), int) for f in fields):
        return False
    return bool(entry["opening"] + entry["received"] - entry["issued"] - entry["spoiled"] != entry["closing"])


@route("POST", "/v1/kiosks/{kiosk_id}/stock-ledger", idempotent=True)
def stock_ledger(tx: Tx, ctx: Ctx, raw: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    body, reasons = need_object(raw), Reasons()
    kiosk = _same_kiosk(ctx)
    day = parse_date(body.get("date"))
    if day is None:
        reasons.add("invalid_date", "日期格式应为 YYYY-MM-DD")
    entries = body.get("entries")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        reasons.add("invalid_entries", "entries 必须是对象列表")
        entries = []
    bad_request(reasons)
    assert day is not None
    if day > ctx.today:
        reasons.add("date_in_future", "台账日期晚于今天")
    for i, e in enumerate(entries):
        if _balance_problem(e):
            reasons.add(f"entry_{i}_unbalanced", f"第 {i + 1} 行：期初+入库-发卡-废卡≠期末")
    reasons.raise_if_any(422, "ledger_rejected", "库存台账未通过核对")
    tx.execute(
        "INSERT INTO stock_ledgers (kiosk_id, date, entries, received_at) VALUES (?,?,?,?)"
        " ON CONFLICT (kiosk_id, date) DO UPDATE SET entries = excluded.entries, received_at = excluded.received_at",
        (kiosk, day.isoformat(), json.dumps(entries, ensure_ascii=False), rfc3339(ctx.now)),
    )
    return 200, {"recorded": True, "date": day.isoformat(), "entries": len(entries)}


# --- reading the fleet (monitor page, metrics) ------------------------------------------------


def fleet(tx: Tx, now_epoch: float | None = None) -> list[dict[str, Any]]:
    """Every kiosk with its last state, heartbeat age, offline flag and active alarms."""
    now_epoch = time.time() if now_epoch is None else now_epoch
    out = []
    for k in tx.all("SELECT * FROM kiosks ORDER BY kiosk_id"):
        out.append(_kiosk_view(tx, k, now_epoch))
    return out


def _kiosk_view(tx: Tx, k: Row, now_epoch: float) -> dict[str, Any]:
    state: dict[str, Any] = json.loads(k["state"])
    age = max(0.0, now_epoch - float(k["last_seen"]))
    alarms = tx.all(
        "SELECT at, device, severity, code, message FROM kiosk_events WHERE kiosk_id = ? AND type = 'device_alarm'"
        " AND cleared = 0 ORDER BY at DESC LIMIT 20", (k["kiosk_id"],))
    return {
        "kiosk_id": k["kiosk_id"],
        "age_s": age,
        "interval_s": float(k["interval_s"]),
        "offline": age > OFFLINE_AFTER_MISSED * float(k["interval_s"]),
        "seq": int(k["last_seq"]),
        "state": state,
        "alarms": alarms,
    }
