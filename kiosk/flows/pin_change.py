"""修改密码: change the social security PIN (art. 32) with the card and the old PIN.

Screens: insert_card → old_pin (reasons: reason.pin_wrong with params.tries_left; repeated
until right or locked) → new_pin → new_pin_again → done (take the card). A locked card is
refused with reason.pin_locked (the screen offers PIN reset). Works offline: the change is
card-local; the pin-event goes through the queue. A card reported lost, cancelled or lapsed at the
central (online), or on this kiosk's block list (offline), is refused before any PIN is asked.
"""

from __future__ import annotations

from hal.types import PinBlock, PinOutcome, SsCardData
from kiosk.domain.masking import mask_card_no
from kiosk.domain.pin_rules import pin_change_problems
from kiosk.domain.services import ServiceId
from kiosk.flows.base import (
    Cancelled,
    CardRemoved,
    End,
    Flow,
    FlowContext,
    FlowResult,
    IdleTimeout,
    LinkLost,
    Refused,
    new_transaction_no,
)
from kiosk.flows.common import central, insert_sscard
from kiosk.flows.pin import enter_new_pin, enter_pin
from kiosk.flows.pin_events import queue_pin_event


def central_card_status(ctx: FlowContext, card: SsCardData) -> str | None:
    """The card's status at the central; None offline (or when the link drops during the call)."""
    if not ctx.services.link_online():
        return None
    try:
        person = central(ctx, lambda: ctx.central.lookup_person(card.ssn, card.name))
    except LinkLost as exc:
        if exc.code == "link_lost":
            return None
        raise
    return next((str(c.status) for c in person.cards if c.card_no == card.card_no), None)


def _card_gone(result_outcome: PinOutcome) -> bool:
    return result_outcome in (PinOutcome.NO_CARD, PinOutcome.CARD_REMOVED)


def verify_old_pin(ctx: FlowContext, flow: Flow, step: int, card: SsCardData, service: ServiceId) -> PinBlock:
    """Ask the current PIN until the card accepts it; tries left are shown; a lock ends the flow."""
    reader = ctx.devices.card_reader
    reasons: tuple[str, ...] = ()
    params: dict[str, str] = {"card_no": mask_card_no(card.card_no)}
    while True:
        old = enter_pin(ctx, flow, "old_pin", step, "prompt.old_pin", card.card_no, params=params, reasons=reasons)
        result = reader.verify_pin(old)
        if result.outcome is PinOutcome.OK:
            return old
        if _card_gone(result.outcome):
            raise CardRemoved("card_removed")
        if result.outcome is PinOutcome.LOCKED:
            queue_pin_event(ctx, service, card.card_no, "locked")
            raise Refused("pin_locked", ("reason.pin_locked",))
        reasons = ("reason.pin_wrong",)
        params = {**params, "tries_left": str(result.tries_left if result.tries_left is not None else "")}


def change_pin(ctx: FlowContext, flow: Flow, step: int, card: SsCardData, service: ServiceId) -> None:
    reader = ctx.devices.card_reader
    old = verify_old_pin(ctx, flow, step, card, service)
    new = enter_new_pin(ctx, flow, step + 1, card.card_no)
    ctx.working(flow.view("changing", step + 1, "prompt.changing_pin"))
    with ctx.services.pin_journal.operation("change", card.card_no):  # kiosk/recovery.py
        result = reader.change_pin(old, new)
    if _card_gone(result.outcome):
        raise CardRemoved("card_removed")
    if result.outcome is not PinOutcome.OK:
        raise Refused("pin_change_refused", ("reason.pin_change_refused",))
    queue_pin_event(ctx, service, card.card_no, "changed")


def change_pin_on_card(ctx: FlowContext, flow: Flow, step: int, expect_card_no: str) -> bool:
    """Apply/replace: offer to change the initial PIN on the new card; never ends the issuance."""
    reader = ctx.devices.card_reader
    try:
        card = insert_sscard(ctx, flow.view("insert_card", step, "prompt.insert_new_card", actions=("cancel",)))
        if card.card_no != expect_card_no:
            raise Refused("wrong_card", ("reason.wrong_card",))
        change_pin(ctx, flow, step, card, flow.service)
    except (Refused, Cancelled, IdleTimeout, CardRemoved):
        ctx.unwatch_removal(reader)
        ctx.interrupt = None
        return False
    ctx.unwatch_removal(reader)
    return True


class PinChangeFlow(Flow):
    service = ServiceId.PIN_CHANGE
    total_steps = 4

    def steps(self, ctx: FlowContext) -> FlowResult:
        card = insert_sscard(ctx, self.view("insert_card", 1, "prompt.insert_card", actions=("cancel",)))
        ctx.working(self.view("checking_card", 1, "prompt.looking_up"))
        problems = pin_change_problems(central_card_status(ctx, card),
                                       blocked_locally=ctx.services.card_blocked_locally(card.card_no, card.ssn))
        if problems:
            raise Refused("card_not_usable", problems)
        change_pin(ctx, self, 2, card, self.service)
        ctx.unwatch_removal(ctx.devices.card_reader)
        txn = new_transaction_no(ctx.clock, ctx.config.kiosk.id)
        ctx.finish(self.view("done", 4, "prompt.pin_changed", params={"txn": txn}, actions=("home",),
                             end=End.DONE))
        return FlowResult(End.DONE, "changed", transaction_no=txn)
