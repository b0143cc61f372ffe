"""Steps several flows share: central calls with the global fault mapping, the social security
card in the customer slot, the holder check."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import TypeVar

from hal.types import SsCardData
from kiosk.central.errors import CentralAuthError, CentralError, CentralRejected, CentralUnavailable
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
})


def reason_keys(exc: CentralRejected) -> tuple[str, ...]:
    codes = [r.code for r in exc.reasons] or [exc.code]
    return tuple(dict.fromkeys(f"reason.{c}" if c in KNOWN_CENTRAL_REASONS else "reason.central_refused"
                               for c in codes))


def delivery_refusal(code: str) -> Refused:
    """A queued request the central refused for good: the delivery's error text names the code."""
    found = next((c for c in re.findall(r"[a-z][a-z0-9_]+", code) if c in KNOWN_CENTRAL_REASONS), None)
    return Refused(found or "rejected", (f"reason.{found}" if found else "reason.central_refused",))


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
