"""信息变更: change non-key contact information (art. 30): mobile, fixed phone, residence
address (province/city/district table + detail), postal code. Queued when offline.

A new mobile is confirmed by an SMS code first (art. 16 "健全电话号码", kiosk.flows.otp). Offline it
cannot be: the change is queued marked unverified (the offline policy allows it for this service),
and the screen and the receipt say so.

Screens: read_id → contact_form (see kiosk.flows.details) → [otp] → submitting → done.
"""

from __future__ import annotations

from hal.types import IdCardData, Receipt, ReceiptLine
from kiosk.central.bodies import ContactBody, IdentityCheckBody
from kiosk.central.outcomes import Queued
from kiosk.clock import stamp
from kiosk.domain.masking import mask_id, mask_phone
from kiosk.domain.services import ServiceId
from kiosk.flows import otp
from kiosk.flows.base import End, Flow, FlowContext, FlowResult, new_transaction_no, receipt_message
from kiosk.flows.common import RESULT_BY_SMS, queued
from kiosk.flows.details import Details, edit_details
from kiosk.flows.ecard_identity import Person
from kiosk.flows.face_check import require_face_check_possible, verify_identity
from kiosk.flows.identity import read_identity

FIELD_LABELS = {"mobile": "手机 mobile", "phone": "固定电话 phone", "residence_address": "常住地址 address",
                "postal_code": "邮编 postal code"}


class ContactChangeFlow(Flow):
    service = ServiceId.CONTACT_CHANGE
    total_steps = 3

    def steps(self, ctx: FlowContext) -> FlowResult:
        require_face_check_possible(ctx)
        idc = read_identity(ctx, self.view("read_id", 1, "prompt.place_id_card", actions=("cancel",)))
        evidence = verify_identity(ctx, self, idc, 1)  # 人证核验 (an e-card sign-in is checked by the central)
        return self.change(ctx, idc, evidence)

    def change(self, ctx: FlowContext, idc: IdCardData | Person, evidence: IdentityCheckBody,
               proxy_id_number: str | None = None) -> FlowResult:
        """The change for the holder of ``idc`` (the citizen, or a proxy's principal: kiosk.flows.proxy),
        with the face check of whoever stands at the kiosk. A proxy's change names the proxy: the central
        applies it only on the papers that proxy presented."""
        d = edit_details(ctx, self, "contact_form", 2, "prompt.contact_form", Details(),
                         required=frozenset(), require_change=True, verify_mobile="contact_change")
        contact = ContactBody(id_number=idc.id_number, mobile=d.mobile or None, phone=d.phone or None,
                              residence_address=d.address.text() if d.address is not None else None,
                              postal_code=d.postal_code or None, identity_check=evidence,
                              mobile_verification_id=d.mobile_verification or None,
                              mobile_unverified=True if d.mobile_unverified else None,
                              requested_at=stamp(ctx.clock), proxy_id_number=proxy_id_number)
        ctx.working(self.view("submitting", 3, "prompt.submitting"))
        outcome = queued(ctx, lambda: ctx.central.change_contact(contact))
        txn = new_transaction_no(ctx.clock, ctx.config.kiosk.id)
        pending = isinstance(outcome, Queued)
        changed = contact.model_dump(exclude_none=True, include=set(FIELD_LABELS))  # what the citizen changed
        mobile_check = "" if not d.mobile else "unverified" if d.mobile_unverified else "verified"
        receipt_ok = ctx.services.print_receipt(_receipt(ctx, idc.id_number, d, list(changed), pending, txn))
        message = ("prompt.contact_pending_unverified" if mobile_check == "unverified"
                   else "prompt.contact_pending" if pending else "prompt.contact_changed")
        ctx.finish(self.view("done", 3, receipt_message(message, receipt_ok),
                             params={"txn": txn, "fields": ",".join(changed), "mobile_check": mobile_check,
                                     "receipt": "ok" if receipt_ok else "failed"},
                             actions=("home",), end=End.DONE))
        return FlowResult(End.DONE, "pending" if pending else "applied", transaction_no=txn)


def _receipt(ctx: FlowContext, id_number: str, d: Details, changed: list[str], pending: bool, txn: str) -> Receipt:
    lines = [ReceiptLine(f"证件号码 ID: {mask_id(id_number)}"),
             ReceiptLine(f"受理时间 Time: {ctx.clock.now():%Y-%m-%d %H:%M}"),
             ReceiptLine("变更内容 Changed: " + "、".join(FIELD_LABELS.get(f, f) for f in changed))]
    if d.mobile:
        lines.append(ReceiptLine(f"新手机号码 New mobile: {mask_phone(d.mobile)}"))
        lines.append(otp.receipt_line(d.mobile_unverified))
    lines.append(ReceiptLine("状态: 已受理，联网后生效 Accepted, pending (link down)" if pending
                             else "状态: 已变更 Updated", bold=True))
    if pending:
        lines.append(RESULT_BY_SMS)
    return Receipt(title="信息变更回执 / Contact change receipt", lines=tuple(lines), transaction_no=txn,
                   qr_payload=txn, footer=(f"咨询电话 Hotline {ctx.config.kiosk.hotline}",))
