"""A text message with the outcome of a request the citizen was not there to see decided.

The kiosk accepts a loss report, a contact change, an activation or (offline) an application, gives the
citizen a "pending" receipt and page ("We'll text the result to the mobile number on your social
security record": result.pending.what) and delivers the request when its link is back. By then the
citizen has gone home, and the regulation wants them told in time (art. 23 "应及时通知申领人"). One SMS
goes to the mobile on record: which service, when it was submitted, and either that it is done or the
first reason it was refused, with the request's number (as the progress query answers it) to quote
to the hotline.

- Sent only when the outcome came LATE_AFTER or more after the request was made, or when the request
  does not say when it was made. The kiosk waits at least that long for the answer before its page
  says "pending" (its central.answer_wait_s, 8 s at least): one decided sooner was on its screen, and
  one decided in the second or two between may be both shown and texted, never neither. The request's
  time is the kiosk's clock: it is read against ours through the kiosk's last heartbeat.
- Once per request: ``sms_notices`` has one row per reference.
- Names no person, ID number or card number: a number on record may have changed hands since.
- Written in the outcome's own transaction (the outbox pattern): no outcome without its notice, no
  notice for one rolled back. ``sms_notices`` is the gateway's outbox; the simulated carrier delivers
  at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from central_sim.clock import CST, rfc3339
from central_sim.sms import MOBILE
from central_sim.storage import Tx

LATE_AFTER_S = 8.0  # the least a kiosk waits for an answer (kiosk/config.py central.answer_wait_s)
LATE_AFTER = dt.timedelta(seconds=LATE_AFTER_S)
HOTLINE = "12333"
SIGNATURE = "【福州社保卡】"
SERVICE_NAMES = {"loss_report": "社保卡挂失", "contact_change": "联系方式变更", "activation": "社保卡启用",
                 "application": "社保卡申领"}
DONE = {"loss_report": "已生效，卡片已冻结", "contact_change": "已生效", "activation": "已生效，社会保障功能已启用",
        "application": "已通过审核，正在制卡，制卡后按您选择的方式领取"}
MAX_REASON_CHARS = 60  # one reason, cut to keep the message to a few SMS segments


def late(submitted_at: dt.datetime | None, at: dt.datetime, kiosk_ahead: dt.timedelta = dt.timedelta(0)) -> bool:
    """Decided after the kiosk stopped waiting (or at an unknown delay: better told twice than never).
    ``kiosk_ahead``: how far the kiosk's clock, which dated the request, runs ahead of ours."""
    return submitted_at is None or at - (submitted_at - kiosk_ahead) >= LATE_AFTER


def outcome_text(service: str, reference: str, submitted_at: dt.datetime | None, refusal: str | None) -> str:
    """The message; ``refusal``: the first reason's words, None when the request was carried out."""
    when = f"于{submitted_at.astimezone(CST):%m月%d日%H:%M}" if submitted_at is not None else ""
    head = f"{SIGNATURE}您{when}在自助服务终端提交的{SERVICE_NAMES[service]}"
    if refusal is None:
        return f"{head}{DONE[service]}。如有疑问请拨打{HOTLINE}（查询号 {reference}）。"
    reason = refusal.strip().rstrip("。")[:MAX_REASON_CHARS] or "未通过审核"
    return f"{head}未能办理：{reason}。请重新办理，或拨打{HOTLINE}咨询（查询号 {reference}）。"


def tell(tx: Tx, id_no: str, service: str, reference: str, *, submitted_at: dt.datetime | None, at: dt.datetime,
         refused: Sequence[dict[str, Any]] | None = None, mobile_given: str = "",
         kiosk_ahead: dt.timedelta = dt.timedelta(0)) -> bool:
    """Queue the SMS for one outcome (``refused``: its reasons; None: done); False when none is due or
    there is no number to send it to.

    ``mobile_given``: the number the request itself carried, used only when none is on record."""
    if service not in SERVICE_NAMES:
        raise ValueError(f"no notice for {service!r}")
    if not late(submitted_at, at, kiosk_ahead):
        return False
    row = tx.one("SELECT mobile FROM persons WHERE id_number = ?", (id_no,))
    mobile = str(row["mobile"]) if row is not None and row["mobile"] else mobile_given
    if not MOBILE.match(mobile):
        return False  # nobody to text: the progress query still has it
    if tx.one("SELECT 1 AS x FROM sms_notices WHERE reference = ?", (reference,)) is not None:
        return False
    reason = None  # carried out
    if refused is not None:
        reason = str(refused[0].get("message", "")) if refused else ""
    tx.execute("INSERT INTO sms_notices (reference, mobile, kind, body, sent_at) VALUES (?,?,?,?,?)",
               (reference, mobile, "done" if refused is None else "refusal",
                outcome_text(service, reference, submitted_at, reason), rfc3339(at)))
    return True


def notices_to(tx: Tx, mobile: str) -> list[dict[str, Any]]:
    """What the simulated carrier delivered to one phone, oldest first (tests, the loopback hook)."""
    return tx.all("SELECT reference, kind, body, sent_at FROM sms_notices WHERE mobile = ? ORDER BY sent_at, reference",
                  (mobile,))
