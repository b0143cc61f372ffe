"""The part of apply (service 1) and replace (service 2) after eligibility: photo, details,
application, class-I account, card production, activation, PIN, receipt, 回盘 — with progress
against the 20-minute limit of art. 21 in every view (params ``elapsed_s``, ``limit_s``,
``remaining_min``, ``percent``)."""

from __future__ import annotations

import base64
import logging
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from hal.status import DeviceError, Supply
from hal.types import CardFace, CardPersonalisation, IdCardData, Receipt, ReceiptLine
from kiosk.central import outcomes
from kiosk.central.bodies import Applicant as ApplicantBody
from kiosk.central.bodies import ApplicationBody, DeliverLater, Guardian, OtherCityCard, ProductionResultBody
from kiosk.central.outcomes import DeliveryRefused
from kiosk.clock import stamp
from kiosk.domain.eligibility import (
    DELIVERY_WORKING_DAYS,
    UNINSURED,
    IssuanceProgress,
    application_insurance,
    instant_issue_blockers,
    photo_required,
)
from kiosk.domain.masking import mask_card_no, mask_id, mask_name
from kiosk.domain.pin_rules import INITIAL_PIN
from kiosk.flows import otp
from kiosk.flows.base import (
    End,
    Flow,
    FlowContext,
    FlowResult,
    IdleTimeout,
    LinkLost,
    Refused,
    View,
    new_transaction_no,
    receipt_message,
)
from kiosk.flows.common import RESULT_BY_SMS, central, queued
from kiosk.flows.details import Details, edit_details
from kiosk.flows.production import CardProduction, ProductionFailed
from kiosk.issuance_journal import Step
from kiosk.stock_ledger import CardRecord, Kind

log = logging.getLogger("kiosk.flow")
PHOTO_STEP, DETAILS_STEP, SUBMIT_STEP, PRODUCE_STEP, PIN_STEP, DONE_STEP = 3, 4, 5, 6, 7, 8
APPLY_REQUIRED = frozenset({"mobile", "address", "postal_code", "medical_insurance"})
LIMIT_POLL_S = 0.25  # how often the art. 21 watch looks at the clock while an issuance runs


@dataclass(frozen=True)
class Extra:
    """What an application carries beyond the applicant: a replacement's reason, consent to stop a card
    of another Fujian city (art. 16), a voluntary uninsured applicant (art. 3), a replacement keeping
    the bank account number (art. 16: not made on the spot)."""

    reason: str | None = None
    consent: OtherCityCard | None = None
    voluntary: bool = False
    keep_account: bool = False
    insured_declared: bool | None = None  # offline: the citizen's own answer, the register unread (issue 17 §4)


NO_EXTRA = Extra()


@dataclass(frozen=True, repr=False)
class Applicant:
    id_card: IdCardData
    age: int
    guardian: IdCardData | None
    # Issue 21 §3: a child without an ID card, known by the number on the 户口簿; ``id_card`` then holds
    # only that number, the sex and birth date it encodes (kiosk.flows.child_without_id).
    from_register: bool = False

    def __repr__(self) -> str:
        return "Applicant(<personal data>)"


class IssuanceFlow(Flow):
    total_steps = DONE_STEP
    kind = "new"

    def __init__(self) -> None:
        self._started = 0.0
        self._production: CardProduction | None = None
        self._open_application: tuple[str, str, str] | None = None  # (application id, card no, id number)
        self._watch_stop = threading.Event()
        self._over_limit = threading.Event()
        self._watch: threading.Thread | None = None
        self._mobile_lines: tuple[ReceiptLine, ...] = ()  # what the receipt says of the form's mobile

    # ---- progress against art. 21 ----------------------------------------------------------------
    def start_clock(self, ctx: FlowContext) -> None:
        """Start counting the art. 21 limit, and a watch that raises its alarm while the issuance is
        still running (a device step may block for minutes without a new view)."""
        self._started = ctx.clock.monotonic()
        self._watch_stop.clear()
        self._over_limit.clear()
        self._watch = threading.Thread(target=self._watch_limit, args=(ctx,), name="issuance-limit", daemon=True)
        self._watch.start()

    def _watch_limit(self, ctx: FlowContext) -> None:
        while not self._watch_stop.wait(LIMIT_POLL_S):
            if self.progress(ctx).overdue:
                self._over_limit.set()
                ctx.services.alarm("issuance_over_limit", "instant issuance is over the art. 21 limit",
                                   device="issuer")
                return

    def stop_clock(self) -> bool:
        """The issuance ended; True when it went over the limit. The watch is gone when this returns."""
        self._watch_stop.set()
        if self._watch is not None and self._watch is not threading.current_thread():
            self._watch.join(timeout=2.0)
        return self._over_limit.is_set()

    def progress(self, ctx: FlowContext) -> IssuanceProgress:
        return IssuanceProgress(ctx.clock.monotonic() - self._started, ctx.config.timeouts.issuance_limit_s)

    def pview(self, ctx: FlowContext, screen: str, step: int, message: str, *,
              params: Mapping[str, str] | None = None, actions: tuple[str, ...] = (),
              reasons: tuple[str, ...] = (), choices: tuple[tuple[str, str], ...] = (),
              end: End | None = None) -> View:
        """A view with the art. 21 progress params."""
        return self.view(screen, step, message, params={**self.progress(ctx).params(), **(params or {})},
                         actions=actions, reasons=reasons, choices=choices, end=end)

    # ---- photo (arts. 16-17) ----------------------------------------------------------------------
    def wants_photo(self, ctx: FlowContext, applicant: Applicant) -> bool:
        """Arts. 16-17: under 2 the card may go without a photo, at the citizen's choice."""
        if photo_required(applicant.age):
            return True
        got = ctx.ask(self.pview(ctx, "photo_optional", PHOTO_STEP, "prompt.photo_optional",
                                 actions=("no_photo", "take_photo", "cancel")))
        return got.action == "take_photo"

    def offline_photo(self, ctx: FlowContext, applicant: Applicant) -> bytes | None:
        return self.take_photo(ctx) if self.wants_photo(ctx, applicant) else None

    def photo(self, ctx: FlowContext, applicant: Applicant, photo_on_file: bool) -> bytes | None:
        """The card photo: optional under 2, else the one on file (if the citizen wants it) or a new one."""
        if not self.wants_photo(ctx, applicant):
            return None
        if photo_on_file and ctx.services.link_online():
            got = ctx.ask(self.pview(ctx, "photo_choice", PHOTO_STEP, "prompt.photo_choice",
                                     actions=("use_on_file", "take_new", "cancel")))
            if got.action == "use_on_file":
                number = applicant.id_card.id_number
                on_file: bytes = central(ctx, lambda: ctx.central.person_photo(number))
                return on_file
        return self.take_photo(ctx)

    def take_photo(self, ctx: FlowContext) -> bytes:
        from kiosk.photo.session import PhotoSession  # loads dlib models on first use only

        camera = ctx.devices.camera
        session = PhotoSession(ctx.config.photo.settings())
        while True:
            deadline = ctx.clock.monotonic() + ctx.idle_timeout(ctx.config.timeouts.idle_s)
            while session.photo is None:
                ctx.check()
                if ctx.clock.monotonic() > deadline:
                    raise IdleTimeout("photo")
                frame = camera.read_frame()
                if frame is None:
                    continue
                fb = session.feed(frame)
                ctx.channel.show(self.pview(ctx, "photo", PHOTO_STEP, f"photo.{fb.code}",
                                            params={"hint": fb.code, "steady": str(fb.steady_count),
                                                    "needed": str(fb.steady_needed)},
                                            actions=("cancel",)))
            photo = session.photo
            got = ctx.ask(self.pview(ctx, "photo_confirm", PHOTO_STEP, "prompt.photo_confirm",
                                     params={"bytes": str(photo.size_bytes)},
                                     actions=("confirm", "retake", "cancel")))
            if got.action == "confirm":
                return photo.jpeg
            session.reset()

    # ---- details -------------------------------------------------------------------------------
    def details(self, ctx: FlowContext, medical_insurance: str, *, voluntary: bool = False) -> Details:
        """The form; a voluntary (uninsured) applicant has no medical insurance to state (art. 3)."""
        if voluntary:
            start, required = Details(medical_insurance=UNINSURED), APPLY_REQUIRED - {"medical_insurance"}
        else:
            start = Details(medical_insurance=medical_insurance if medical_insurance != UNINSURED else "resident")
            required = APPLY_REQUIRED
        # The form's mobile goes into the register (apply and replace alike), so it is confirmed by SMS
        # first (art. 16 "健全电话号码"; issue 21 §2); offline it goes in unverified (kiosk.flows.otp).
        d = edit_details(ctx, self, "details", DETAILS_STEP, "prompt.details", start,
                         required=required, extra=lambda: self.progress(ctx).params(), verify_mobile="apply")
        self._mobile_lines = (otp.receipt_line(d.mobile_unverified),) if d.mobile else ()
        return d

    def application_body(self, ctx: FlowContext, a: Applicant, d: Details, photo: bytes | None,
                         delivery: str, extra: Extra, deliver_later: DeliverLater | None = None) -> ApplicationBody:
        card = a.id_card
        on_card = not a.from_register  # the 户口簿 path: name, ethnicity, address are the central's register's
        return ApplicationBody(
            kind=self.kind,
            applicant=ApplicantBody(
                name=card.name if on_card else None, sex=card.sex_code,
                ethnicity=card.ethnicity_code if on_card else None,
                birth_date=card.birth_date.isoformat(), id_type="01", id_number=card.id_number,
                id_valid_from=card.valid_from.isoformat() if on_card else None,
                id_valid_until=(card.valid_until.isoformat() if card.valid_until else "长期") if on_card else None,
                nationality="CHN", occupation=d.occupation, mobile=d.mobile, phone=d.phone,
                household_address=card.address if on_card else None,
                residence_address=d.address.text() if d.address else "",
                postal_code=d.postal_code,
                medical_insurance=application_insurance(not extra.voluntary, d.medical_insurance),
                id_source=None if on_card else "household_register",
            ),
            bank_code=ctx.config.kiosk.bank_code,
            delivery=delivery,
            reason=extra.reason,
            consent_stop_other_card=extra.consent,
            guardian=(Guardian(name=a.guardian.name, id_type="01", id_number=a.guardian.id_number)
                      if a.guardian is not None else None),
            photo_jpeg_b64=base64.b64encode(photo).decode("ascii") if photo is not None else None,
            identity_check=ctx.session.get("identity_check"),  # kiosk.flows.face_check (issue 17)
            voluntary=extra.voluntary or None,
            deliver_later=deliver_later,
            mobile_verification_id=d.mobile_verification or None,
            mobile_unverified=True if d.mobile_unverified else None,
            insured_declared=extra.insured_declared,
            insured_status_unverified=True if extra.insured_declared is not None else None,
        )

    # ---- offline: accept for later (central-api.md offline policy) --------------------------------
    def accept_for_later(self, ctx: FlowContext, a: Applicant, d: Details, photo: bytes | None,
                         extra: Extra = NO_EXTRA) -> FlowResult:
        # A fee payable at pickup (offline, no payment here) has no pickup to be paid at if the card is
        # posted: such a card is collected. Posted cards: postage borne by the applicant (art. 26).
        courier = () if self.fee_due_at_pickup() else (("courier", "delivery.courier_postage"),)
        got = ctx.ask(self.pview(ctx, "delivery_choice", SUBMIT_STEP, "prompt.delivery_choice",
                                 params={"hotline": ctx.config.kiosk.hotline},
                                 choices=(("pickup", "delivery.pickup"), *courier),
                                 actions=("choose", "cancel")))
        delivery = "courier" if courier and got.value == "courier" else "pickup"
        ctx.working(self.pview(ctx, "submitting", SUBMIT_STEP, "prompt.submitting"))
        body = self.application_body(ctx, a, d, photo, delivery, extra)
        queued(ctx, lambda: ctx.central.apply_later(service=self.service, application=body))
        txn = new_transaction_no(ctx.clock, ctx.config.kiosk.id)
        self.stop_clock()
        receipt_ok = ctx.services.print_receipt(self._receipt(ctx, a, txn, (
            ReceiptLine("领卡方式 Delivery: " + ("邮寄（邮费自付）courier, postage paid by you" if delivery == "courier"
                                             else "网点领取 pickup")),
            ReceiptLine("状态: 已受理，联网后提交 Accepted, pending (link down)", bold=True),
            RESULT_BY_SMS,
            *_after_review(a),
            *_declared_insurance_line(extra.insured_declared),
        )))
        mobile_check = "" if not d.mobile else "unverified" if d.mobile_unverified else "verified"
        message = ("prompt.accepted_for_later_unverified" if mobile_check == "unverified"
                   else "prompt.accepted_for_later")
        ctx.finish(self.pview(ctx, "done", DONE_STEP, receipt_message(message, receipt_ok),
                              params={"txn": txn, "delivery": delivery, "receipt": "ok" if receipt_ok else "failed",
                                      "hotline": ctx.config.kiosk.hotline, "mobile_check": mobile_check},
                              actions=("home",), end=End.DONE))
        return FlowResult(End.DONE, "accepted_for_later", transaction_no=txn)

    def fee_due_at_pickup(self) -> bool:
        """A fee is due and, offline, is to be paid when the card is collected (kiosk.flows.payment)."""
        return False

    # ---- online: instant issue -------------------------------------------------------------------
    def issue(self, ctx: FlowContext, a: Applicant, d: Details, photo: bytes | None,
              extra: Extra = NO_EXTRA) -> FlowResult:
        card = a.id_card
        blockers = instant_issue_blockers(keep_account=extra.keep_account, blank_cards=self._blank_cards(ctx))
        if blockers:
            return self.deliver_later(ctx, a, d, photo, extra, blockers)
        ctx.working(self.pview(ctx, "submitting", SUBMIT_STEP, "prompt.submitting"))
        body = self.application_body(ctx, a, d, photo, "instant", extra)
        created = central(ctx, lambda: ctx.central.apply(body))
        self._open_application = (created.application_id, created.card_no, card.id_number)
        self.accepted(ctx, created.application_id)
        ctx.working(self.pview(ctx, "opening_account", SUBMIT_STEP, "prompt.opening_account"))
        account = central(ctx, lambda: ctx.central.open_bank_account(created.application_id, card.id_number,
                                                                    created.card_no))
        today = ctx.clock.today()
        perso = CardPersonalisation(
            card_id_code=f"350100D1560000{uuid.uuid4().hex[:18].upper()}", card_type="3", spec_version="3.00",
            issue_date=today, expiry_date=today.replace(year=today.year + 10), card_no=created.card_no,
            ssn=created.ssn, name=card.name, sex=card.sex_code, ethnicity=card.ethnicity_code,
            birth_place=card.id_number[:6], birth_date=card.birth_date, initial_pin=INITIAL_PIN)
        face = CardFace(name=card.name, ssn=created.ssn, card_no=created.card_no, issue_date=today, photo_jpeg=photo)
        self._production = CardProduction(ctx, self, PRODUCE_STEP, created.application_id,
                                          lambda: self.progress(ctx).params())
        try:
            produced = self._production.run(perso, face, account.account_no)
        except ProductionFailed as exc:
            return self._production_failed(ctx, a, created.application_id, created.card_no, exc)
        self._open_application = None
        record = CardRecord(card.name, created.ssn, created.card_no, account.account_no)
        self._send_result(ctx, card.id_number, created.application_id, ProductionResultBody(
            result="success", card_no=created.card_no, chip_atr=produced.chip_atr,
            card_id_code=produced.card_id_code, bank_account=account.account_no,
            produced_at=stamp(ctx.clock), kiosk_id=ctx.config.kiosk.id))
        activated = self._activate(ctx, created.card_no, card.id_number)
        taken = self._wait_taken(ctx, produced.issue_id)
        retained = not taken and self._retract(ctx, produced.issue_id)
        if retained:  # the central holds the application open for pickup at the counter
            self._send_result(ctx, card.id_number, created.application_id, ProductionResultBody(
                result="retained", card_no=created.card_no,
                produced_at=stamp(ctx.clock), kiosk_id=ctx.config.kiosk.id))
        kind = Kind.ISSUED if taken else Kind.RETAINED if retained else Kind.UNDELIVERED
        ctx.services.stock_ledger.record(kind, ctx.clock.now(), created.application_id, record,
                                         "" if taken else "not_taken")
        ctx.services.submit_stock_ledger(ctx.clock.today())
        overdue = self.stop_clock()
        pin_changed = False
        if taken:
            pin_changed = self._offer_pin_change(ctx, created.card_no)
        txn = new_transaction_no(ctx.clock, ctx.config.kiosk.id)
        receipt_ok = ctx.services.print_receipt(self._receipt(ctx, a, txn, (
            ReceiptLine(f"申请编号 Application: {created.application_id}"),
            ReceiptLine(f"社保卡号 Card: {mask_card_no(created.card_no)}"),
            ReceiptLine(f"费用 Fee: {'免费 free' if created.free_of_charge else '按规定收费 standard fee'}"),
            ReceiptLine("社保功能 Social security: " + ("已启用 active" if activated else "待启用 pending")),
            *((ReceiptLine("医保 Medical insurance: 未参保，不关联医保 not insured, not linked"),) if extra.voluntary
              else ()),
            ReceiptLine("密码 PIN: " + ("已修改 changed" if pin_changed else f"初始密码 {INITIAL_PIN}，请及时修改")),
            *_card_whereabouts(taken, retained),
        )))
        code = "issued" if taken else "card_retained" if retained else "card_not_taken"
        message = "prompt.issued" if taken else "prompt.card_retained" if retained else "prompt.card_not_taken"
        ctx.finish(self.pview(ctx, "done", DONE_STEP, receipt_message(message, receipt_ok),
                              params={"txn": txn, "card_no": mask_card_no(created.card_no),
                                      "card_at": "citizen" if taken else "counter" if retained else "bezel",
                                      "free": "1" if created.free_of_charge else "0",
                                      "activated": "1" if activated else "0",
                                      "pin_changed": "1" if pin_changed else "0", "overdue": "1" if overdue else "0",
                                      "receipt": "ok" if receipt_ok else "failed"},
                              actions=("home",), end=End.DONE))
        return FlowResult(End.DONE, code, transaction_no=txn)

    def _blank_cards(self, ctx: FlowContext) -> bool:
        """False only when the card printer says its hopper is out (unknown: try, production defers if it fails)."""
        return ctx.devices.issuer.status().supplies.get("blank_cards") is not Supply.OUT

    # ---- not made on the spot: consent to deliver within 15 working days (arts. 16, 26) ---------------
    def deliver_later(self, ctx: FlowContext, a: Applicant, d: Details, photo: bytes | None, extra: Extra,
                      blockers: tuple[str, ...]) -> FlowResult:
        """Say why the card cannot be made now; with the citizen's consent the application goes to the
        central for pickup or courier (postage borne by the applicant, art. 26) within 15 working days."""
        days = {"working_days": str(DELIVERY_WORKING_DAYS), "hotline": ctx.config.kiosk.hotline}
        got = ctx.ask(self.pview(ctx, "deliver_later", SUBMIT_STEP, "prompt.deliver_later", params=days,
                                 reasons=blockers, actions=("agree", "decline", "cancel")))
        if got.action != "agree":
            raise Refused("deliver_later_declined", blockers)
        got = ctx.ask(self.pview(ctx, "deliver_later_how", SUBMIT_STEP, "prompt.deliver_later_how", params=days,
                                 choices=(("pickup", "delivery.pickup"), ("courier", "delivery.courier_postage")),
                                 actions=("choose", "cancel")))
        delivery = got.value if got.value in ("pickup", "courier") else "pickup"
        ctx.working(self.pview(ctx, "submitting", SUBMIT_STEP, "prompt.submitting"))
        consent = DeliverLater(reasons=[b.removeprefix("reason.") for b in blockers],
                               working_days=DELIVERY_WORKING_DAYS, postage_by_applicant=delivery == "courier")
        body = self.application_body(ctx, a, d, photo, delivery, extra, consent)
        created = central(ctx, lambda: ctx.central.apply(body))
        self.accepted(ctx, created.application_id, made_later=True)  # no production here to report if it fails
        self.stop_clock()
        txn = new_transaction_no(ctx.clock, ctx.config.kiosk.id)
        receipt_ok = ctx.services.print_receipt(self._receipt(ctx, a, txn, (
            ReceiptLine(f"申请编号 Application: {created.application_id}"),
            ReceiptLine("领卡方式 Delivery: " + ("邮寄（邮费自付）courier, postage paid by you" if delivery == "courier"
                                              else "网点领取 pickup at the outlet")),
            ReceiptLine(f"{DELIVERY_WORKING_DAYS} 个工作日内发卡 Card within {DELIVERY_WORKING_DAYS} working days",
                        bold=True),
            *_after_review(a),
        )))
        ctx.finish(self.pview(ctx, "done", DONE_STEP, receipt_message("prompt.deliver_later_done", receipt_ok),
                              params={"txn": txn, "delivery": delivery, "working_days": str(DELIVERY_WORKING_DAYS),
                                      "receipt": "ok" if receipt_ok else "failed",
                                      "hotline": ctx.config.kiosk.hotline},
                              actions=("home",), end=End.DONE))
        return FlowResult(End.DONE, f"deliver_later_{delivery}", transaction_no=txn)

    def accepted(self, ctx: FlowContext, application_id: str, *, made_later: bool = False) -> None:
        """Called once the central accepted the application (replace: its fee is paid, the old card lapses
        now); ``made_later``: by the card centre after this session, not here."""

    def _activate(self, ctx: FlowContext, card_no: str, id_number: str) -> bool:
        """Enable the new card's social security function; True once the central applied it (a refusal
        or a queue that could not store it leaves it pending: the receipt says so, staff can redo it)."""
        try:
            outcome = ctx.central.activate_card(service=self.service, card_no=card_no, id_number=id_number,
                                                requested_at=stamp(ctx.clock))
        except DeliveryRefused as exc:
            ctx.services.alarm(exc.code, "card activation could not be queued", device="offline_queue")
            return False
        if isinstance(outcome, outcomes.Refused):
            log.warning("activation refused", extra={"code": outcome.code})
        return isinstance(outcome, outcomes.Accepted)

    def _send_result(self, ctx: FlowContext, id_number: str, application_id: str,
                     result: ProductionResultBody) -> None:
        """The production result (回盘) always goes through the queue (central-api.md)."""
        try:
            ctx.central.report_production_result(service=self.service, application_id=application_id,
                                                 ordering_key=id_number, result=result)
        except DeliveryRefused as exc:
            ctx.services.alarm(exc.code, "production result could not be queued", device="offline_queue",
                               severity="critical")

    def _wait_taken(self, ctx: FlowContext, issue_id: int) -> bool:
        issuer = ctx.devices.issuer
        view = self.pview(ctx, "take_card", PRODUCE_STEP, "prompt.take_card")

        def taken(t: float) -> bool | None:
            if issuer.card_taken():
                return True
            time.sleep(min(t, 0.05))
            return None

        try:
            ctx.wait_for(view, taken, ctx.config.timeouts.card_take_s)
        except IdleTimeout:
            ctx.services.alarm("card_not_taken", "a made card was left in the bezel", device="issuer")
            ctx.services.journal.mark(issue_id, Step.TAKEN, "not_taken")
            return False
        ctx.services.journal.mark(issue_id, Step.TAKEN)
        return True

    def _retract(self, ctx: FlowContext, issue_id: int) -> bool:
        """Pull the card not taken into the retain bin; True only once the printer did."""
        try:
            ctx.devices.issuer.retract()
        except DeviceError as exc:
            ctx.services.alarm(exc.code, "a card not taken could not be retracted; it is in the bezel",
                               device="issuer", severity="critical")
            return False
        ctx.services.journal.mark(issue_id, Step.TAKEN, "retained")
        return True

    def _offer_pin_change(self, ctx: FlowContext, card_no: str) -> bool:
        from kiosk.flows.pin_change import change_pin_on_card

        got = ctx.ask(self.pview(ctx, "pin_offer", PIN_STEP, "prompt.pin_offer",
                                 params={"initial_pin": INITIAL_PIN}, actions=("change_pin", "skip")))
        if got.action != "change_pin":
            return False
        return change_pin_on_card(ctx, self, PIN_STEP, expect_card_no=card_no)

    def _production_failed(self, ctx: FlowContext, a: Applicant, application_id: str, card_no: str,
                           exc: ProductionFailed) -> FlowResult:
        """Both cards failed: tell the citizen, record the application for counter/courier, alarm."""
        self._open_application = None
        self.stop_clock()
        ctx.services.alarm("production_failed", f"instant issuance failed twice ({exc.code})", device="issuer",
                           severity="critical")
        got = ctx.ask(self.pview(ctx, "production_failed", PRODUCE_STEP, "prompt.production_failed",
                                 params={"code": exc.code, "hotline": ctx.config.kiosk.hotline},
                                 choices=(("pickup", "delivery.pickup"), ("courier", "delivery.courier")),
                                 actions=("choose",)))
        delivery = got.value if got.value in ("pickup", "courier") else "pickup"
        self._send_result(ctx, a.id_card.id_number, application_id, ProductionResultBody(
            result="failed", failure_reason=f"kiosk production failed ({exc.code}); deliver by {delivery}",
            card_no=card_no, produced_at=stamp(ctx.clock),
            kiosk_id=ctx.config.kiosk.id))
        txn = new_transaction_no(ctx.clock, ctx.config.kiosk.id)
        receipt_ok = ctx.services.print_receipt(self._receipt(ctx, a, txn, (
            ReceiptLine(f"申请编号 Application: {application_id}"),
            ReceiptLine("状态: 制卡未成功，将" + ("邮寄 courier" if delivery == "courier" else "到网点领取 pickup"),
                        bold=True),
        )))
        ctx.finish(self.pview(ctx, "done", DONE_STEP, receipt_message("prompt.production_deferred", receipt_ok),
                              params={"txn": txn, "delivery": delivery, "receipt": "ok" if receipt_ok else "failed",
                                      "working_days": str(DELIVERY_WORKING_DAYS),  # made later (arts. 16, 17)
                                      "hotline": ctx.config.kiosk.hotline},
                              actions=("home",), end=End.DONE))
        return FlowResult(End.DONE, f"deferred_{delivery}", transaction_no=txn)

    def _receipt(self, ctx: FlowContext, a: Applicant, txn: str, lines: tuple[ReceiptLine, ...]) -> Receipt:
        title = "社会保障卡申领回执 / Application receipt" if self.kind == "new" else \
            "社会保障卡补换回执 / Replacement receipt"
        return Receipt(
            title=title,
            lines=(ReceiptLine(f"姓名 Name: {mask_name(a.id_card.name) if a.id_card.name else _REGISTER_NAME}"),
                   ReceiptLine(f"证件号码 ID: {mask_id(a.id_card.id_number)}"),
                   ReceiptLine(f"受理时间 Time: {ctx.clock.now():%Y-%m-%d %H:%M}"), *lines, *self._mobile_lines),
            transaction_no=txn, qr_payload=txn,
            footer=(f"咨询电话 Hotline {ctx.config.kiosk.hotline}",))

    # ---- the global fault transition's clean-up ------------------------------------------------------
    def on_fault(self, ctx: FlowContext, exc: BaseException) -> None:
        self.stop_clock()
        if self._production is not None and self._production.in_printer:
            self._production.spoil("interrupted")  # never leave a half-made card in the printer
        if self._open_application is not None:
            application_id, card_no, id_number = self._open_application
            self._open_application = None
            self._send_result(ctx, id_number, application_id, ProductionResultBody(
                result="failed", failure_reason=f"kiosk session ended before production ({_code(exc)})",
                card_no=card_no, produced_at=stamp(ctx.clock),
                kiosk_id=ctx.config.kiosk.id))


def _card_whereabouts(taken: bool, retained: bool) -> tuple[ReceiptLine, ...]:
    """Where the card is, on the receipt, when the citizen did not take it."""
    if taken:
        return ()
    if retained:
        return (ReceiptLine("卡片: 未取走，已回收，请持身份证到柜台领取 Card: not taken, retained; "
                            "collect it at the counter with your ID card", bold=True),)
    return (ReceiptLine("卡片: 未取走，仍在出卡口，工作人员将协助处理 Card: not taken, still in the card slot; "
                        "staff have been alerted", bold=True),)


_REGISTER_NAME = "以户口簿为准 as in the household register"  # issue 21 §3: the kiosk never had the child's name


def _after_review(a: Applicant) -> tuple[ReceiptLine, ...]:
    """Issue 21 §3: a child without an ID card gets the card only after the 户口簿 is reviewed (art. 16)."""
    if not a.from_register:
        return ()
    return (ReceiptLine("审核户口簿后制卡 Card made after the household register is checked", bold=True),)


def _declared_insurance_line(declared: bool | None) -> tuple[ReceiptLine, ...]:
    """Offline the insurance status is the citizen's answer (issue 17 §4): the receipt says it is checked later."""
    if declared is None:
        return ()
    said = "已参保 insured" if declared else "未参保，自愿申领，不关联医保 not insured, voluntary, no medical link"
    return (ReceiptLine(f"参保情况（本人申报，联网后核对）Insurance as you stated, to be checked: {said}"),)


def _code(exc: BaseException) -> str:
    return str(getattr(exc, "code", type(exc).__name__))


def offline_or_fail(ctx: FlowContext) -> bool:
    """True: continue offline (accept for later). Raises LinkLost when offline is not allowed."""
    if ctx.services.link_online():
        return False
    if ctx.config.offline.accept_applications_for_later:
        return True
    raise LinkLost("link_down")

