"""申领 + 即时制卡: apply and take the card on the spot (arts. 3, 15, 16, 21, 24).

Screens: read_id → [read_guardian_id] → lookup → [voluntary_apply] → [consent_stop_other] →
[photo_optional] → [photo_choice] → photo →
photo_confirm → details → [deliver_later → done] → submitting → opening_account → producing → take_card → [pin_offer →
insert_card → old_pin → new_pin → new_pin_again] → done. Offline (if configured): read_id → … →
insured_question (the register cannot be read: the citizen says) → [voluntary_apply] → photo → details →
delivery_choice → done (accepted for later; the mobile unverified, the insurance status as declared).
"""

from __future__ import annotations

from hal.types import Receipt, ReceiptLine
from kiosk.central.bodies import OtherCityCard
from kiosk.domain.eligibility import (
    HOME_CITY,
    new_application_problems,
    other_city_card,
    stop_other_card_problems,
    voluntary_applicant,
)
from kiosk.domain.fees import fee_for
from kiosk.domain.masking import mask_card_no
from kiosk.domain.services import ServiceId
from kiosk.flows.base import Cancelled, FlowContext, FlowResult, Refused
from kiosk.flows.child_without_id import apply_from_register
from kiosk.flows.common import central
from kiosk.flows.face_check import require_face_check_possible, verify_identity
from kiosk.flows.identity_guardian import read_applicant
from kiosk.flows.issuance import Applicant, Extra, IssuanceFlow, offline_or_fail
from kiosk.flows.payment import fee_lines


class ApplyFlow(IssuanceFlow):
    service = ServiceId.APPLY
    kind = "new"

    def steps(self, ctx: FlowContext) -> FlowResult:
        self.start_clock(ctx)
        require_face_check_possible(ctx)
        applicant = read_applicant(ctx, self)
        if applicant.from_register:  # issue 21 §3: a child without an ID card, made after review (art. 16)
            return apply_from_register(ctx, self, applicant)
        card = applicant.id_card
        if offline_or_fail(ctx):
            verify_identity(ctx, self, applicant.guardian or card, 1)  # 人证核验 (the guardian under 14)
            extra = self._declared_insurance(ctx)
            photo = self.offline_photo(ctx, applicant)
            details = self.details(ctx, "resident", voluntary=extra.voluntary)
            return self.accept_for_later(ctx, applicant, details, photo, extra)

        ctx.working(self.pview(ctx, "lookup", 2, "prompt.looking_up"))
        person = central(ctx, lambda: ctx.central.lookup_person(card.id_number, card.name))
        problems = new_application_problems(person.cards, person.applications,
                                            medical_insurance=person.medical_insurance,
                                            transfer_pending=person.transfer_pending)
        if problems:
            raise Refused("not_eligible", problems)
        voluntary = voluntary_applicant(person.insured)
        if voluntary:
            self._voluntary_consent(ctx)
        extra = Extra(voluntary=voluntary)
        other = other_city_card(person.cards)
        if other is not None:  # art. 16: stop the other Fujian city's card only with consent
            got = ctx.ask(self.pview(ctx, "consent_stop_other", 2, "prompt.consent_stop_other",
                                     params={"city": other.city,  # the code: named in each language
                                             "card_no": mask_card_no(other.card_no), "home": HOME_CITY},
                                     actions=("agree", "decline", "cancel")))
            refusal = stop_other_card_problems(person.medical_insurance, person.transfer_pending,
                                               consent=got.action == "agree")
            if refusal:
                raise Refused("other_city_card_no_consent", refusal)
            extra = Extra(voluntary=voluntary, consent=OtherCityCard(city=other.city, card_no=other.card_no))

        verify_identity(ctx, self, applicant.guardian or card, 2)  # 人证核验, once the service may go on
        photo = self.photo(ctx, applicant, person.photo_on_file)
        details = self.details(ctx, person.medical_insurance, voluntary=voluntary)
        return self.issue(ctx, applicant, details, photo, extra)

    def _receipt(self, ctx: FlowContext, a: Applicant, txn: str, lines: tuple[ReceiptLine, ...]) -> Receipt:
        # art. 50: a first application's card fee is waived, and the receipt says so
        return super()._receipt(ctx, a, txn, (*lines, *fee_lines(fee_for(self.kind), None, offline=False)))

    def _voluntary_consent(self, ctx: FlowContext) -> None:
        """Art. 3: not insured, applying of their own wish; no medical insurance link (art. 16 (二))."""
        got = ctx.ask(self.pview(ctx, "voluntary_apply", 2, "prompt.voluntary_apply",
                                 actions=("agree", "decline", "cancel")))
        if got.action != "agree":  # their choice, not a refusal: nothing to put right first
            raise Cancelled("voluntary_declined", ("reason.voluntary_declined",))

    def _declared_insurance(self, ctx: FlowContext) -> Extra:
        """Offline the register cannot say whether the applicant is insured (issue 17 §4): the citizen's own
        answer decides the path (art. 3, kiosk.domain.eligibility), and the application says it was not
        checked; the central checks it against the register on delivery and refuses it, with the reason
        kept in the queue, when they differ."""
        got = ctx.ask(self.pview(ctx, "insured_question", 2, "prompt.insured_question",
                                 actions=("declare_insured", "declare_uninsured", "cancel")))
        insured = got.action == "declare_insured"
        voluntary = voluntary_applicant(insured)
        if voluntary:
            self._voluntary_consent(ctx)
        return Extra(voluntary=voluntary, insured_declared=insured)
