"""CentralGateway: the Central protocol (kiosk.central.port) over a CentralClient for direct calls
and a DeliveryService for queued ones. How each request travels and at what priority is its row
in kiosk.central.requests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from kiosk.central import bodies as b
from kiosk.central import models as m
from kiosk.central import requests as rq
from kiosk.central.client import CentralClient, loss_report_body
from kiosk.central.delivery import DeliveryService
from kiosk.central.outcomes import Outcome
from kiosk.domain.masking import mask_card_no, mask_id
from kiosk.domain.services import SERVICES, ServiceId


class CentralGateway:
    """The Central protocol over a CentralClient (direct) and a DeliveryService (queued)."""

    def __init__(self, client: CentralClient, delivery: DeliveryService) -> None:
        self._client = client
        self._delivery = delivery

    # ---- direct --------------------------------------------------------------------------------
    def lookup_person(self, id_number: str, name: str) -> m.PersonLookup:
        return self._client.lookup_person(id_number, name)

    def lookup_child(self, child_id_number: str, guardian_id_number: str) -> m.PersonLookup:
        return self._client.lookup_child(child_id_number, guardian_id_number)

    def person_photo(self, id_number: str) -> bytes:
        return self._client.person_photo(id_number)

    def apply(self, application: b.ApplicationBody) -> m.ApplicationCreated:
        return self._client.apply(application)

    def open_bank_account(self, application_id: str, id_number: str, card_no: str) -> m.BankAccount:
        return self._client.open_bank_account(application_id, id_number, card_no)

    def cancel_loss(self, card_no: str, id_number: str) -> m.StatusResult:
        return self._client.cancel_loss(card_no, id_number)

    def authorize_pin_reset(self, card_no: str, id_number: str, card_challenge: bytes, face_match: b.FaceMatchBody,
                            *, new_pin: str | None = None,
                            pin_block: bytes | None = None) -> m.PinResetAuthorization:
        return self._client.authorize_pin_reset(card_no, id_number, card_challenge, face_match, new_pin=new_pin,
                                                pin_block=pin_block)

    def application_status(self, id_number: str) -> m.ApplicationStatusList:
        return self._client.application_status(id_number)

    def verify_ecard(self, code: str) -> m.EcardIdentity:  # e-card sign-in
        return self._client.call(rq.ECARD_VERIFY, b.EcardVerifyBody(code=code))
    def verify_face(self, id_number: str, live_jpeg: bytes, consent_version: str) -> m.FaceVerification:
        return self._client.verify_face(id_number, live_jpeg, consent_version)
    # SMS verification of a mobile (art. 16) and the replacement fee (arts. 33, 50): issue 21 §§2, 4
    def send_sms_code(self, mobile: str, purpose: str) -> m.SmsCodeSent:
        return self._client.send_sms_code(mobile, purpose)

    def verify_sms_code(self, otp_id: str, mobile: str, code: str) -> m.SmsVerified:
        return self._client.verify_sms_code(otp_id, mobile, code)

    def create_payment(self, application_id: str, amount_fen: int) -> m.PaymentOrder:
        return self._client.create_payment(application_id, amount_fen)

    def payment_status(self, payment_id: str, wait_s: float = 0.0) -> m.PaymentOrder:
        return self._client.payment_status(payment_id, wait_s)

    def cancel_payment(self, payment_id: str, reason: str) -> m.PaymentOrder:
        return self._client.cancel_payment(payment_id, reason)

    # ---- through the queue -----------------------------------------------------------------------
    def report_loss(self, *, id_number: str, reported_at: str, card_no: str | None = None) -> Outcome:
        body = loss_report_body(reported_at, card_no, None if card_no else id_number)
        return self._queue(rq.REPORT_LOSS, body, ServiceId.LOSS_REPORT, id_number,
                           f"loss report {mask_id(id_number)}")

    def activate_card(self, *, service: ServiceId, card_no: str, id_number: str, requested_at: str) -> Outcome:
        body = b.ActivationBody(card_no=card_no, id_number=id_number, requested_at=requested_at)
        return self._queue(rq.ACTIVATE_CARD, body, service, id_number, f"activate {mask_card_no(card_no)}")

    def change_contact(self, contact: b.ContactBody) -> Outcome:
        return self._queue(rq.CHANGE_CONTACT, contact, ServiceId.CONTACT_CHANGE, contact.id_number,
                           f"contact change {mask_id(contact.id_number)}")

    def apply_later(self, *, service: ServiceId, application: b.ApplicationBody) -> Outcome:
        id_number = application.applicant.id_number or ""
        return self._queue(rq.APPLY_LATER, application, service, id_number,
                           f"{application.kind} application {mask_id(id_number)}")

    def report_production_result(self, *, service: ServiceId, application_id: str, ordering_key: str,
                                 result: b.ProductionResultBody) -> Outcome:
        return self._queue(rq.PRODUCTION_RESULT, result, service, ordering_key,
                           f"production result {result.result}", application_id=application_id)

    def record_pin_event(self, *, service: ServiceId, card_no: str, event: str, at: str) -> Outcome:
        return self._queue(rq.PIN_EVENT, b.PinEventBody(card_no=card_no, event=event, at=at), service, card_no,
                           f"pin {event} {mask_card_no(card_no)}")

    def send_stock_ledger(self, day: dt.date, entries: Sequence[Mapping[str, Any]]) -> Outcome:
        body = b.StockLedgerBody(date=day.isoformat(), entries=[dict(e) for e in entries])
        return self._queue(rq.STOCK_LEDGER, body, ServiceId.APPLY, f"stock-ledger-{day.isoformat()}",
                           f"stock ledger {day}")

    def submit_document(self, *, service: ServiceId, document: b.DocumentBody) -> Outcome:
        """Ordered with the subject's other requests, so the proof reaches the central before (or with)
        the application it supports."""
        return self._queue(rq.SUBMIT_DOCUMENT, document, service, document.subject_id_number,
                           f"document {document.kind} {mask_id(document.subject_id_number)}")

    def _queue(self, req: rq.Request[rq.B, rq.R], body: rq.B, service: ServiceId, ordering_key: str, summary: str,
               **path: str) -> Outcome:
        wire = rq.encode(req, body, kiosk_id=self._client.kiosk_id, **path)
        priority = req.priority if req.priority is not None else SERVICES[service].queue_priority
        return self._delivery.submit(wire, service=service.value, priority=priority, ordering_key=ordering_key,
                                     summary=summary, wait=req.route is rq.Route.QUEUED)
