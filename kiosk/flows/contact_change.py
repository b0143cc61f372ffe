"""信息变更: change non-key contact information (art. 30): mobile, fixed phone, residence
address (province/city/district table + detail), postal code. Queued when offline.

Screens: read_id → contact_form (see kiosk.flows.details) → submitting → done.
"""

from __future__ import annotations

from hal.types import IdCardData
from kiosk.central.bodies import ContactBody, IdentityCheckBody
from kiosk.central.outcomes import Queued
from kiosk.domain.services import ServiceId
from kiosk.flows.base import End, Flow, FlowContext, FlowResult, new_transaction_no
from kiosk.flows.common import queued
from kiosk.flows.details import Details, edit_details
from kiosk.flows.ecard_identity import Person
from kiosk.flows.face_check import require_face_check_possible, verify_identity
from kiosk.flows.identity import read_identity


class ContactChangeFlow(Flow):
    service = ServiceId.CONTACT_CHANGE
    total_steps = 3

    def steps(self, ctx: FlowContext) -> FlowResult:
        require_face_check_possible(ctx)
        idc = read_identity(ctx, self.view("read_id", 1, "prompt.place_id_card", actions=("cancel",)))
        evidence = verify_identity(ctx, self, idc, 1)  # 人证核验 (an e-card sign-in is checked by the central)
        return self.change(ctx, idc, evidence)

    def change(self, ctx: FlowContext, idc: IdCardData | Person, evidence: IdentityCheckBody) -> FlowResult:
        """The change for the holder of ``idc`` (the citizen, or a proxy's principal: kiosk.flows.proxy),
        with the face check of whoever stands at the kiosk."""
        d = edit_details(ctx, self, "contact_form", 2, "prompt.contact_form", Details(),
                         required=frozenset(), require_change=True)
        contact = ContactBody(id_number=idc.id_number, mobile=d.mobile or None, phone=d.phone or None,
                              residence_address=d.address.text() if d.address is not None else None,
                              postal_code=d.postal_code or None, identity_check=evidence)
        ctx.working(self.view("submitting", 3, "prompt.submitting"))
        outcome = queued(ctx, lambda: ctx.central.change_contact(contact))
        txn = new_transaction_no(ctx.clock, ctx.config.kiosk.id)
        pending = isinstance(outcome, Queued)
        changed = contact.model_dump(exclude_none=True, exclude={"id_number", "identity_check"})
        ctx.finish(self.view("done", 3, "prompt.contact_pending" if pending else "prompt.contact_changed",
                             params={"txn": txn, "fields": ",".join(changed)},
                             actions=("home",), end=End.DONE))
        return FlowResult(End.DONE, "pending" if pending else "applied", transaction_no=txn)
