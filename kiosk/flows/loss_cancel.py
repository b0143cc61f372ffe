"""解挂: cancel a loss report (art. 34). Needs the ID card and the found card, whose social
security number must be the ID number; refused once a replacement is in progress. Online only.

Screens: read_id → insert_card → lookup → confirm → submitting → printing → done.
"""

from __future__ import annotations

from hal.types import Receipt, ReceiptLine
from kiosk.domain.eligibility import loss_cancel_problems
from kiosk.domain.masking import mask_card_no, mask_id, mask_name
from kiosk.domain.services import ServiceId
from kiosk.flows.base import End, Flow, FlowContext, FlowResult, Refused, new_transaction_no, receipt_message
from kiosk.flows.check_answers import confirm_summary, holder_rows
from kiosk.flows.common import central, holder_matches, insert_sscard, require_online
from kiosk.flows.face_check import verify_identity
from kiosk.flows.identity import read_id_card


class LossCancelFlow(Flow):
    service = ServiceId.LOSS_CANCEL
    total_steps = 5

    def steps(self, ctx: FlowContext) -> FlowResult:
        require_online(ctx)
        idc = read_id_card(ctx, self.view("read_id", 1, "prompt.place_id_card", actions=("cancel",)))
        card = insert_sscard(ctx, self.view("insert_card", 2, "prompt.insert_found_card", actions=("cancel",)))
        holder_matches(card, idc.id_number)
        ctx.working(self.view("lookup", 3, "prompt.looking_up"))
        person = central(ctx, lambda: ctx.central.lookup_person(idc.id_number, idc.name))
        on_record = next((c for c in person.cards if c.card_no == card.card_no), None)
        problems = loss_cancel_problems(on_record, person.applications)
        if problems:
            raise Refused("not_eligible", problems)
        verify_identity(ctx, self, idc, 3)  # 人证核验
        confirm_summary(ctx, self, "confirm", 3, "prompt.confirm_loss_cancel", holder_rows(self, idc, card.card_no),
                        "check.next.loss_cancel",
                        params={"name": mask_name(idc.name), "sex": idc.sex_code,
                                "card_no": mask_card_no(card.card_no)})
        ctx.working(self.view("submitting", 4, "prompt.submitting"))
        result = central(ctx, lambda: ctx.central.cancel_loss(card.card_no, idc.id_number))
        # a loss reported here blocked the card at this kiosk: the citizen's cancel lifts it (a report still
        # queued is made before the cancel, and the central leaves the card alone when it arrives)
        ctx.services.unblock_card_locally(card.card_no, idc.id_number)
        txn = new_transaction_no(ctx.clock, ctx.config.kiosk.id)
        ctx.working(self.view("printing", 5, "prompt.printing_receipt"))
        receipt_ok = ctx.services.print_receipt(Receipt(
            title="社会保障卡解除挂失回执 / Loss report cancelled",
            lines=(ReceiptLine(f"姓名 Name: {mask_name(idc.name)}"),
                   ReceiptLine(f"证件号码 ID: {mask_id(idc.id_number)}"),
                   ReceiptLine(f"卡号 Card: {mask_card_no(card.card_no)}"),
                   ReceiptLine(f"生效时间 Effective: {result.effective_at or ''}"),
                   ReceiptLine("状态: 已恢复正常使用 Card usable again", bold=True)),
            transaction_no=txn, qr_payload=txn))
        ctx.unwatch_removal(ctx.devices.card_reader)
        ctx.finish(self.view("done", 5, receipt_message("prompt.loss_cancelled", receipt_ok),
                             params={"txn": txn, "receipt": "ok" if receipt_ok else "failed"},
                             actions=("home",), end=End.DONE))
        return FlowResult(End.DONE, "cancelled_loss", transaction_no=txn)
