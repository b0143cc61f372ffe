"""PIN events (changed/reset/locked) for the central's audit: always through the queue."""

from __future__ import annotations

from kiosk.central.outcomes import DeliveryRefused
from kiosk.clock import stamp
from kiosk.domain.services import ServiceId
from kiosk.flows.base import FlowContext


def queue_pin_event(ctx: FlowContext, service: ServiceId, card_no: str, event: str) -> bool:
    """True once stored durably (the citizen's PIN change stands either way: it is card-local)."""
    try:
        ctx.central.record_pin_event(service=service, card_no=card_no, event=event,
                                     at=stamp(ctx.clock))
    except DeliveryRefused as exc:
        ctx.services.alarm(exc.code, "PIN event could not be queued", device="offline_queue")
        return False
    return True
