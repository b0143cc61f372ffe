"""Reading and checking the citizen's ID card: shared by every flow that starts with it."""

from __future__ import annotations

import time
from dataclasses import replace

from hal.interfaces import IdCardReader
from hal.types import IdCardData
from kiosk.domain.idnumber import InvalidIdNumber, age_on, parse_id_number
from kiosk.flows.base import ID_CARD_MISSES, FlowContext, Refused, UserInput, View
from kiosk.flows.ecard_identity import Person, signed_in


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


LIFT_POLL_S = 0.1


def require_fresh_placement(ctx: FlowContext, reader: IdCardReader, view: View) -> None:
    """The rule: an ID card is read only if it was placed after the session started.

    A card already lying on the reader (left by the previous citizen, or placed before anyone
    chose a service) may not be this citizen's: ask to lift it and place it again."""
    if not reader.card_present():
        return
    misses = 0

    def lifted(t: float) -> bool | None:
        nonlocal misses
        misses = 0 if reader.card_present() else misses + 1
        if misses >= ID_CARD_MISSES:  # debounced: a reader may briefly answer "no card"
            return True
        time.sleep(min(t, LIFT_POLL_S))
        return None

    lift = replace(view, screen="lift_id", message="prompt.lift_id_card")
    ctx.wait_for(lift, lifted, ctx.config.timeouts.id_card_read_s)


def read_id_card(ctx: FlowContext, view: View) -> IdCardData:
    """Wait for a freshly placed ID card, validate it and keep it in the session."""
    reader = ctx.devices.id_reader
    require_fresh_placement(ctx, reader, view)
    card: IdCardData = ctx.wait_for(view, lambda t: reader.read_card(t), ctx.config.timeouts.id_card_read_s)
    return accept_id_card(ctx, card)


def read_id_card_or_tap(ctx: FlowContext, view: View) -> IdCardData | UserInput:
    """:func:`read_id_card`, or the tap on one of ``view``'s actions (issue 21 §3: the child has none)."""
    reader = ctx.devices.id_reader
    require_fresh_placement(ctx, reader, view)
    got = ctx.wait_for_or_tap(view, lambda t: reader.read_card(t), ctx.config.timeouts.id_card_read_s)
    return got if isinstance(got, UserInput) else accept_id_card(ctx, got)


def accept_id_card(ctx: FlowContext, card: IdCardData) -> IdCardData:
    """Validate a card just read and keep it in the session, watched."""
    problems = id_card_problems(card, ctx)
    if problems:
        raise Refused("id_card_unusable", tuple(problems))
    ctx.session["id_card"] = card
    ctx.watch_id_card(ctx.devices.id_reader)  # lifting the ID card from now on ends the session
    return card


def read_identity(ctx: FlowContext, view: View) -> Person:
    """The citizen for a service that may take an e-card sign-in instead of the ID card
    (kiosk.domain.services.ECARD_SERVICES): the signed-in person, else the ID card read now."""
    return signed_in(ctx, view.service) or read_id_card(ctx, view)


def age_of(card: IdCardData, ctx: FlowContext) -> int:
    return age_on(card.birth_date, ctx.clock.today())
