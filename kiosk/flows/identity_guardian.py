"""The applicant's ID card and, under 14, the guardian's (arts. 16, 51)."""

from __future__ import annotations

import time

from hal.types import IdCardData
from kiosk.domain.eligibility import guardian_problems, needs_guardian
from kiosk.domain.services import ServiceId
from kiosk.flows.base import Flow, FlowContext, Refused, UserInput
from kiosk.flows.child_without_id import NO_ID_CARD, register_applicant
from kiosk.flows.documents_guardian import capture_relationship_proof
from kiosk.flows.identity import age_of, id_card_problems, read_id_card, read_id_card_or_tap
from kiosk.flows.issuance import Applicant

# A guardian may act for a child with no ID card (issue 21 §3) in these: the card's application and its
# replacement (arts. 16, 51; central_sim.documents.SERVICES).
FOR_CHILD_WITHOUT_ID = (ServiceId.APPLY, ServiceId.REPLACE)


def read_applicant(ctx: FlowContext, flow: Flow) -> Applicant:
    """The applicant's card; for a new card or a replacement, "the child has no ID card" instead."""
    if flow.service not in FOR_CHILD_WITHOUT_ID:
        card = read_id_card(ctx, flow.view("read_id", 1, "prompt.place_id_card", actions=("cancel",)))
    else:
        got = read_id_card_or_tap(ctx, flow.view("read_id", 1, "prompt.place_id_card",
                                                 actions=(NO_ID_CARD, "cancel")))
        if isinstance(got, UserInput):
            return register_applicant(ctx, flow)
        card = got
    age = age_of(card, ctx)
    if not needs_guardian(age):
        return Applicant(card, age, None)
    reader = ctx.devices.id_reader
    ctx.unwatch_id_card()  # the child's card is swapped for the guardian's

    def guardian_card(t: float) -> IdCardData | None:
        got: IdCardData | None = reader.read_card(t)
        if got is None or got.id_number == card.id_number:  # the child's card is still there
            time.sleep(min(t, 0.05))
            return None
        return got

    guardian: IdCardData = ctx.wait_for(
        flow.view("read_guardian_id", 1, "prompt.place_guardian_id", params={"age": str(age)}, actions=("cancel",)),
        guardian_card, ctx.config.timeouts.id_card_read_s)
    problems = [f"{r}_guardian" if r.startswith("reason.id_") else r for r in id_card_problems(guardian, ctx)]
    problems += guardian_problems(age_of(guardian, ctx), guardian.id_number, card.id_number)
    if problems:
        raise Refused("guardian_unusable", tuple(problems))
    ctx.session["guardian_id_card"] = guardian
    ctx.watch_id_card(reader)
    capture_relationship_proof(ctx, flow, card.id_number, guardian)  # 户口簿 / 出生医学证明 for review (art. 51)
    return Applicant(card, age, guardian)
