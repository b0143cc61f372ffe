"""补换卡: replace a card (arts. 29, 30, 33) for one of six reasons, then produce it on the spot.

Screens: read_id → [read_guardian_id] → lookup → [choose_card] → choose_reason →
[confirm_report_first] → [keep_account] → [photo_choice] → photo → photo_confirm → details → submitting → … → done
(as apply). A lost card not yet reported is reported first (art. 33); the old card is invalid
from acceptance (blocked locally too); a quality defect within one month of collection is free.

A child with no ID card (issue 21 §3; arts. 16, 51): from ``read_id``'s ``no_id_card``, the guardian's
card and face, the child's number and the 户口簿 page (kiosk.flows.child_without_id), then the child's
cards are looked up by that guardian (the kiosk never has the register's name), and the new card is
made after the central's review of the page: never on the spot, with the guardian's consent.
"""

from __future__ import annotations

from kiosk.central import outcomes
from kiosk.central.outcomes import DeliveryRefused
from kiosk.clock import stamp
from kiosk.domain.eligibility import (
    HOME_CITY,
    REPLACEABLE,
    REPLACEMENT_REASONS,
    account_can_be_kept,
    instant_issue_blockers,
    must_report_loss_first,
    replacement_problems,
    voluntary_applicant,
)
from kiosk.domain.masking import mask_card_no, mask_id
from kiosk.domain.services import ServiceId
from kiosk.flows.base import FlowContext, FlowResult, Refused
from kiosk.flows.check_answers import Row, confirm_summary
from kiosk.flows.child_without_id import REVIEW_FIRST
from kiosk.flows.common import central, queued, refusal
from kiosk.flows.face_check import require_face_check_possible, verify_identity
from kiosk.flows.identity_guardian import read_applicant
from kiosk.flows.issuance import Extra, offline_or_fail
from kiosk.flows.payment import FeeIssuanceFlow

NEW_PHOTO_REASONS = ("photo_changed", "child_turned_2")


class ReplaceFlow(FeeIssuanceFlow):  # the fee (arts. 33, 50): kiosk.flows.payment
    service = ServiceId.REPLACE
    kind = "replacement"

    def __init__(self) -> None:
        super().__init__()
        self._old_card_no = ""
        self._loss = ""  # the loss report this session made ("reported" / "queued"): it stands if we stop

    def standing(self) -> tuple[str, ...]:
        return {"reported": ("reason.loss_report_stands",),
                "queued": ("reason.loss_report_queued_stands",)}.get(self._loss, ())

    def steps(self, ctx: FlowContext) -> FlowResult:
        self.start_clock(ctx)
        require_face_check_possible(ctx)
        applicant = read_applicant(ctx, self)
        card = applicant.id_card
        register = applicant.from_register  # the guardian's face was checked before the 户口簿 page
        reasons_menu = tuple((r, f"replace_reason.{r}") for r in REPLACEMENT_REASONS)
        if offline_or_fail(ctx):
            reason = self._choose_reason(ctx, reasons_menu)
            if must_report_loss_first(reason, None):  # art. 33: the loss never waits for the face check
                self._report_loss_offline(ctx, card.id_number)
            if not register:
                verify_identity(ctx, self, applicant.guardian or card, 2)  # 人证核验 (the guardian under 14)
            self.state_fee(ctx, reason, offline=True)
            photo = self.offline_photo(ctx, applicant)
            return self.accept_for_later(ctx, applicant, self.details(ctx, "resident"), photo, Extra(reason=reason))

        ctx.working(self.pview(ctx, "lookup", 2, "prompt.looking_up"))
        if register and applicant.guardian is not None:
            guardian_id = applicant.guardian.id_number
            person = central(ctx, lambda: ctx.central.lookup_child(card.id_number, guardian_id))
        else:
            person = central(ctx, lambda: ctx.central.lookup_person(card.id_number, card.name))
        held = [c for c in person.cards if c.city == HOME_CITY and c.status in REPLACEABLE]
        if not held:
            raise Refused("no_card_to_replace", ("reason.no_card_to_replace",))
        old = held[0]
        if len(held) > 1:
            got = ctx.ask(self.pview(ctx, "choose_card", 2, "prompt.choose_card_replace",
                                     choices=tuple((c.card_no, mask_card_no(c.card_no)) for c in held),
                                     actions=("choose", "cancel")))
            old = next((c for c in held if c.card_no == got.value), old)
        reason = self._choose_reason(ctx, reasons_menu)
        problems = replacement_problems(reason, old, person.applications, age=applicant.age,
                                        today=ctx.clock.today())
        if problems:
            raise Refused("not_eligible", problems)
        if not register:
            verify_identity(ctx, self, applicant.guardian or card, 2)  # 人证核验, before anything changes
        self.state_fee(ctx, reason)  # before the citizen commits; paid in accepted(), before anything is made
        if must_report_loss_first(reason, old):
            self._report_loss_first(ctx, old.card_no, card.id_number)
        self._old_card_no = old.card_no
        keep_account = self._keep_account(ctx, old.bank_code)

        photo = self.photo(ctx, applicant, person.photo_on_file and reason not in NEW_PHOTO_REASONS)
        voluntary = voluntary_applicant(person.insured)  # art. 3: an uninsured holder states no insurance
        details = self.details(ctx, person.medical_insurance, voluntary=voluntary)
        extra = Extra(reason=reason, keep_account=keep_account, voluntary=voluntary)
        if register:  # art. 16: made once the central's reviewer has matched the 户口簿 page, never here
            blockers = (REVIEW_FIRST, *instant_issue_blockers(keep_account=keep_account, blank_cards=True))
            return self.deliver_later(ctx, applicant, details, photo, extra, blockers)
        return self.issue(ctx, applicant, details, photo, extra)

    def _keep_account(self, ctx: FlowContext, card_bank: str) -> bool:
        """Art. 16: the citizen may keep the old card's bank account number; the outlet then makes the card
        (not on the spot), which ``issue`` says and asks consent for."""
        if not account_can_be_kept(card_bank, ctx.config.kiosk.bank_code):
            return False
        got = ctx.ask(self.pview(ctx, "keep_account", 2, "prompt.keep_account",
                                 actions=("new_account", "keep_account", "cancel")))
        return got.action == "keep_account"

    def _choose_reason(self, ctx: FlowContext, menu: tuple[tuple[str, str], ...]) -> str:
        got = ctx.ask(self.pview(ctx, "choose_reason", 2, "prompt.choose_reason", choices=menu,
                                 actions=("choose", "cancel")))
        return got.value

    def _report_loss_first(self, ctx: FlowContext, card_no: str, id_number: str) -> None:
        confirm_summary(ctx, self, "confirm_report_first", 2, "prompt.confirm_report_first",
                        (Row("result.row.service", f"service.{ServiceId.LOSS_REPORT.value}", is_key=True),
                         Row("check.row.id", mask_id(id_number)), Row("result.row.card_no", mask_card_no(card_no))),
                        "check.next.report_first",
                        params={**self.progress(ctx).params(), "card_no": mask_card_no(card_no)})
        ctx.working(self.pview(ctx, "reporting_loss", 2, "prompt.submitting"))
        try:
            outcome = ctx.central.report_loss(id_number=id_number, card_no=card_no,
                                              reported_at=stamp(ctx.clock))
        except DeliveryRefused as exc:
            raise Refused(exc.code, (f"reason.{exc.code}",)) from None
        ctx.services.block_card_locally(card_no)
        if isinstance(outcome, outcomes.Refused):
            raise refusal(outcome)
        if isinstance(outcome, outcomes.Queued):  # frozen later, but the replacement needs the freeze first
            self._loss = "queued"
            raise Refused("loss_report_pending", ("reason.loss_report_pending",))
        self._loss = "reported"

    def _report_loss_offline(self, ctx: FlowContext, id_number: str) -> None:
        """Art. 33 offline: the card list is unknown, so the loss is reported by ID number. The kiosk blocks
        it at once, then queues the report at the loss report's top priority, ahead of the application."""
        confirm_summary(ctx, self, "confirm_report_first", 2, "prompt.confirm_report_first_offline",
                        (Row("result.row.service", f"service.{ServiceId.LOSS_REPORT.value}", is_key=True),
                         Row("check.row.id", mask_id(id_number)),
                         Row("result.row.card_no", "check.every_card", is_key=True)),
                        "check.next.loss_report_offline",  # queued: in effect once the link is back
                        params={**self.progress(ctx).params(), "hotline": ctx.config.kiosk.hotline})
        ctx.services.block_card_locally(id_number)
        ctx.working(self.pview(ctx, "reporting_loss", 2, "prompt.submitting"))
        queued(ctx, lambda: ctx.central.report_loss(id_number=id_number,
                                                    reported_at=stamp(ctx.clock)))
        self._loss = "queued"

    def accepted(self, ctx: FlowContext, application_id: str, *, made_later: bool = False) -> None:
        # the fee is paid first: an unpaid replacement is withdrawn, the old card stays valid
        super().accepted(ctx, application_id, made_later=made_later)
        if self._old_card_no:  # art. 33: the old card is invalid from acceptance
            ctx.services.block_card_locally(self._old_card_no)
