"""The replacement fee (工本费, arts. 33 and 50; issue 17 §4, issue 21 §4): stated before the citizen
commits, paid by QR code before anything is made, and printed on the receipt.

1. ``fee_statement`` (before the application is sent): the fee and how it is paid, or that this
   replacement is free and why (a quality defect within a month of collection). Confirm or cancel.
2. Once the central accepted the application (and before the bank account or the card is made), a
   fee that is due is paid: the central creates the order (one per application: a retry answers the
   same order, so the card is never charged twice) and the kiosk shows ``payment_qr`` — the QR code
   (param ``qr``), the amount and a countdown (the view's ``timeout_s``; ``timeouts.payment_s``). It
   waits for the central's confirmation by long-polling ``GET /v1/payments/{id}?wait=`` (answered
   the moment the order is paid; a heartbeat command would come only with the next heartbeat, up
   to 30 s late, and only while the kiosk is idle). Paid: the e-receipt number (电子非税票据号) goes
   on the receipt. Cancel or the countdown running out voids the order (the central withdraws the
   application and refunds a payment that arrives after the void) and the session ends saying so.
3. The receipt states the fee line: paid with its e-receipt number, free and why, or payable at
   pickup (offline: the application is accepted for later and the fee is paid at the counter).
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from functools import partial

from hal.types import Receipt, ReceiptLine
from kiosk.central.errors import CentralError
from kiosk.central.models import PaymentOrder
from kiosk.domain.fees import Fee, fee_for
from kiosk.flows.base import Cancelled, End, Flow, FlowContext, FlowInterrupt, IdleTimeout
from kiosk.flows.common import central
from kiosk.flows.issuance import SUBMIT_STEP, Applicant, IssuanceFlow

log = logging.getLogger("kiosk.flow")
POLL_WAIT_S = 1.0  # each long poll: short, so a cancel on the screen is honoured within a second
FEE_LINE_PREFIX = "费用 Fee:"  # the issuance receipt's generic fee line, replaced by the precise one


@dataclass(frozen=True)
class Paid:
    payment_id: str
    amount_fen: int
    receipt_no: str  # 电子非税票据号


class PaymentVoided(FlowInterrupt):
    """The order was voided (cancelled by the citizen, or the countdown ran out): nothing is made,
    nothing is charged (a late payment is refunded by the central)."""

    end = End.CANCELLED

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.reasons = (f"reason.{code}",)


def state_fee(ctx: FlowContext, flow: Flow, step: int, fee: Fee, *, offline: bool) -> None:
    """Arts. 33, 50: the fee, or that there is none and why, before the citizen commits."""
    if fee.due:
        message = "prompt.fee_at_pickup" if offline else "prompt.fee_due"
    else:
        message = f"prompt.fee_free_{fee.free_because}"
    ctx.ask(flow.view("fee_statement", step, message,
                      params={"yuan": fee.yuan, "amount_fen": str(fee.amount_fen), "fee": "due" if fee.due else "free",
                              "free_because": fee.free_because,
                              "minutes": str(int(ctx.config.timeouts.payment_s // 60))},
                      actions=("confirm", "cancel")))


def pay_fee(ctx: FlowContext, flow: Flow, step: int, fee: Fee, application_id: str, *,
            made_later: bool = False) -> Paid | None:
    """Pay a fee that is due before anything is made; None when there is none. ``made_later``: the card
    is made by the card centre after the kiosk session, which the QR page and its answer say."""
    if not fee.due:
        return None
    ctx.working(flow.view("payment_ordering", step, "prompt.payment_ordering"))
    order = central(ctx, lambda: ctx.central.create_payment(application_id, fee.amount_fen))
    if order.status == "paid":  # paid before (a retried session step): never a second charge
        return _paid(order)
    if order.status != "pending":
        raise PaymentVoided("payment_voided")
    try:
        return _wait_paid(ctx, flow, step, fee, order, made_later)
    except (Cancelled, IdleTimeout) as exc:
        _void(ctx, order.payment_id, "cancelled" if isinstance(exc, Cancelled) else "timed_out")
        raise PaymentVoided("payment_cancelled" if isinstance(exc, Cancelled) else "payment_timed_out") from None
    except FlowInterrupt:
        _void(ctx, order.payment_id, "cancelled")  # best effort: the central voids it at expiry anyway
        raise


def _wait_paid(ctx: FlowContext, flow: Flow, step: int, fee: Fee, order: PaymentOrder, made_later: bool) -> Paid:
    window = ctx.config.timeouts.payment_s
    deadline = ctx.clock.monotonic() + window
    ctx.channel.show(dataclasses.replace(
        flow.view("payment_qr", step, "prompt.payment_qr_later" if made_later else "prompt.payment_qr",
                  params={"yuan": fee.yuan, "qr": order.qr_payload, "payment_id": order.payment_id,
                          "minutes": str(max(1, int(window // 60)))},
                  actions=("cancel",)), timeout_s=window))
    while True:
        ctx.check()  # the citizen's cancel
        left = deadline - ctx.clock.monotonic()
        if left <= 0:
            raise IdleTimeout("payment_qr")
        state = central(ctx, partial(ctx.central.payment_status, order.payment_id, min(POLL_WAIT_S, left)))
        if state.status == "paid":
            paid = _paid(state)
            ctx.working(flow.view("payment_done", step,
                                  "prompt.payment_done_later" if made_later else "prompt.payment_done",
                                  params={"yuan": fee.yuan, "receipt_no": paid.receipt_no}))
            return paid
        if state.status != "pending":  # voided at the central (its own expiry)
            raise PaymentVoided("payment_timed_out")


def _paid(order: PaymentOrder) -> Paid:
    return Paid(order.payment_id, order.amount_fen, order.receipt_no or "")


def _void(ctx: FlowContext, payment_id: str, reason: str) -> None:
    try:
        ctx.central.cancel_payment(payment_id, reason)
    except CentralError as exc:  # link down: the central voids the order when it expires
        log.warning("fee order not voided", extra={"code": exc.code})


def fee_lines(fee: Fee, paid: Paid | None, *, offline: bool) -> tuple[ReceiptLine, ...]:
    """The receipt's fee lines (arts. 33, 50)."""
    if not fee.due:
        why = ("质量问题一个月内免费更换 quality defect within a month" if fee.free_because == "quality_defect"
               else "首次申领免费 first application")
        return (ReceiptLine(f"工本费 Card fee: 免费 free（{why}）"),)
    if paid is not None:
        return (ReceiptLine(f"工本费 Card fee: ¥{fee.printed} 已缴 paid", bold=True),
                ReceiptLine(f"电子非税票据号 E-receipt No.: {paid.receipt_no}"))
    if offline:
        return (ReceiptLine(f"工本费 Card fee: ¥{fee.printed}，领卡时缴纳 payable at pickup", bold=True),)
    return (ReceiptLine(f"工本费 Card fee: ¥{fee.printed}"),)


class FeeIssuanceFlow(IssuanceFlow):
    """A card-issuing flow with a fee (replace): states it (``state_fee``, before the application), pays
    it once the application is accepted (``accepted``, before the account and the card), and prints it
    on the receipt."""

    fee_step = 2
    pay_step = SUBMIT_STEP

    def __init__(self) -> None:
        super().__init__()
        self._fee: Fee | None = None
        self._fee_offline = False
        self._paid: Paid | None = None

    def state_fee(self, ctx: FlowContext, reason: str | None, *, offline: bool = False) -> None:
        self._fee, self._fee_offline = fee_for(self.kind, reason), offline
        state_fee(ctx, self, self.fee_step, self._fee, offline=offline)

    def fee_due_at_pickup(self) -> bool:
        return self._fee is not None and self._fee.due and self._fee_offline

    def accepted(self, ctx: FlowContext, application_id: str, *, made_later: bool = False) -> None:
        if self._fee is not None:  # made here or later: paid now, before anything is made
            self._paid = pay_fee(ctx, self, self.pay_step, self._fee, application_id, made_later=made_later)
        super().accepted(ctx, application_id, made_later=made_later)

    def on_fault(self, ctx: FlowContext, exc: BaseException) -> None:
        if isinstance(exc, PaymentVoided):
            self._open_application = None  # withdrawn at the central with its order: nothing to report
        super().on_fault(ctx, exc)

    def _receipt(self, ctx: FlowContext, a: Applicant, txn: str, lines: tuple[ReceiptLine, ...]) -> Receipt:
        if self._fee is not None:
            lines = (*(ln for ln in lines if not ln.text.startswith(FEE_LINE_PREFIX)),
                     *fee_lines(self._fee, self._paid, offline=self._fee_offline))
        return super()._receipt(ctx, a, txn, lines)
