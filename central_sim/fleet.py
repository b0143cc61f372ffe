"""Kiosks: heartbeats (state + pending remote commands), events/alarms, stock ledgers."""

from __future__ import annotations

import json
import logging
import math
import os
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from central_sim import audit_anchor
from central_sim.api_models import COMMANDS, KIOSK_ID_PATTERN, MODES, Heartbeat
from central_sim.clock import parse_date, parse_rfc3339, rfc3339
from central_sim.errors import ApiError, Reasons
from central_sim.routes import Ctx, bad_request, need_object, route
from central_sim.storage import Database, Row, Tx

log = logging.getLogger("central_sim")

MAX_EVENTS = 500
ID_LIKE = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")  # events must be masked (contract)
DEFAULT_INTERVAL_S = 30.0
MAX_COMMAND_MESSAGE = 200  # shown on the kiosk's out-of-service screen
KIOSK_ID = re.compile(KIOSK_ID_PATTERN)
OFFLINE_AFTER_MISSED = 3


def _same_kiosk(ctx: Ctx) -> str:
    kiosk = ctx.params["kiosk_id"]
    if ctx.kiosk_id != kiosk:
        raise ApiError(403, "kiosk_id_mismatch", "终端编号与证书/请求头不一致")
    return kiosk


@dataclass
class Beat:
    kiosk_id: str
    seq: int
    boot_id: str  # "" from a kiosk that does not send one (it keeps the plain seq ordering)
    interval_s: float
    state: str  # the validated heartbeat body as JSON
    seen_epoch: float
    first_seen: str
    boots: list[str] = field(default_factory=list)  # boot ids merged into this beat within one flush, in order


def beat_of(ctx: Ctx, hb: Heartbeat) -> Beat:
    kiosk = _same_kiosk(ctx)
    if hb.kiosk_id != kiosk:
        raise ApiError(422, "kiosk_id_mismatch", "心跳中的终端编号与路径不一致",
                       [{"code": "kiosk_id_mismatch", "message": "心跳中的终端编号与路径不一致"}])
    boot = hb.boot_id or ""
    return Beat(kiosk, hb.seq, boot, hb.heartbeat_interval_s, hb.model_dump_json(exclude_none=True),
                ctx.now.timestamp(), rfc3339(ctx.now), [boot])


def merge(prev: Beat | None, new: Beat) -> Beat:
    """The ordering rule in the buffer: within one boot the higher seq wins; another boot_id starts a
    new ordering (a kiosk restored from an image counts from an old seq), unless that boot was
    already left behind in this window (a late heartbeat of the previous process)."""
    if prev is None:
        return new
    prev.seen_epoch = max(prev.seen_epoch, new.seen_epoch)
    if new.boot_id == prev.boot_id:
        if new.seq > prev.seq:
            new.boots, new.seen_epoch = prev.boots, prev.seen_epoch
            return new
        return prev
    if new.boot_id in prev.boots:
        return prev
    new.boots, new.seen_epoch = [*prev.boots, new.boot_id], prev.seen_epoch
    return new


def _store_beat(tx: Tx, b: Beat) -> None:
    row = tx.one("SELECT k.last_seq AS last_seq, b.boot_id AS boot_id, b.prev_boot_id AS prev_boot_id,"
                 " b.restarts AS restarts FROM kiosks k LEFT JOIN kiosk_boots b ON b.kiosk_id = k.kiosk_id"
                 " WHERE k.kiosk_id = ?", (b.kiosk_id,))
    if row is None:
        tx.execute("INSERT INTO kiosks (kiosk_id, first_seen, last_seen, last_seq, interval_s, state)"
                   " VALUES (?,?,?,?,?,?)", (b.kiosk_id, b.first_seen, b.seen_epoch, b.seq, b.interval_s, b.state))
        _set_boot(tx, b.kiosk_id, b.boot_id, b.boots[-2] if len(b.boots) > 1 else "", len(b.boots) - 1)
        audit_anchor.record_beat(tx, b.kiosk_id, b.seq, b.state, b.interval_s, b.seen_epoch, b.first_seen)
        return
    tx.execute("UPDATE kiosks SET last_seen = ? WHERE kiosk_id = ? AND last_seen < ?",
               (b.seen_epoch, b.kiosk_id, b.seen_epoch))
    boot, retired, restarts = row["boot_id"] or "", row["prev_boot_id"] or "", int(row["restarts"] or 0)
    if b.boot_id == boot:
        if b.seq <= int(row["last_seq"]):
            return  # a stale duplicate: it only proves the kiosk is alive
        new_boots = 0
    elif b.boot_id == retired:
        return  # a late heartbeat of a process the kiosk has since restarted
    elif row["boot_id"] is None:
        new_boots = 0  # known from before boot ids were kept: a new ordering, but no restart to count
    else:
        new_boots = len([x for x in b.boots if x not in (boot, retired)]) or 1
    tx.execute("UPDATE kiosks SET last_seq = ?, interval_s = ?, state = ? WHERE kiosk_id = ?",
               (b.seq, b.interval_s, b.state, b.kiosk_id))
    audit_anchor.record_beat(tx, b.kiosk_id, b.seq, b.state, b.interval_s, b.seen_epoch, b.first_seen)
    if b.boot_id != boot or row["boot_id"] is None:
        _set_boot(tx, b.kiosk_id, b.boot_id, boot if new_boots else retired, restarts + new_boots)


def _set_boot(tx: Tx, kiosk_id: str, boot_id: str, prev_boot_id: str, restarts: int) -> None:
    tx.execute("INSERT INTO kiosk_boots (kiosk_id, boot_id, prev_boot_id, restarts) VALUES (?,?,?,?)"
               " ON CONFLICT (kiosk_id) DO UPDATE SET boot_id = excluded.boot_id,"
               " prev_boot_id = excluded.prev_boot_id, restarts = excluded.restarts",
               (kiosk_id, boot_id, prev_boot_id, restarts))


def store_beats(tx: Tx, beats: list[Beat]) -> int:
    """Each kiosk's heartbeat in its own savepoint: one that cannot be stored never costs the others theirs."""
    stored = 0
    for b in beats:
        try:
            with tx.savepoint():
                _store_beat(tx, b)
            stored += 1
        except Exception:
            log.exception("heartbeat not stored", extra={"kiosk_id": b.kiosk_id})
    return stored


def deliver_commands(tx: Tx, kiosk: str, at: str) -> list[dict[str, Any]]:
    # created_at has one-second precision: within a second the ids (made in order) keep the queue's order
    pending = tx.all("SELECT command_id, command FROM kiosk_commands WHERE kiosk_id = ? AND delivered_at IS NULL"
                     " ORDER BY created_at, command_id", (kiosk,))
    for p in pending:
        tx.execute("UPDATE kiosk_commands SET delivered_at = ? WHERE command_id = ?", (at, p["command_id"]))
    return [json.loads(p["command"]) for p in pending]


@route("POST", "/v1/kiosks/{kiosk_id}/heartbeat", idempotent=False)
def heartbeat(tx: Tx, ctx: Ctx, raw: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """The route's registration; the dispatcher sends every heartbeat (direct or batched) to HeartbeatBuffer."""
    store_beats(tx, [beat_of(ctx, Heartbeat.model_validate(raw))])
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
        self._with_commands: set[str] = set()
        self._load_pending_commands()

    def _load_pending_commands(self) -> None:
        """Kiosks with undelivered commands, from the database: another central instance on the same
        database may have queued them (re-read at every flush, so they go out within about a second)."""
        with self.db.read() as tx:
            rows = tx.all("SELECT DISTINCT kiosk_id FROM kiosk_commands WHERE delivered_at IS NULL")
        with self._lock:
            self._with_commands |= {str(r["kiosk_id"]) for r in rows}

    def command_queued(self, kiosk_id: str) -> None:
        with self._lock:
            self._with_commands.add(kiosk_id)

    def handle(self, ctx: Ctx, hb: Heartbeat) -> tuple[int, dict[str, Any]]:
        beat = beat_of(ctx, hb)
        with self._lock:
            self._pending[beat.kiosk_id] = merge(self._pending.get(beat.kiosk_id), beat)
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
        self._load_pending_commands()
        return len(beats)


class _OrderedIds:
    """RFC 9562 version-7 UUIDs: Unix milliseconds, then a counter within the millisecond, then random
    bits. Each id this process makes sorts after the one before (as text too: fixed-width lowercase
    hex), even within one millisecond or after the clock steps back."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = (0, 0)  # (milliseconds, counter)

    def __call__(self) -> str:
        with self._lock:
            ms, counter = time.time_ns() // 1_000_000, 0
            last_ms, last_counter = self._last
            if ms <= last_ms:  # the same millisecond, or a clock step back: count on from the last id
                ms, counter = (last_ms, last_counter + 1) if last_counter < 0xFFF else (last_ms + 1, 0)
            self._last = (ms, counter)
        rand = int.from_bytes(os.urandom(8)) & ((1 << 62) - 1)
        return str(uuid.UUID(int=(ms << 80) | (0x7 << 76) | (counter << 64) | (0b10 << 62) | rand))


command_id = _OrderedIds()


def queue_command(tx: Tx, kiosk_id: str, command: dict[str, Any], at: str) -> dict[str, Any]:
    """Queue a remote command for the kiosk's next heartbeat (admin endpoint / monitor)."""
    kind = command.get("type")
    if kind not in COMMANDS:
        raise ApiError(400, "unknown_command", f"未知命令 {kind}")
    if kind == "set_mode" and command.get("mode") not in MODES:
        raise ApiError(400, "invalid_mode", "set_mode 需要有效的 mode")
    message = command.get("message")
    if message is not None and not (isinstance(message, str) and len(message) <= MAX_COMMAND_MESSAGE):
        raise ApiError(400, "invalid_message", f"message 须为不超过 {MAX_COMMAND_MESSAGE} 字的文本")
    if not KIOSK_ID.match(kiosk_id):
        raise ApiError(400, "invalid_kiosk_id", "终端编号格式不正确")
    cmd = {"id": command_id(), **{k: v for k, v in command.items() if k != "id"}}
    tx.execute("INSERT INTO kiosk_commands (command_id, kiosk_id, command, created_at) VALUES (?,?,?,?)",
               (cmd["id"], kiosk_id, json.dumps(cmd, ensure_ascii=False), at))
    return cmd


def file_transaction(tx: Tx, kiosk: str, event: dict[str, Any], received_at: str) -> None:
    """File a transaction's outcome under the number on its receipt (once: the first report stands)."""
    tx.execute("INSERT INTO kiosk_transactions (transaction_no, kiosk_id, at, outcome, code, received_at)"
               " VALUES (?,?,?,?,?,?) ON CONFLICT (transaction_no) DO NOTHING",
               (event["transaction_no"], kiosk, event["at"], str(event.get("code", ""))[:80],
                str(event.get("message", ""))[:200], received_at))


def find_transaction(tx: Tx, transaction_no: str) -> Row | None:
    """The outcome filed under a receipt's 交易号 (spaces around it, and the case of its hex part, as typed
    at the counter, forgiven)."""
    head, _, tail = "".join(transaction_no.split()).rpartition("-")
    return tx.one("SELECT transaction_no, kiosk_id, at, outcome, code, received_at FROM kiosk_transactions"
                  " WHERE transaction_no = ?", (f"{head}-{tail.upper()}" if head else tail,))


@route("POST", "/v1/kiosks/{kiosk_id}/events", idempotent=True)
def events(tx: Tx, ctx: Ctx, raw: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    body, reasons = need_object(raw), Reasons()
    kiosk = _same_kiosk(ctx)
    items: list[dict[str, Any]] = body["events"]  # shape, types, type and severity checked at the edge
    for i, e in enumerate(items):
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
        if e["type"] == "transaction_outcome" and e.get("transaction_no"):
            file_transaction(tx, kiosk, e, now)
        anchor = audit_anchor.parse_anchor(e.get("audit"))
        if anchor is not None:  # technician actions carry the audit head they produced
            audit_anchor.record_event(tx, kiosk, anchor, ctx.now.timestamp(), now)
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
    """Every kiosk with its last state, heartbeat age, offline flag and active alarms.

    A row that cannot be read (odd data from before validation, a hand-edited database) is shown
    as such; it never takes the rest of the fleet's view down with it."""
    now_epoch = time.time() if now_epoch is None else now_epoch
    out = []
    rows = tx.all("SELECT k.*, b.boot_id AS boot_id, b.restarts AS restarts FROM kiosks k"
                  " LEFT JOIN kiosk_boots b ON b.kiosk_id = k.kiosk_id ORDER BY k.kiosk_id")
    for k in rows:
        try:
            out.append(_kiosk_view(tx, k, now_epoch))
        except Exception:
            log.exception("kiosk row unreadable", extra={"kiosk_id": str(k.get("kiosk_id"))[:64]})
            out.append(_unreadable(k))
    return out


def finite_number(value: Any, default: float = 0.0) -> float:
    """A finite float from stored data, or ``default``."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return default
    try:
        f = float(value)
    except (ValueError, OverflowError):
        return default
    return f if math.isfinite(f) else default


def _unreadable(k: Row) -> dict[str, Any]:
    return {"kiosk_id": str(k.get("kiosk_id", "?")), "age_s": 0.0, "interval_s": DEFAULT_INTERVAL_S,
            "offline": True, "seq": 0, "boot_id": "", "restarts": 0, "alarms": [],
            "state": {"mode": "unreadable"}, "unreadable": True}


def _kiosk_view(tx: Tx, k: Row, now_epoch: float) -> dict[str, Any]:
    state = json.loads(k["state"])
    if not isinstance(state, dict):
        raise ValueError("stored state is not an object")
    interval = finite_number(k["interval_s"], DEFAULT_INTERVAL_S) or DEFAULT_INTERVAL_S
    age = max(0.0, now_epoch - finite_number(k["last_seen"]))
    alarms = tx.all(
        "SELECT at, device, severity, code, message FROM kiosk_events WHERE kiosk_id = ? AND type = 'device_alarm'"
        " AND cleared = 0 ORDER BY at DESC LIMIT 20", (k["kiosk_id"],))
    return {
        "kiosk_id": str(k["kiosk_id"]),
        "age_s": age,
        "interval_s": interval,
        "offline": age > OFFLINE_AFTER_MISSED * interval,
        "seq": int(finite_number(k["last_seq"])),
        "boot_id": str(k.get("boot_id") or ""),
        "restarts": int(finite_number(k.get("restarts"))),
        "state": state,
        "alarms": alarms,
        "audit": audit_anchor.view(tx, k["kiosk_id"]),
    }
