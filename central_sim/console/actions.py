"""What an operator may do from the console, and the rules around it (one place for the HTML forms and the
JSON API): remote actions become heartbeat commands (fleet.queue_command), alarms are acknowledged,
assigned and resolved; each needs a role, a confirmation (actions) and a reason or note, and is audited."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from central_sim.clock import rfc3339
from central_sim.console import store
from central_sim.console.auth import Operator
from central_sim.fleet import queue_command
from central_sim.storage import Database

# action → (role needed, heartbeat command)
ACTIONS: dict[str, tuple[str, dict[str, Any]]] = {
    "out_of_service": ("operator", {"type": "set_mode", "mode": "out_of_service",
                                    "message": "本机暂停服务 This kiosk is out of service"}),
    "in_service": ("operator", {"type": "set_mode", "mode": "in_service"}),
    "self_tests": ("operator", {"type": "run_self_tests"}),
    "diagnostics": ("operator", {"type": "upload_diagnostics"}),
    "ledger": ("operator", {"type": "upload_stock_ledger"}),
    "restart": ("admin", {"type": "restart_app"}),
    "flush_queue": ("admin", {"type": "flush_queue"}),
}
ALARM_OPS = {"acknowledge": "acknowledged", "assign": "assigned", "resolve": "resolved"}
ALARM_ROLE = "operator"
MIN_REASON = 4


@dataclass
class Refused(Exception):
    status: int
    code: str
    message: str  # bilingual, shown to the operator

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message}


def _logged_in(op: Operator | None) -> Operator:
    if op is None:
        raise Refused(401, "login_required", "请先登录 Please log in")
    return op


def need(op: Operator | None, role: str) -> Operator:
    op = _logged_in(op)
    if not op.can(role):
        raise Refused(403, "role_forbidden", f"需要 {role} 权限 This needs the {role} role (you are {op.role})")
    return op


def need_duty(op: Operator | None, duty: str) -> Operator:
    op = _logged_in(op)
    if duty not in op.duties:
        raise Refused(403, "duty_forbidden", f"需要 {duty} 职责 This needs the {duty} duty")
    return op


def perform(db: Database, op: Operator | None, kiosk_id: str, action: str, reason: str, confirmed: bool,
            now: dt.datetime) -> dict[str, Any]:
    """Queue the action's command for the kiosk's next heartbeat and audit it; returns the command."""
    if action not in ACTIONS:
        raise Refused(400, "unknown_action", "未知操作 Unknown action")
    role, command = ACTIONS[action]
    op = need(op, role)
    if not confirmed:
        raise Refused(400, "confirmation_required", "请确认该操作 Please confirm the action")
    reason = reason.strip()
    if len(reason) < MIN_REASON:
        raise Refused(400, "reason_required",
                      f"请填写原因（至少 {MIN_REASON} 个字符）Give a reason ({MIN_REASON}+ characters)")
    with db.transaction() as tx:
        if tx.one("SELECT 1 AS x FROM kiosks WHERE kiosk_id = ?", (kiosk_id,)) is None:
            raise Refused(404, "unknown_kiosk", "无此终端 No such kiosk")
        cmd = queue_command(tx, kiosk_id, dict(command), rfc3339(now))
        store.audit(tx, now, op.name, op.role, kiosk_id, action, reason, detail=str(command["type"]),
                    command_id=str(cmd["id"]))
    return cmd


def handle_alarm(db: Database, op: Operator | None, event_id: str, what: str, assignee: str, note: str,
                 now: dt.datetime) -> str:
    """Acknowledge / assign / resolve a device alarm with a note; returns the kiosk id."""
    if what not in ALARM_OPS:
        raise Refused(400, "unknown_operation", "未知操作 Unknown operation")
    op = need(op, ALARM_ROLE)
    assignee, note = assignee.strip()[:80], note.strip()[:500]
    if what == "assign" and not assignee:
        raise Refused(400, "assignee_required", "请填写处理人 Name the person it is assigned to")
    if what == "resolve" and len(note) < MIN_REASON:
        raise Refused(400, "note_required", "请填写处理说明 Say how it was resolved")
    with db.transaction() as tx:
        event = tx.one("SELECT kiosk_id, code, device FROM kiosk_events WHERE event_id = ? AND type = 'device_alarm'",
                       (event_id,))
        if event is None:
            raise Refused(404, "unknown_alarm", "无此告警 No such alarm")
        old = tx.one("SELECT assignee FROM console_alarms WHERE event_id = ?", (event_id,))
        keep = assignee or (str(old["assignee"]) if old else "")
        tx.execute("INSERT INTO console_alarms (event_id, state, assignee, note, updated_by, updated_at)"
                   " VALUES (?,?,?,?,?,?) ON CONFLICT (event_id) DO UPDATE SET state = excluded.state,"
                   " assignee = excluded.assignee, note = excluded.note, updated_by = excluded.updated_by,"
                   " updated_at = excluded.updated_at",
                   (event_id, ALARM_OPS[what], keep, note, op.name, rfc3339(now)))
        kiosk_id = str(event["kiosk_id"])
        store.audit(tx, now, op.name, op.role, kiosk_id, f"alarm_{what}", note,
                    detail=f"{event['device']}:{event['code']}" + (f" → {keep}" if what == "assign" else ""))
    return kiosk_id
