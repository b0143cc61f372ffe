"""Every request the kiosk makes to the central (central-api.md v1), as one table, and the one
serializer that turns a table row and its body into method, path and bytes.

A direct call (kiosk.central.client) and a queued delivery (kiosk.central.delivery → the offline
queue → its forwarder) both go through :func:`encode`, so a request is spelt the same whichever
way it travels. Nothing else in the kiosk writes a central path.

Offline policy: ``Route`` says how a request travels. Whether a *service* may start without the
link stays in the service catalogue (kiosk.domain.services.SERVICES, with each service's queue
priority); rows whose priority is ``None`` take the priority of the service that sends them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar
from urllib.parse import quote

from pydantic import BaseModel

from kiosk.central import bodies as b
from kiosk.central import models as m

B = TypeVar("B", bound=BaseModel)
R = TypeVar("R", bound=BaseModel)


class Route(StrEnum):
    DIRECT = "direct"  # online only; the answer is needed now (lookups, instant issue)
    QUEUED = "queued"  # durable in the outbox first, then a bounded wait for the answer (or Queued)
    ALWAYS_QUEUED = "always_queued"  # background: durable in the outbox, nobody waits
    UNQUEUED = "unqueued"  # heartbeat: never queued, no Idempotency-Key (its seq orders them)


@dataclass(frozen=True)
class Request(Generic[B, R]):
    name: str
    method: str
    path: str  # a template: {kiosk_id}, {application_id}
    body: type[B] | None
    response: type[R]
    route: Route
    timeout_s: float | None = None  # read timeout; None: the configured default
    priority: int | None = None  # queued only; None: the sending service's (kiosk.domain.services)

    @property
    def idempotent(self) -> bool:
        """Sends an Idempotency-Key: every state-changing request but the heartbeat."""
        return self.method != "GET" and self.route is not Route.UNQUEUED and self.name not in _READS


_READS = frozenset({"lookup_person", "person_photo", "application_status", "verify_face"})

HEALTH: Request[BaseModel, m.Health] = Request("health", "GET", "/v1/health", None, m.Health, Route.DIRECT, 3.0)
LOOKUP_PERSON = Request("lookup_person", "POST", "/v1/persons/lookup", b.PersonLookupBody, m.PersonLookup,
                        Route.DIRECT, 8.0)
PERSON_PHOTO = Request("person_photo", "POST", "/v1/persons/photo", b.IdNumberBody, m.Photo, Route.DIRECT, 10.0)
APPLY = Request("apply", "POST", "/v1/applications", b.ApplicationBody, m.ApplicationCreated, Route.DIRECT, 20.0)
# The same endpoint when the application is accepted for later (offline policy accept_for_later).
APPLY_LATER = Request("apply_later", "POST", "/v1/applications", b.ApplicationBody, m.ApplicationCreated,
                      Route.QUEUED, 20.0)
OPEN_BANK_ACCOUNT = Request("open_bank_account", "POST", "/v1/applications/{application_id}/bank-account",
                            b.CardHolderBody, m.BankAccount, Route.DIRECT, 20.0)
PRODUCTION_RESULT = Request("report_production_result", "POST",
                            "/v1/applications/{application_id}/production-result", b.ProductionResultBody,
                            m.ProductionAck, Route.ALWAYS_QUEUED, priority=10)
ACTIVATE_CARD = Request("activate_card", "POST", "/v1/cards/activate", b.ActivationBody, m.Activation,
                        Route.QUEUED)
REPORT_LOSS = Request("report_loss", "POST", "/v1/cards/loss-report", b.LossReportBody, m.LossReport, Route.QUEUED)
CANCEL_LOSS = Request("cancel_loss", "POST", "/v1/cards/loss-cancel", b.CardHolderBody, m.StatusResult,
                      Route.DIRECT)
AUTHORIZE_PIN_RESET = Request("authorize_pin_reset", "POST", "/v1/cards/pin-reset/authorize", b.PinResetBody,
                              m.PinResetAuthorization, Route.DIRECT, 10.0)
PIN_EVENT = Request("record_pin_event", "POST", "/v1/cards/pin-events", b.PinEventBody, m.Recorded,
                    Route.ALWAYS_QUEUED, priority=30)
CHANGE_CONTACT = Request("change_contact", "POST", "/v1/persons/contact", b.ContactBody, m.ContactChanged,
                         Route.QUEUED)
APPLICATION_STATUS = Request("application_status", "POST", "/v1/applications/status", b.IdNumberBody,
                             m.ApplicationStatusList, Route.DIRECT)
HEARTBEAT = Request("heartbeat", "POST", "/v1/kiosks/{kiosk_id}/heartbeat", b.HeartbeatBody, m.HeartbeatReply,
                    Route.UNQUEUED, 5.0)
EVENTS = Request("send_events", "POST", "/v1/kiosks/{kiosk_id}/events", b.EventsBody, m.EventsAccepted,
                 Route.ALWAYS_QUEUED, 10.0, priority=60)
STOCK_LEDGER = Request("send_stock_ledger", "POST", "/v1/kiosks/{kiosk_id}/stock-ledger", b.StockLedgerBody,
                       m.Recorded, Route.ALWAYS_QUEUED, priority=70)
AUDIT_HEAD: Request[BaseModel, m.AuditHead] = Request("audit_head", "GET", "/v1/kiosks/{kiosk_id}/audit-head", None,
                                                     m.AuditHead, Route.DIRECT, 10.0)
BATCH = Request("batch", "POST", "/v1/batch", b.BatchBody, m.BatchReply, Route.DIRECT, 30.0)
# e-card sign-in: online only (the central spends the code once), so never queued
ECARD_VERIFY = Request("verify_ecard", "POST", "/v1/ecard/verify", b.EcardVerifyBody, m.EcardIdentity,
                       Route.DIRECT, 8.0)
# issue 17 人证核验: the live face against the portrait on record, compared by the central
VERIFY_FACE = Request("verify_face", "POST", "/v1/identity/face-verify", b.FaceVerifyBody, m.FaceVerification,
                      Route.DIRECT, 15.0)
# document capture (高拍仪, issue 21 §3): one image per request, through the (encrypted) queue
SUBMIT_DOCUMENT = Request("submit_document", "POST", "/v1/documents", b.DocumentBody, m.DocumentRecorded,
                          Route.QUEUED, 20.0)
# SMS verification of a mobile (art. 16) and the replacement fee (arts. 33, 50): issue 21 §§2, 4
SEND_SMS_CODE = Request("send_sms_code", "POST", "/v1/sms/otp", b.SmsCodeBody, m.SmsCodeSent, Route.DIRECT, 8.0)
VERIFY_SMS_CODE = Request("verify_sms_code", "POST", "/v1/sms/verify", b.SmsVerifyBody, m.SmsVerified,
                          Route.DIRECT, 8.0)
CREATE_PAYMENT = Request("create_payment", "POST", "/v1/payments", b.PaymentBody, m.PaymentOrder, Route.DIRECT, 10.0)
# A long poll: the central holds the answer up to wait_s (≤ PAYMENT_POLL_MAX_S) while the order is pending.
PAYMENT_POLL_MAX_S = 5.0
PAYMENT_STATUS: Request[BaseModel, m.PaymentOrder] = Request(
    "payment_status", "GET", "/v1/payments/{payment_id}?wait={wait_s}", None, m.PaymentOrder, Route.DIRECT,
    PAYMENT_POLL_MAX_S + 5.0)
CANCEL_PAYMENT = Request("cancel_payment", "POST", "/v1/payments/{payment_id}/cancel", b.PaymentCancelBody,
                         m.PaymentOrder, Route.DIRECT, 10.0)

ALL: tuple[Request[BaseModel, BaseModel], ...] = (
    HEALTH, LOOKUP_PERSON, PERSON_PHOTO, APPLY, APPLY_LATER, OPEN_BANK_ACCOUNT, PRODUCTION_RESULT, ACTIVATE_CARD,
    REPORT_LOSS, CANCEL_LOSS, AUTHORIZE_PIN_RESET, PIN_EVENT, CHANGE_CONTACT, APPLICATION_STATUS, HEARTBEAT, EVENTS,
    STOCK_LEDGER, AUDIT_HEAD, BATCH, ECARD_VERIFY, VERIFY_FACE, SUBMIT_DOCUMENT,
    SEND_SMS_CODE, VERIFY_SMS_CODE, CREATE_PAYMENT, PAYMENT_STATUS, CANCEL_PAYMENT,
)  # type: ignore[assignment]  # Request is invariant in B and R; the table is read, never written through


@dataclass(frozen=True)
class Wire:
    """A request as it goes on the wire or into the offline queue."""

    method: str
    path: str
    content: bytes | None


def encode(req: Request[B, R], body: B | None, **path_params: str) -> Wire:
    """The one serializer: compact UTF-8 JSON, unset optional fields left out, path parameters escaped."""
    if (body is None) != (req.body is None) or (body is not None and req.body is not None
                                                and not isinstance(body, req.body)):
        raise TypeError(f"{req.name} takes a {req.body.__name__ if req.body else 'empty'} body")
    try:
        path = req.path.format(**{k: quote(v, safe="") for k, v in path_params.items()})
    except KeyError as exc:
        raise ValueError(f"{req.name}: path parameter {exc} missing") from None
    if body is None:
        return Wire(req.method, path, None)
    data = body.model_dump(mode="json", exclude_none=not getattr(body, "send_nulls", False))
    return Wire(req.method, path, json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
