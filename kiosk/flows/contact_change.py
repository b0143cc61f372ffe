"""信息变更: change non-key contact information (art. 30): mobile, fixed phone, residence
address (province/city/district table + detail), postal code. Queued when offline.

Screens: read_id → contact_form (see kiosk.flows.details) → submitting → done.
"""

from __future__ import annotations

from typing import Any

from kiosk.delivery import DeliveryRefused
from kiosk.domain.masking import mask_id
from kiosk.domain.services import ServiceId
from kiosk.flows.base import End, Flow, FlowContext, FlowResult, Refused, new_transaction_no
from kiosk.flows.common import delivery_refusal
from kiosk.flows.details import Details, edit_details
from kiosk.flows.identity import read_id_card


class ContactChangeFlow(Flow):
    service = ServiceId.CONTACT_CHANGE
    total_steps = 3

    def steps(self, ctx: FlowContext) -> FlowResult:
        idc = read_id_card(ctx, self.view("read_id", 1, "prompt.place_id_card", actions=("cancel",)))
        d = edit_details(ctx, self, "contact_form", 2, "prompt.contact_form", Details(),
                         required=frozenset(), require_change=True)
        body: dict[str, Any] = {"id_number": idc.id_number}
        if d.mobile:
            body["mobile"] = d.mobile
        if d.phone:
            body["phone"] = d.phone
        if d.address is not None:
            body["residence_address"] = d.address.text()
        if d.postal_code:
            body["postal_code"] = d.postal_code
        ctx.working(self.view("submitting", 3, "prompt.submitting"))
        try:
            sent = ctx.services.delivery.submit(self.service, "POST", "/v1/persons/contact", body,
                                                ordering_key=idc.id_number,
                                                summary=f"contact change {mask_id(idc.id_number)}")
        except DeliveryRefused as exc:
            raise Refused(exc.code, (f"reason.{exc.code}",)) from None
        if sent.rejected:
            raise delivery_refusal(sent.code)
        txn = new_transaction_no(ctx.clock, ctx.config.kiosk.id)
        pending = not sent.applied
        ctx.finish(self.view("done", 3, "prompt.contact_pending" if pending else "prompt.contact_changed",
                             params={"txn": txn, "fields": ",".join(k for k in body if k != "id_number")},
                             actions=("home",), end=End.DONE))
        return FlowResult(End.DONE, "pending" if pending else "applied", transaction_no=txn)
