"""A guardian applies for a child who has no ID card (issue 21 §3; arts. 16, 51).

Many children (most under 2, many under 16) have no 居民身份证: they are registered in the 户口簿 with
a citizen ID number. From the first screen (``read_id``, action ``no_id_card``) of the apply flow, and of
the replace flow (kiosk.flows.replace, which then looks the child's card up by the guardian):

read_guardian_id (the guardian's own card) → face check of the guardian (the one standing there) →
child_register (form: ``set_child_id_number``, ``confirm``; reasons beside the field) → the 户口簿 page
showing the child (document camera) → more_proof (add the 出生医学证明 or skip) → [photo_optional] →
photo (the child before the camera) → details → deliver_later (art. 16: not made on the spot; with the
guardian's consent within 15 working days) → done. Offline (if configured): … details →
delivery_choice → done (accepted for later, queued behind its documents).

The child's name is not typed: the kiosk's only keyboard is digits and a closed set of tokens
(screens.keypad, no Chinese input) and a 户口簿 name may hold rare characters outside any IME. The
guardian types the number; the name, ethnicity and household address are those the central's register
holds for it, and its reviewer checks them against the captured 户口簿 page before the card is made.
"""

from __future__ import annotations

from hal.types import IdCardData
from kiosk.domain.eligibility import NO_ID_CARD_MAX_AGE, guardian_problems, household_child_problems
from kiosk.domain.idnumber import age_on, parse_id_number
from kiosk.domain.masking import mask_id
from kiosk.domain.services import ServiceId
from kiosk.flows.base import Flow, FlowContext, FlowResult, Refused
from kiosk.flows.documents_guardian import capture_register_proof
from kiosk.flows.face_check import verify_identity
from kiosk.flows.identity import age_of, read_id_card
from kiosk.flows.issuance import NO_EXTRA, Applicant, IssuanceFlow, offline_or_fail

NO_ID_CARD = "no_id_card"  # the action on the apply flow's first screen
STEP = 1  # part of the identity step
REVIEW_FIRST = "reason.child_register_review"  # art. 16: why the card is not made on the spot
FIELD = "set_child_id_number"


def register_applicant(ctx: FlowContext, flow: Flow) -> Applicant:
    """The guardian's card and face, the child's number from the 户口簿, the page itself."""
    offline_or_fail(ctx)  # offline and not accepting for later: say so before the guardian starts
    prompt = ("prompt.place_guardian_own_id" if flow.service is ServiceId.APPLY
              else "prompt.place_guardian_own_id_replace")
    guardian = read_id_card(ctx, flow.view("read_guardian_id", STEP, prompt,
                                           params={"age_limit": str(NO_ID_CARD_MAX_AGE)}, actions=("cancel",)))
    problems = guardian_problems(age_of(guardian, ctx), guardian.id_number, "")
    if problems:
        raise Refused("guardian_unusable", problems)
    ctx.session["guardian_id_card"] = guardian
    verify_identity(ctx, flow, guardian, STEP)  # 人证核验: the guardian is who stands there
    child = _child_from_register(ctx, flow, guardian)
    capture_register_proof(ctx, flow, child.id_number, guardian)
    return Applicant(child, age_on(child.birth_date, ctx.clock.today()), guardian, from_register=True)


def _child_from_register(ctx: FlowContext, flow: Flow, guardian: IdCardData) -> IdCardData:
    """The form until the number is valid for this path; every reason at once, beside the field."""
    number = ""
    reasons: tuple[str, ...] = ()
    while True:
        got = ctx.ask(flow.view("child_register", STEP, "prompt.child_register", params=_params(number),
                                reasons=reasons, actions=(FIELD, "confirm", "cancel")))
        if got.action == FIELD:
            number = got.value.strip().upper()
            reasons = household_child_problems(number, ctx.clock.today(), guardian.id_number) if number else ()
            continue
        reasons = (household_child_problems(number, ctx.clock.today(), guardian.id_number) if number
                   else ("reason.child_id_missing",))
        if not reasons:
            return _child(number)


def _params(number: str) -> dict[str, str]:
    if not number:
        return {"child_id_number": "", "age_limit": str(NO_ID_CARD_MAX_AGE)}
    shown = {"child_id_number": mask_id(number) if len(number) == 18 else "*" * len(number),
             "age_limit": str(NO_ID_CARD_MAX_AGE)}
    try:
        info = parse_id_number(number)
    except ValueError:
        return shown
    return {**shown, "child_birth_date": info.birth_date.isoformat(), "child_sex": "male" if info.male else "female"}


def _child(number: str) -> IdCardData:
    """The child as the number encodes them. No card: no validity (never sent, ``valid_from`` is only the
    record's required date), and name/ethnicity/address stay empty for the central's register to fill."""
    info = parse_id_number(number)
    return IdCardData(name="", sex_code="1" if info.male else "2", ethnicity_code="", birth_date=info.birth_date,
                      address="", id_number=number, issuer="", valid_from=info.birth_date, valid_until=None)


def apply_from_register(ctx: FlowContext, flow: IssuanceFlow, applicant: Applicant) -> FlowResult:
    """Photo, details, then never on the spot (art. 16: 无二代居民身份证的学生儿童 — made after the
    central's review): with the guardian's consent for pickup or courier, or queued while offline."""
    offline = offline_or_fail(ctx)
    photo = flow.offline_photo(ctx, applicant)  # optional under 2; else the child before the camera
    details = flow.details(ctx, "resident")
    if offline:
        return flow.accept_for_later(ctx, applicant, details, photo)
    return flow.deliver_later(ctx, applicant, details, photo, NO_EXTRA, (REVIEW_FIRST,))
