"""The kiosks' audit-chain heads, kept here, outside the kiosk: what a disk can no longer take back.

Each kiosk reports the head of its hash-chained audit log, ``audit: {seq, head}``, in every
heartbeat and in every technician_action event. The central keeps the heartbeat's latest head
per kiosk and a window of anchored (seq, head) pairs, and flags the kiosk when

* **forked**: a seq it has anchored comes back with another hash (the chain was rewritten), or
* **rewound**: a heartbeat reports a lower seq than an earlier heartbeat did, or than a head
  anchored more than two heartbeat intervals ago (records deleted, the tail cut, the log replaced).

A flag stays until an operator clears it (it is evidence). GET /v1/kiosks/{id}/audit-head hands
the kiosk its anchors, so ``kiosk audit verify`` can find a rewritten record anywhere in the window.
"""

from __future__ import annotations

import json
import re
from typing import Any

from central_sim.errors import ApiError
from central_sim.routes import Ctx, route
from central_sim.storage import Tx

HEAD = re.compile(r"[0-9a-f]{64}")
HISTORY = 5000  # anchored seqs kept per kiosk (older ones are pruned)
ANCHORS_RETURNED = 500
SETTLE_INTERVALS = 2  # an event's anchor may overtake an older heartbeat in flight


def parse_anchor(value: Any) -> tuple[int, str] | None:
    """``{"seq": int >= 0, "head": 64 lowercase hex}`` → (seq, head); None when malformed."""
    if not isinstance(value, dict):
        return None
    seq, head = value.get("seq"), value.get("head")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0 or seq >= 2**63:
        return None
    if not isinstance(head, str) or not HEAD.fullmatch(head):
        return None
    return seq, head


def _flag(tx: Tx, kiosk: str, problem: str, at: str) -> None:
    tx.execute("INSERT INTO audit_state (kiosk_id, hb_seq, seq, head, problem, problem_at) VALUES (?,?,?,?,?,?)"
               " ON CONFLICT (kiosk_id) DO UPDATE SET"
               " problem = CASE WHEN audit_state.problem = '' THEN excluded.problem ELSE audit_state.problem END,"
               " problem_at = CASE WHEN audit_state.problem = '' THEN excluded.problem_at"
               " ELSE audit_state.problem_at END",
               (kiosk, -1, 0, "", problem, at))


def _anchor(tx: Tx, kiosk: str, seq: int, head: str, now_epoch: float, source: str, at: str) -> None:
    """Keep (seq, head); a seq anchored before with another head is a fork."""
    known = tx.one("SELECT head FROM audit_anchors WHERE kiosk_id = ? AND seq = ?", (kiosk, seq))
    if known is None:
        tx.execute("INSERT INTO audit_anchors (kiosk_id, seq, head, received_epoch, source) VALUES (?,?,?,?,?)",
                   (kiosk, seq, head, now_epoch, source))
        if seq % 100 == 0:
            tx.execute("DELETE FROM audit_anchors WHERE kiosk_id = ? AND seq < ?", (kiosk, seq - HISTORY))
    elif known["head"] != head:
        _flag(tx, kiosk, f"forked: record {seq} came back with another hash (the chain was rewritten)", at)


def record_beat(tx: Tx, kiosk: str, hb_seq: int, state_json: str, interval_s: float, now_epoch: float,
                at: str) -> None:
    """Call for each heartbeat the central takes as the kiosk's latest state (the heartbeat ordering
    is the caller's: a stale or late one must not come here)."""
    try:
        anchor = parse_anchor(json.loads(state_json).get("audit"))
    except (ValueError, AttributeError):
        return
    if anchor is not None:
        record_heartbeat(tx, kiosk, hb_seq, anchor, interval_s, now_epoch, at)


def record_heartbeat(tx: Tx, kiosk: str, hb_seq: int, anchor: tuple[int, str], interval_s: float,
                     now_epoch: float, at: str) -> None:
    """A heartbeat's head, compared with the previous heartbeat's and with what was anchored."""
    seq, head = anchor
    state = tx.one("SELECT hb_seq, seq FROM audit_state WHERE kiosk_id = ?", (kiosk,))
    if state is not None and int(state["hb_seq"]) >= 0 and seq < int(state["seq"]):
        _flag(tx, kiosk, f"rewound: the head went back from record {state['seq']} to {seq} "
                         "(records deleted, the tail cut or the log replaced)", at)
    settled = tx.scalar("SELECT MAX(seq) FROM audit_anchors WHERE kiosk_id = ? AND received_epoch < ?",
                        (kiosk, now_epoch - SETTLE_INTERVALS * interval_s))
    if settled is not None and seq < int(settled):
        _flag(tx, kiosk, f"rewound: record {settled} was anchored, the log now ends at {seq} "
                         "(records deleted, the tail cut or the log replaced)", at)
    _anchor(tx, kiosk, seq, head, now_epoch, "heartbeat", at)
    tx.execute("INSERT INTO audit_state (kiosk_id, hb_seq, seq, head) VALUES (?,?,?,?)"
               " ON CONFLICT (kiosk_id) DO UPDATE SET hb_seq = excluded.hb_seq, seq = excluded.seq,"
               " head = excluded.head", (kiosk, hb_seq, seq, head))


def record_event(tx: Tx, kiosk: str, anchor: tuple[int, str], now_epoch: float, at: str) -> None:
    """An event's head: events may arrive late and out of order, so only a fork is judged here."""
    _anchor(tx, kiosk, anchor[0], anchor[1], now_epoch, "event", at)


def view(tx: Tx, kiosk: str) -> dict[str, Any] | None:
    """The monitor's line: the last reported head and any flag."""
    row = tx.one("SELECT seq, head, problem, problem_at, hb_seq FROM audit_state WHERE kiosk_id = ?", (kiosk,))
    if row is None:
        return None
    return {"seq": int(row["seq"]) if int(row["hb_seq"]) >= 0 else None, "head": row["head"] or None,
            "problem": row["problem"], "problem_at": row["problem_at"]}


@route("GET", "/v1/kiosks/{kiosk_id}/audit-head", idempotent=False)
def audit_head(tx: Tx, ctx: Ctx, _raw: Any) -> tuple[int, dict[str, Any]]:
    kiosk = ctx.params["kiosk_id"]
    if ctx.kiosk_id and ctx.kiosk_id != kiosk:
        raise ApiError(403, "kiosk_id_mismatch", "终端编号与证书/请求头不一致")
    state = view(tx, kiosk) or {"seq": None, "head": None, "problem": "", "problem_at": ""}
    anchors = tx.all("SELECT seq, head FROM audit_anchors WHERE kiosk_id = ? ORDER BY seq DESC LIMIT ?",
                     (kiosk, ANCHORS_RETURNED))
    return 200, {**state, "anchors": [{"seq": int(a["seq"]), "head": a["head"]} for a in anchors]}
