"""Reading and checking the citizen's ID card: shared by every flow that starts with it."""

from __future__ import annotations

from hal.types import IdCardData
from kiosk.domain.idnumber import InvalidIdNumber, age_on, parse_id_number
from kiosk.flows.base import FlowContext, Refused, View


def id_card_problems(card: IdCardData, ctx: FlowContext) -> list[str]:
    """Every reason the ID card cannot be used, at once (regulation: 一次性告知)."""
    reasons: list[str] = []
    try:
        info = parse_id_number(card.id_number)
    except InvalidIdNumber as exc:
        reasons.append(f"reason.{exc.problem.value}")
    else:
        if info.birth_date != card.birth_date:
            reasons.append("reason.id_birth_mismatch")
    today = ctx.clock.today()
    if card.valid_until is not None and card.valid_until < today:
        reasons.append("reason.id_expired")
    if card.valid_from > today:
        reasons.append("reason.id_not_yet_valid")
    return reasons


def read_id_card(ctx: FlowContext, view: View) -> IdCardData:
    """Wait for the ID card, validate it and keep it in the session."""
    reader = ctx.devices.id_reader
    card: IdCardData = ctx.wait_for(view, lambda t: reader.read_card(t), ctx.config.timeouts.id_card_read_s)
    problems = id_card_problems(card, ctx)
    if problems:
        raise Refused("id_card_unusable", tuple(problems))
    ctx.session["id_card"] = card
    ctx.watch_id_card(reader)  # lifting the ID card from now on ends the session
    return card


def age_of(card: IdCardData, ctx: FlowContext) -> int:
    return age_on(card.birth_date, ctx.clock.today())
