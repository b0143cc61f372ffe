"""挂失 Report a card lost (regulation art. 33): frozen at once online; queued at top priority offline."""

from __future__ import annotations

from hal.types import Receipt, ReceiptLine
from kiosk.central.models import Card, PersonLookup
from kiosk.central.outcomes import Queued
from kiosk.clock import stamp
from kiosk.domain.masking import mask_card_no, mask_id, mask_name
from kiosk.domain.services import ServiceId
from kiosk.flows.base import (
    End,
    Flow,
    FlowContext,
    FlowResult,
    LinkLost,
    Refused,
    choice_param,
    new_transaction_no,
    receipt_message,
)
from kiosk.flows.check_answers import Row, confirm_summary, holder_rows
from kiosk.flows.common import RESULT_BY_SMS, central, queued
from kiosk.flows.identity import read_id_card

REPORTABLE = ("normal", "suspended", "in_production")


def _lookup(ctx: FlowContext, id_number: str, name: str) -> PersonLookup | None:
    """The citizen's cards; None when the link drops during the call: art. 33 says a loss report must not
    wait, so the flow goes on as offline (by ID number, queued at top priority)."""
    try:
        return central(ctx, lambda: ctx.central.lookup_person(id_number, name))
    except LinkLost as exc:
        if exc.code == "link_lost":
            return None
        raise


def card_choices(cards: list[Card]) -> tuple[tuple[tuple[str, str], ...], dict[str, str]]:
    """Each card as a choice: its city by name in the citizen's language, and its masked number."""
    choices = tuple((c.card_no, "check.card_in_city") for c in cards)
    labels = {choice_param(i, name): value for i, c in enumerate(cards)
              for name, value in (("city", c.city), ("card_no", mask_card_no(c.card_no)))}
    return choices, labels


class LossReportFlow(Flow):
    service = ServiceId.LOSS_REPORT
    total_steps = 4

    def steps(self, ctx: FlowContext) -> FlowResult:
        card = read_id_card(ctx, self.view("read_id", 1, "prompt.place_id_card", actions=("cancel",)))
        ctx.working(self.view("lookup", 2, "prompt.looking_up"))

        person = _lookup(ctx, card.id_number, card.name) if ctx.services.link_online() else None
        card_no = ""
        if person is not None:
            cards = [c for c in person.cards if c.status in REPORTABLE]
            if not cards:
                raise Refused("no_reportable_card")
            choices, labels = card_choices(cards)
            params = {"name": mask_name(card.name), "sex": card.sex_code, "id": mask_id(card.id_number)}
            while not card_no:
                if len(cards) > 1:
                    answer = self.view("choose_card", 2, "prompt.choose_card", params={**params, **labels},
                                       choices=choices, actions=("choose", "cancel"))
                    got = ctx.ask(answer)
                    chosen = next((c for c in cards if c.card_no == got.value), None)
                    if chosen is None:
                        raise Refused("no_reportable_card")
                else:
                    chosen = cards[0]
                # the city by name in the citizen's language (kiosk.strings labels the "city" code)
                where = {"city": chosen.city, "card_no": mask_card_no(chosen.card_no)}
                rows = (*holder_rows(self, card), Row("result.row.card_no", "check.card_in_city", is_key=True))
                if confirm_summary(ctx, self, "confirm_card", 2, "prompt.confirm_loss", rows, "check.next.loss_report",
                                   params={**params, **where}, back=len(cards) > 1):
                    card_no = chosen.card_no
        else:
            # Offline the card list is unknown: the central finds the card by ID number.
            confirm_summary(ctx, self, "confirm_offline", 2, "prompt.confirm_loss_offline",
                            (*holder_rows(self, card), Row("result.row.card_no", "check.every_card", is_key=True)),
                            "check.next.loss_report_offline",
                            params={"name": mask_name(card.name), "sex": card.sex_code, "id": mask_id(card.id_number),
                                    "hotline": ctx.config.kiosk.hotline})

        ctx.working(self.view("submitting", 3, "prompt.submitting"))
        reported_at = stamp(ctx.clock)
        outcome = queued(ctx, lambda: ctx.central.report_loss(id_number=card.id_number, reported_at=reported_at,
                                                              card_no=card_no or None))
        ctx.services.block_card_locally(card_no or card.id_number)

        txn = new_transaction_no(ctx.clock, ctx.config.kiosk.id)
        pending = isinstance(outcome, Queued)
        ctx.working(self.view("printing", 4, "prompt.printing_receipt"))
        receipt = Receipt(
            title="社会保障卡挂失回执 / Loss report receipt",
            lines=(
                ReceiptLine(f"姓名 Name: {mask_name(card.name)}"),
                ReceiptLine(f"证件号码 ID: {mask_id(card.id_number)}"),
                ReceiptLine(f"卡号 Card: {mask_card_no(card_no) if card_no else '—'}"),
                ReceiptLine(f"受理时间 Time: {reported_at}"),
                ReceiptLine(
                    "状态: 待生效 Pending (link down)" if pending else "状态: 已挂失 Card frozen",
                    bold=True,
                ),
                *((RESULT_BY_SMS,) if pending else ()),
            ),
            transaction_no=txn,
            qr_payload=txn,
            footer=(
                (f"如需立即生效请拨打 {ctx.config.kiosk.hotline} / Call {ctx.config.kiosk.hotline} "
                 "for immediate effect",)
                if pending else ()
            ),
        )
        receipt_ok = ctx.services.print_receipt(receipt)
        done = self.view(
            "done", 4, receipt_message("prompt.loss_pending" if pending else "prompt.loss_done", receipt_ok),
            params={"hotline": ctx.config.kiosk.hotline, "txn": txn,
                    "receipt": "ok" if receipt_ok else "failed"},
            actions=("home",), end=End.DONE,
        )
        ctx.finish(done)
        return FlowResult(End.DONE, "pending" if pending else "applied", transaction_no=txn)
