"""PIN events (changed/reset/locked) for the central's audit: always through the queue."""

from __future__ import annotations

from kiosk.delivery import DeliveryRefused
from kiosk.domain.masking import mask_card_no
from kiosk.domain.services import ALWAYS_QUEUED_PATH_PRIORITY, ServiceId
from kiosk.flows.base import FlowContext


def queue_pin_event(ctx: FlowContext, service: ServiceId, card_no: str, event: str) -> bool:
    """True once stored durably (the citizen's PIN change stands either way: it is card-local)."""
    try:
        ctx.services.delivery.submit(
            service, "POST", "/v1/cards/pin-events",
            {"card_no": card_no, "event": event, "at": ctx.clock.now().isoformat(timespec="seconds")},
            ordering_key=card_no, summary=f"pin {event} {mask_card_no(card_no)}",
            priority=ALWAYS_QUEUED_PATH_PRIORITY["pin-events"], wait=False)
    except DeliveryRefused as exc:
        ctx.services.alarm(exc.code, "PIN event could not be queued", device="offline_queue")
        return False
    return True
