"""Pydantic models of the central's responses (central-api.md v1). Unknown extra fields are ignored;
a missing field or an out-of-contract value is a validation error (→ CentralProtocolError)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

CardStatus = Literal["normal", "loss_reported", "suspended", "cancelled", "in_production"]
Mode = Literal["in_service", "out_of_service", "maintenance", "starting"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Health(_Model):
    status: Literal["ok"]
    server_time: str


class Card(_Model):
    card_no: str
    city: str  # region code, e.g. 350100
    city_name: str = ""  # e.g. 福州市
    status: CardStatus
    issued_at: str | None = None
    bank_code: str = ""
    collected_at: str | None = None


class ApplicationRef(_Model):
    application_id: str
    status: str
    kind: str | None = None


class PersonLookup(_Model):
    insured: bool
    medical_insurance: Literal["employee", "resident", "none"]
    insured_city: str
    cards: list[Card]
    photo_on_file: bool
    applications: list[ApplicationRef]
    transfer_pending: bool = False


class Photo(_Model):
    photo_jpeg_b64: str


class ApplicationCreated(_Model):
    application_id: str
    ssn: str
    card_no: str
    status: Literal["approved"]
    free_of_charge: bool = False
    stopped_other_card: dict[str, str] | None = None


class BankAccount(_Model):
    account_no: str
    account_class: Literal["I"]


class StatusResult(_Model):
    status: str
    effective_at: str | None = None


class Activation(_Model):
    status: str
    medical_insurance_linked: bool | None = None


class FrozenCard(_Model):
    card_no: str
    effective_at: str


class LossReport(_Model):
    status: Literal["loss_reported"]
    effective_at: str
    cards: list[FrozenCard] = Field(default_factory=list)


class PinResetAuthorization(_Model):
    authorization_id: str
    apdu_hex: str = Field(pattern=r"^([0-9A-Fa-f]{2}){5,261}$")
    expires_at: str


class Recorded(_Model):
    recorded: bool = True


class ContactChanged(_Model):
    updated: list[str]
    updated_at: str | None = None


class TimelineEntry(_Model):
    status: str
    at: str
    note: str = ""


class ErrorReason(_Model):
    code: str
    message: str = ""


class ApplicationProgress(_Model):
    application_id: str
    kind: str
    status: str
    timeline: list[TimelineEntry]
    reason: str | None = None
    card_no: str | None = None
    delivery: str | None = None
    created_at: str | None = None
    reasons: list[ErrorReason] = Field(default_factory=list)  # why one accepted offline was refused


class RefusedRequest(_Model):
    """A loss report, contact change or activation the central refused after a kiosk took it."""

    request_id: str
    service: Literal["loss_report", "contact_change", "activation"]
    refused_at: str
    code: str
    submitted_at: str | None = None
    reasons: list[ErrorReason] = Field(default_factory=list)


class ApplicationStatusList(_Model):
    applications: list[ApplicationProgress]
    refused_requests: list[RefusedRequest] = Field(default_factory=list)


class Command(_Model):
    model_config = ConfigDict(extra="allow", frozen=True)
    id: str
    type: Literal["set_mode", "flush_queue", "upload_diagnostics", "reload_config", "restart_app", "update",
                  "run_self_tests", "upload_stock_ledger"]
    mode: Mode | None = None
    message: str | None = None


class HeartbeatReply(_Model):
    server_time: str
    commands: list[Any]  # validated one by one (an unknown or malformed command must not drop the others)


class EventsAccepted(_Model):
    accepted: int


class ProductionAck(_Model):
    status: str


class ErrorDetail(_Model):
    code: str
    message: str = ""
    reasons: list[ErrorReason] = Field(default_factory=list)


class ErrorBody(_Model):
    error: ErrorDetail


class BatchResult(_Model):
    idempotency_key: str
    status: int
    body: Any = None
    replayed: bool = False


class BatchReply(_Model):
    results: list[BatchResult]


class AnchoredHead(_Model):
    seq: int = Field(ge=0)
    head: str = Field(pattern=r"^[0-9a-f]{64}$")


class AuditHead(_Model):
    """GET /v1/kiosks/{id}/audit-head: the heads the central anchored (newest first) and its finding."""

    seq: int | None = None
    head: str | None = None
    problem: str = ""
    anchors: list[AnchoredHead] = Field(default_factory=list, max_length=10_000)


# e-card sign-in
class EcardIdentity(_Model):
    """POST /v1/ecard/verify: the person the e-card code names (personal data: no repr)."""

    id_number: str
    name: str
    sex: str
    birth_date: str
    verified_at: str

    def __repr__(self) -> str:
        return "EcardIdentity(<personal data>)"
# issue 17 人证核验: POST /v1/identity/face-verify (never a portrait)
class FaceVerification(_Model):
    match: bool
    score: float
    threshold: float
    reason: str
    method: str = ""
class DocumentRecorded(_Model):  # document capture (issue 21 §3)
    document_id: str
    review_status: str  # pending_review: a reviewer at the centre looks at it later
    received_at: str = ""
# ---- SMS verification and fee payment (issue 21 §§2, 4) ----------------------------------------------
class SmsCodeSent(_Model):
    otp_id: str
    expires_at: str
    valid_s: int = 300
    resend_after_s: int = 60
    code_length: int = 6


class SmsVerified(_Model):
    status: Literal["verified", "wrong", "void", "expired"]
    tries_left: int
    verification_id: str | None = None


class PaymentOrder(_Model):
    payment_id: str
    application_id: str
    amount_fen: int
    status: Literal["pending", "paid", "voided", "refunded"]
    qr_payload: str
    expires_at: str
    receipt_no: str | None = None  # 电子非税票据号, once paid
    void_reason: str | None = None
