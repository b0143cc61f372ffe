"""Steps several flows share: central calls with the global fault mapping, the social security
card in the customer slot, the holder check."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TypeVar

from hal.types import ReceiptLine, SsCardData
from kiosk.central import outcomes
from kiosk.central.errors import CentralAuthError, CentralError, CentralRejected, CentralUnavailable
from kiosk.central.outcomes import DeliveryRefused
from kiosk.flows.base import CardRemoved, FlowContext, LinkLost, Refused, View

log = logging.getLogger("kiosk.flow")
T = TypeVar("T")

# Central refusal codes the string tables explain (reason.<code>); others show a generic reason.
KNOWN_CENTRAL_REASONS = frozenset({
    "other_city_card_active", "insurance_transfer_pending", "photo_required", "photo_invalid",
    "guardian_required", "guardian_not_adult", "id_card_expired", "invalid_mobile", "card_holder_mismatch",
    "replacement_in_progress", "card_not_loss_reported", "card_not_normal", "person_not_found", "name_mismatch",
    "face_mismatch", "liveness_failed", "pin_too_weak", "pin_format", "card_not_found", "application_in_progress",
    "already_has_card", "card_not_replaceable", "quality_defect_period_over", "child_not_yet_2",
    "not_in_register", "not_insured", "loss_report_required", "no_card_to_replace", "pin_reset_refused",
    # SMS verification and fee payment (issue 21 §§2, 4)
    "sms_resend_too_soon", "sms_hourly_limit", "sms_daily_limit", "mobile_not_verified", "fee_amount_mismatch",
    "payment_voided", "payment_required",
    "insured_declaration_mismatch",  # applysms: an offline answer about the insurance the register contradicts
    "register_review_refused",  # a reviewer refused a child's 户口簿 page (central_sim/reviews.py)
})


# On every "pending" receipt: how the citizen learns the outcome (central_sim/notices.py sends it).
RESULT_BY_SMS = ReceiptLine("结果将短信发到社保登记手机 We'll text the result to your registered mobile")


def reason_keys_of(codes: Iterable[str]) -> tuple[str, ...]:
    """Central reason codes → string-table keys (unknown codes share a generic one)."""
    return tuple(dict.fromkeys(f"reason.{c}" if c in KNOWN_CENTRAL_REASONS else "reason.central_refused"
                               for c in codes))


def reason_keys(exc: CentralRejected) -> tuple[str, ...]:
    return reason_keys_of([r.code for r in exc.reasons] or [exc.code])


def refusal(refused: outcomes.Refused) -> Refused:
    """A queued request the central refused for good: its code and reasons, as data."""
    return Refused(refused.code, reason_keys_of(refused.codes))


def queued(ctx: FlowContext, send: Callable[[], outcomes.Outcome]) -> outcomes.Accepted | outcomes.Queued:
    """A request through the offline queue, for a citizen waiting: a refusal (by the central, or a
    queue that could not store it) ends the flow with its reasons."""
    try:
        outcome = send()
    except DeliveryRefused as exc:
        raise Refused(exc.code, (f"reason.{exc.code}",)) from None
    if isinstance(outcome, outcomes.Refused):
        raise refusal(outcome)
    return outcome


def central(ctx: FlowContext, call: Callable[[], T]) -> T:
    """A direct (online-only) central call; errors become the flow's refusal or link fault."""
    try:
        return call()
    except CentralRejected as exc:
        raise Refused(exc.code, reason_keys(exc)) from None
    except CentralAuthError as exc:
        ctx.services.alarm(exc.code, "central refused the kiosk credentials", device="central",
                           severity="critical")
        raise LinkLost("central_auth") from None
    except CentralUnavailable:
        raise LinkLost("link_lost") from None
    except CentralError as exc:
        log.warning("central protocol error", extra={"code": exc.code})
        raise LinkLost("central_protocol") from None


def require_online(ctx: FlowContext) -> None:
    if not ctx.services.link_online():
        raise LinkLost("link_down")


def insert_sscard(ctx: FlowContext, view: View) -> SsCardData:
    """Wait for the social security card in the customer slot, read it, and watch for its removal."""
    reader = ctx.devices.card_reader
    ctx.wait_for(view, lambda t: True if reader.wait_for_card(t) else None, ctx.config.timeouts.card_insert_s)
    data: SsCardData | None = reader.read_card()
    if data is None:
        raise CardRemoved("card_removed")
    if not data.card_no:
        raise Refused("card_blank", ("reason.card_unreadable",))
    ctx.watch_removal(reader)
    ctx.session["sscard"] = data
    return data


def holder_matches(card: SsCardData, id_number: str) -> None:
    """The card's social security number must be the ID card's number (arts. 32, 34)."""
    if card.ssn != id_number:
        raise Refused("card_holder_mismatch", ("reason.card_holder_mismatch",))
