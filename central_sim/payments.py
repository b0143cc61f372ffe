"""Fee orders for a replacement's 工本费 (regulation arts. 33, 50; issue 21 §4).

- ``POST /v1/payments`` creates the order of an application, idempotent per application: a repeat
  (same or new Idempotency-Key) answers the same order, so a card is never charged twice. The
  amount the kiosk stated to the citizen must be the tariff's (422 ``fee_amount_mismatch``), and a
  free application (a first application, a quality defect within a month) has none (409 ``no_fee_due``).
- ``GET /v1/payments/{payment_id}?wait=N`` answers the order; with ``wait`` (≤ MAX_WAIT_S) the server
  holds the answer until the order leaves ``pending`` or N seconds pass (a long poll: see
  docs/central-api-additions.md for why not a heartbeat command). A pending order past its
  ``expires_at`` is voided (``timed_out``) when read.
- ``POST /v1/payments/{payment_id}/cancel`` voids it (the citizen cancelled, or the kiosk's countdown
  ran out). A voided order withdraws its application: the new card is cancelled and a card the
  application had suspended is restored.
- A payment arriving after the void (``pay``: the test/demo hook standing in for the payment
  platform's notice) is refunded at once and listed on /monitor; so is a second payment of a paid order.
- Nothing is made unpaid: ``require_paid`` keeps the class-I account (and so production) from an
  instant-issue application whose fee is unpaid.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from central_sim.cards import set_status
from central_sim.clock import parse_rfc3339, rfc3339
from central_sim.errors import ApiError, Reasons
from central_sim.persons import add_timeline
from central_sim.routes import Ctx, bad_request, need_object, route, text
from central_sim.storage import Row, Tx

TARIFF_FEN = 2000  # the replacement's 工本费, ¥20.00 (the city's tariff; art. 50: told before the citizen commits)
FREE_REASONS = ("quality_defect",)  # art. 33: a quality defect within a month of collection is replaced free
ORDER_TTL = dt.timedelta(minutes=5)
MAX_WAIT_S = 25.0
VOID_REASONS = ("cancelled", "timed_out")
QR_BASE = "https://pay.fzsi.example/np/"  # the payment platform's order page (a reference placeholder)


def fee_fen(kind: str, reason: str | None) -> int:
    """The fee of an application in fen: first applications (art. 50) and quality replacements (art. 33,
    within a month: checked with the application) are free, every other replacement pays the tariff."""
    return 0 if kind == "new" or reason in FREE_REASONS else TARIFF_FEN


def _view(p: Row) -> dict[str, Any]:
    return {"payment_id": p["payment_id"], "application_id": p["application_id"], "amount_fen": int(p["amount_fen"]),
            "status": p["status"], "qr_payload": QR_BASE + p["payment_id"], "expires_at": p["expires_at"],
            "receipt_no": p["receipt_no"], "void_reason": p["void_reason"], "paid_at": p["paid_at"],
            "refund_fen": int(p["refund_fen"])}


def _order_of(tx: Tx, payment_id: str, kiosk_id: str | None) -> Row:
    p = tx.one("SELECT * FROM payments WHERE payment_id = ?", (payment_id,))
    if p is None or (kiosk_id is not None and p["kiosk_id"] != kiosk_id):
        raise ApiError(404, "payment_not_found", "无此缴费订单")
    return p


def _withdraw(tx: Tx, app_id: str, at: str) -> None:
    """The fee was not paid: the application ends, its card is not made, the old card is back."""
    app = tx.one("SELECT * FROM applications WHERE application_id = ?", (app_id,))
    if app is None or app["status"] not in ("approved", "account_opened"):
        return
    tx.execute("UPDATE applications SET status = 'withdrawn' WHERE application_id = ?", (app_id,))
    add_timeline(tx, app_id, "withdrawn", at, "工本费未缴，申请已撤销 fee not paid, application withdrawn")
    set_status(tx, app["card_no"], "cancelled", at)
    if app["replaces_card_no"]:
        old = tx.one("SELECT status FROM cards WHERE card_no = ?", (app["replaces_card_no"],))
        if old is not None and old["status"] == "suspended":
            set_status(tx, app["replaces_card_no"], "normal", at)


def _void(tx: Tx, p: Row, why: str, now: dt.datetime) -> Row:
    at = rfc3339(now)
    tx.execute("UPDATE payments SET status = 'voided', voided_at = ?, void_reason = ? WHERE payment_id = ?",
               (at, why, p["payment_id"]))
    _withdraw(tx, p["application_id"], at)
    return _order_of(tx, p["payment_id"], None)


def _expire(tx: Tx, p: Row, now: dt.datetime) -> Row:
    expires = parse_rfc3339(p["expires_at"])
    if p["status"] == "pending" and (expires is None or now > expires):
        return _void(tx, p, "timed_out", now)
    return p


@route("POST", "/v1/payments", idempotent=True)
def create_order(tx: Tx, ctx: Ctx, raw: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    body, reasons = need_object(raw), Reasons()
    app_id = text(body, "application_id", reasons, "申请编号")
    amount = body.get("amount_fen")
    if not isinstance(amount, int) or isinstance(amount, bool):
        reasons.add("missing_amount_fen" if amount is None else "invalid_amount_fen", "缺少或错误的金额")
    bad_request(reasons)
    app = tx.one("SELECT * FROM applications WHERE application_id = ?", (app_id,))
    if app is None or app["kiosk_id"] != ctx.kiosk_id:
        raise ApiError(404, "application_not_found", "无此申请")
    fee = fee_fen(app["kind"], app["reason"])
    if fee == 0:
        raise ApiError(409, "no_fee_due", "本次办理免收工本费")
    if amount != fee:
        raise ApiError(422, "fee_amount_mismatch", f"金额与收费标准不符（应为 {fee} 分）",
                       [{"code": "fee_amount_mismatch", "message": f"收费标准为 {fee / 100:.2f} 元"}])
    existing = tx.one("SELECT * FROM payments WHERE application_id = ?", (app_id,))
    if existing is not None:  # one order per application: never a second charge
        existing = _expire(tx, existing, ctx.now)
        if existing["status"] in ("pending", "paid"):
            return 201, _view(existing)
        raise ApiError(409, "payment_voided", "该申请的缴费订单已作废，申请已撤销")
    if app["status"] != "approved":
        raise ApiError(409, "application_not_open", f"申请状态为 {app['status']}，不能缴费")
    payment_id = f"PAY-{ctx.now:%Y%m%d}-{uuid.uuid4().hex[:10].upper()}"
    tx.execute("INSERT INTO payments (payment_id, application_id, kiosk_id, amount_fen, status, created_at, expires_at)"
               " VALUES (?,?,?,?, 'pending', ?, ?)", (payment_id, app_id, ctx.kiosk_id, fee, rfc3339(ctx.now),
                                                      rfc3339(ctx.now + ORDER_TTL)))
    add_timeline(tx, app_id, "fee_ordered", rfc3339(ctx.now), f"工本费 {fee / 100:.2f} 元")
    return 201, _view(_order_of(tx, payment_id, None))


@route("GET", "/v1/payments/{payment_id}", idempotent=False)
def get_order(tx: Tx, ctx: Ctx, raw: Any) -> tuple[int, dict[str, Any]]:
    return 200, _view(_expire(tx, _order_of(tx, ctx.params["payment_id"], ctx.kiosk_id), ctx.now))


@route("POST", "/v1/payments/{payment_id}/cancel", idempotent=True)
def cancel_order(tx: Tx, ctx: Ctx, raw: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    body, reasons = need_object(raw), Reasons()
    why = text(body, "reason", reasons, "作废原因")
    if why and why not in VOID_REASONS:
        reasons.add("invalid_reason", "作废原因应为 cancelled 或 timed_out")
    bad_request(reasons)
    p = _expire(tx, _order_of(tx, ctx.params["payment_id"], ctx.kiosk_id), ctx.now)
    if p["status"] == "pending":
        p = _void(tx, p, why, ctx.now)
    elif p["status"] == "paid":  # paid just before the citizen gave up: nothing will be made, so refund
        p = _refund(tx, _void(tx, p, why, ctx.now), ctx.now)
    return 200, _view(p)


def _refund(tx: Tx, p: Row, now: dt.datetime) -> Row:
    tx.execute("UPDATE payments SET status = CASE WHEN status = 'paid' THEN 'paid' ELSE 'refunded' END,"
               " refunded_at = ?, refund_fen = refund_fen + amount_fen WHERE payment_id = ?",
               (rfc3339(now), p["payment_id"]))
    return _order_of(tx, p["payment_id"], None)


def pay(tx: Tx, payment_id: str, now: dt.datetime) -> dict[str, Any]:
    """The payment platform's notice that the citizen paid (the test/demo hook): the order is paid and
    gets its e-receipt number (电子非税票据号); a payment after the void, or a second one, is refunded."""
    p = _expire(tx, _order_of(tx, payment_id, None), now)
    if p["status"] == "pending":
        n = int(tx.scalar("SELECT COUNT(*) FROM payments WHERE receipt_no IS NOT NULL")) + 1
        receipt_no = f"3501{now:%Y%m%d}{n:08d}"
        tx.execute("UPDATE payments SET status = 'paid', paid_at = ?, receipt_no = ? WHERE payment_id = ?",
                   (rfc3339(now), receipt_no, payment_id))
        add_timeline(tx, p["application_id"], "fee_paid", rfc3339(now), f"电子非税票据号 {receipt_no}")
        return {**_view(_order_of(tx, payment_id, None)), "charged": True}
    return {**_view(_refund(tx, p, now)), "charged": False}


def require_paid(tx: Tx, app: Row) -> None:
    """Nothing is made before the fee is paid: 409 ``payment_required`` for an unpaid instant issue."""
    if app["delivery"] != "instant" or fee_fen(app["kind"], app["reason"]) == 0:
        return
    if tx.one("SELECT 1 FROM payments WHERE application_id = ? AND status = 'paid'", (app["application_id"],)) is None:
        raise ApiError(409, "payment_required", "请先缴纳工本费")


def expire_due(tx: Tx, now: dt.datetime, *, dry_run: bool = False) -> int:
    """Void every pending order past its expiry (the central's sweep): its application is withdrawn even
    when no kiosk asks again (the link dropped during the payment). ``dry_run``: only count them."""
    due = [r for r in tx.all("SELECT * FROM payments WHERE status = 'pending'")
           if (t := parse_rfc3339(r["expires_at"])) is None or now > t]
    for p in [] if dry_run else due:
        _void(tx, p, "timed_out", now)
    return len(due)


def still_pending(status: int, body: dict[str, Any]) -> bool:
    """A long poll goes on while the order is answered and still pending."""
    return status == 200 and body.get("status") == "pending"


def refunds(tx: Tx, limit: int = 50) -> list[dict[str, Any]]:
    """Refunded payments, newest first (for /monitor)."""
    return [dict(r) for r in tx.all(
        "SELECT payment_id, application_id, kiosk_id, amount_fen, refund_fen, status, void_reason, voided_at,"
        " refunded_at FROM payments WHERE refund_fen > 0 ORDER BY refunded_at DESC LIMIT ?", (limit,))]
