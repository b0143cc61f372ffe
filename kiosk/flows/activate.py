"""启用: enable the card's social security function (art. 31). ID card + the card (holder
check); queued when offline (the receipt says pending).

Screens: read_id → insert_card → confirm → submitting → done.
"""

from __future__ import annotations

from kiosk.central.outcomes import Queued
from kiosk.clock import stamp
from kiosk.domain.masking import mask_card_no, mask_name
from kiosk.domain.services import ServiceId
from kiosk.flows.base import End, Flow, FlowContext, FlowResult, new_transaction_no
from kiosk.flows.check_answers import confirm_summary, holder_rows
from kiosk.flows.common import holder_matches, insert_sscard, queued
from kiosk.flows.identity import read_identity


class ActivateFlow(Flow):
    service = ServiceId.ACTIVATE
    total_steps = 4

    def steps(self, ctx: FlowContext) -> FlowResult:
        idc = read_identity(ctx, self.view("read_id", 1, "prompt.place_id_card", actions=("cancel",)))
        card = insert_sscard(ctx, self.view("insert_card", 2, "prompt.insert_card", actions=("cancel",)))
        holder_matches(card, idc.id_number)
        confirm_summary(ctx, self, "confirm", 3, "prompt.confirm_activate", holder_rows(self, idc, card.card_no),
                        "check.next.activate",
                        params={"name": mask_name(idc.name), "sex": idc.sex_code,
                                "card_no": mask_card_no(card.card_no)})
        ctx.working(self.view("submitting", 4, "prompt.submitting"))
        requested_at = stamp(ctx.clock)
        outcome = queued(ctx, lambda: ctx.central.activate_card(service=self.service, card_no=card.card_no,
                                                                id_number=idc.id_number, requested_at=requested_at))
        ctx.unwatch_removal(ctx.devices.card_reader)
        txn = new_transaction_no(ctx.clock, ctx.config.kiosk.id)
        pending = isinstance(outcome, Queued)
        ctx.finish(self.view("done", 4, "prompt.activate_pending" if pending else "prompt.activated",
                             params={"txn": txn, "hotline": ctx.config.kiosk.hotline}, actions=("home",),
                             end=End.DONE))
        return FlowResult(End.DONE, "pending" if pending else "applied", transaction_no=txn)
