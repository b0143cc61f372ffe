"""The contact/details form shared by apply, replace and contact change.

Screen protocol (one field per input, so the UI can use its own keyboards): actions
``set_mobile``, ``set_phone``, ``set_address`` (value ``"<district code>|<detail>"`` from
kiosk.domain.regions), ``set_postal_code``, ``set_insurance`` (employee/resident),
``set_occupation``, then ``confirm``. Invalid fields are listed all at once in ``reasons``
and the form is shown again. Params hold masked values only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from kiosk.domain.choices import INSURANCE_TYPES
from kiosk.domain.contact import mobile_ok, phone_ok, postal_code_ok
from kiosk.domain.masking import mask_address, mask_phone
from kiosk.domain.regions import Address, parse_address
from kiosk.flows import otp
from kiosk.flows.base import Flow, FlowContext


@dataclass(frozen=True, repr=False)
class Details:
    mobile: str = ""
    phone: str = ""
    address: Address | None = None
    postal_code: str = ""
    medical_insurance: str = ""
    occupation: str = "其他"
    mobile_verification: str = ""  # the central's verification_id once an SMS code confirmed the mobile
    mobile_unverified: bool = False  # offline: the mobile could not be confirmed (kiosk.flows.otp)

    def __repr__(self) -> str:
        return "Details(<personal data>)"


def problems(d: Details, required: frozenset[str]) -> tuple[str, ...]:
    reasons = []
    if ("mobile" in required or d.mobile) and not mobile_ok(d.mobile):
        reasons.append("reason.invalid_mobile")
    if d.phone and not phone_ok(d.phone):
        reasons.append("reason.invalid_phone")
    if "address" in required and d.address is None:
        reasons.append("reason.address_missing")
    if ("postal_code" in required or d.postal_code) and not postal_code_ok(d.postal_code):
        reasons.append("reason.invalid_postal_code")
    if "medical_insurance" in required and d.medical_insurance not in INSURANCE_TYPES:
        reasons.append("reason.invalid_medical_insurance")
    return tuple(reasons)


def _params(d: Details, extra: Mapping[str, str]) -> dict[str, str]:
    return {**extra, "mobile": mask_phone(d.mobile) if d.mobile else "",
            "phone": mask_phone(d.phone) if d.phone else "",
            "address": mask_address(d.address.text()) if d.address else "",
            "district": d.address.district_code if d.address else "",
            "postal_code": d.postal_code, "medical_insurance": d.medical_insurance, "occupation": d.occupation}


def edit_details(ctx: FlowContext, flow: Flow, screen: str, step: int, message: str, start: Details, *,
                 required: frozenset[str], extra: Callable[[], Mapping[str, str]] | None = None,
                 require_change: bool = False, verify_mobile: str = "") -> Details:
    """Show the form until it validates and the citizen confirms. ``extra()`` adds params (progress).
    ``verify_mobile`` (the purpose, e.g. contact_change): a new or changed mobile is confirmed by an SMS
    code first (art. 16, kiosk.flows.otp)."""
    d = start
    reasons: tuple[str, ...] = ()
    actions = ("set_mobile", "set_phone", "set_address", "set_postal_code", "set_insurance", "set_occupation",
               "confirm", "cancel")
    while True:
        params = _params(d, extra() if extra else {})
        got = ctx.ask(flow.view(screen, step, message, params=params, reasons=reasons, actions=actions))
        value = got.value.strip()
        field_errors: tuple[str, ...] = ()
        if got.action == "set_mobile":
            d = dataclasses.replace(d, mobile=value)
        elif got.action == "set_phone":
            d = dataclasses.replace(d, phone=value)
        elif got.action == "set_address":
            address, field_errors = parse_address(value)
            if address is not None:
                d = dataclasses.replace(d, address=address)
        elif got.action == "set_postal_code":
            d = dataclasses.replace(d, postal_code=value)
        elif got.action == "set_insurance":
            d = dataclasses.replace(d, medical_insurance=value)
        elif got.action == "set_occupation":
            d = dataclasses.replace(d, occupation=value[:20] or "其他")
        elif got.action == "confirm":
            reasons = problems(d, required)
            if require_change and not reasons and d == start:
                reasons = ("reason.nothing_to_change",)
            if not reasons and verify_mobile and d.mobile and d.mobile != start.mobile:
                proof = otp.verify_mobile(ctx, flow, step, d.mobile, verify_mobile, extra)
                if proof is None:
                    continue  # back to the form to correct the number
                d = dataclasses.replace(d, mobile_verification=proof.verification_id,
                                        mobile_unverified=proof.unverified)
            if not reasons:
                return d
            continue
        reasons = field_errors
