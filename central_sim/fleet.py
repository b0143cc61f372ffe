"""Kiosks: heartbeats (state + pending remote commands), events/alarms, stock ledgers."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from central_sim.clock import parse_date, parse_rfc3339, rfc3339
from central_sim.errors import ApiError, Reasons
from central_sim.routes import Ctx, bad_request, need_object, route, text
from central_sim.storage import Row, Tx

MODES = ("in_service", "out_of_service", "maintenance", "starting")
COMMANDS = ("set_mode", "flush_queue", "upload_diagnostics", "reload_config", "restart_app")
EVENT_TYPES = ("device_alarm", "device_recovered", "technician_action", "command_result", "transaction_outcome")
SEVERITIES = ("info", "warning", "critical")
MAX_EVENTS = 500
DEFAULT_INTERVAL_S = 30.0
OFFLINE_AFTER_MISSED = 3


def _same_kiosk(ctx: Ctx) -> str:
    kiosk = ctx.params["kiosk_id"]
    if ctx.kiosk_id and ctx.kiosk_id != kiosk:
        raise ApiError(403, "kiosk_id_mismatch", "终端编号与证书/请求头不一致")
    return kiosk


@route("POST", "/v1/kiosks/{kiosk_id}/heartbeat", idempotent=False)
def heartbeat(tx: Tx, ctx: Ctx, raw: dict[str, Any]) -> tuple[int, dict[str, Any]]:
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
    now_epoch = ctx.now.timestamp()
    row = tx.one("SELECT last_seq FROM kiosks WHERE kiosk_id = ?", (kiosk,))
    state = json.dumps(body, ensure_ascii=False)
    if row is None:
        tx.execute("INSERT INTO kiosks (kiosk_id, first_seen, last_seen, last_seq, interval_s, state)"
                   " VALUES (?,?,?,?,?,?)", (kiosk, rfc3339(ctx.now), now_epoch, seq, interval, state))
    elif seq > int(row["last_seq"]):
        tx.execute("UPDATE kiosks SET last_seen = ?, last_seq = ?, interval_s = ?, state = ? WHERE kiosk_id = ?",
                   (now_epoch, seq, interval, state, kiosk))
    else:  # late or repeated: alive, but the newer state stays
        tx.execute("UPDATE kiosks SET last_seen = ? WHERE kiosk_id = ?", (now_epoch, kiosk))
    pending = tx.all("SELECT command_id, command FROM kiosk_commands WHERE kiosk_id = ? AND delivered_at IS NULL"
                     " ORDER BY created_at", (kiosk,))
    for p in pending:
        tx.execute("UPDATE kiosk_commands SET delivered_at = ? WHERE command_id = ?",
                   (rfc3339(ctx.now), p["command_id"]))
    return 200, {"server_time": rfc3339(ctx.now), "commands": [json.loads(p["command"]) for p in pending]}


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
