"""The contract's request and response bodies as typed models (central-api.md v1).

The central validates every request body against these models at the edge (central.py), and the
OpenAPI document (openapi.py, docs/openapi.json) is generated from the same classes. The split:
- structure, types, sizes and ranges are checked here (strict: no "5" for 5, no 1 for true);
  a body that breaks them is 422 ``invalid_body`` with one reason per field;
- the citizen's form values (enumerations such as ``delivery``, ID checksums, dates, phone
  patterns) stay with the handlers, which report every problem at once (一次性告知); the schema
  still lists their allowed values (``enum`` from the handlers' own tuples).
Machine-written fields (heartbeat, events) are enforced here in full, enumerations included.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from central_sim.applications import DELIVERIES, ID_SOURCES, INSURANCE, KINDS, REPLACEMENT_REASONS
from central_sim.documents import ALL_SERVICES as DOC_SERVICES
from central_sim.documents import KINDS as DOC_KINDS
from central_sim.documents import PURPOSES as DOC_PURPOSES
from central_sim.errors import ApiError
from central_sim.persons import APPLICATION_STATUSES, TIMELINE_STATUSES
from central_sim.refusals import SERVICES as REFUSAL_SERVICES

# --- vocabulary of the machine-written parts (fleet.py uses these tuples) ------------------------
Mode = Literal["in_service", "out_of_service", "maintenance", "starting"]
CommandType = Literal["set_mode", "flush_queue", "upload_diagnostics", "reload_config", "restart_app", "run_self_tests",
                      "upload_stock_ledger", "update"]  # run_self_tests, upload_stock_ledger: console actions
EventType = Literal["device_alarm", "device_recovered", "technician_action", "command_result", "transaction_outcome"]
Severity = Literal["info", "warning", "critical"]
MODES: tuple[str, ...] = get_args(Mode)
COMMANDS: tuple[str, ...] = get_args(CommandType)
EVENT_TYPES: tuple[str, ...] = get_args(EventType)
SEVERITIES: tuple[str, ...] = get_args(Severity)

KIOSK_ID_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"
# 交易号 on a receipt: the kiosk's time to the second, its id's last 4 characters, 6 random hex digits
TRANSACTION_NO_PATTERN = r"^[0-9]{14}-[A-Za-z0-9._-]{1,4}-[0-9A-F]{6}$"
MAX_SEQ = 2**31 - 1  # the kiosks.last_seq column is a 32-bit INTEGER on PostgreSQL
MAX_COUNT = 2**53 - 1  # counters and byte sizes: exact in every JSON reader
MAX_EVENTS = 500
MAX_BATCH = 100
MAX_DEVICES = 64

KioskId = Annotated[str, Field(pattern=KIOSK_ID_PATTERN)]
Name = Annotated[str, Field(min_length=1, max_length=64)]
Short = Annotated[str, Field(max_length=64)]
Text = Annotated[str, Field(max_length=200)]
Long = Annotated[str, Field(max_length=1000)]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
Seconds = Annotated[float, Field(ge=0, le=1e10, allow_inf_nan=False)]
PhotoB64 = Annotated[str, Field(max_length=700_000)]  # base64 of a JPEG well under 512 KB
ConsentVersion = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")]  # issue 17: face-consent-2026-01
Uuid = Annotated[str, Field(pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]


# Form values the handlers judge (so every reason is told at once); the schema lists the allowed ones.
Sex = Annotated[str, Field(max_length=64, json_schema_extra={"enum": ["1", "2", "9"]},
                           description="GB/T 2261.1: 1 male, 2 female, 9 unstated")]
Insurance = Annotated[str, Field(max_length=64, json_schema_extra={"enum": list(INSURANCE)})]
Kind = Annotated[str, Field(max_length=64, json_schema_extra={"enum": list(KINDS)})]
IdSource = Annotated[str, Field(max_length=64, json_schema_extra={"enum": list(ID_SOURCES)},
                                description="absent: id_card")]
ReplacementReason = Annotated[str, Field(max_length=64, json_schema_extra={"enum": list(REPLACEMENT_REASONS)},
                                         description="replacement only")]
Delivery = Annotated[str, Field(max_length=64, json_schema_extra={"enum": list(DELIVERIES)})]
ProductionOutcome = Annotated[str, Field(max_length=64,
                                         json_schema_extra={"enum": ["success", "failed", "retained"]})]
PinEventKind = Annotated[str, Field(max_length=64, json_schema_extra={"enum": ["changed", "reset", "locked"]})]


class _In(BaseModel):
    """Request bodies: strict types; unknown extra fields are ignored (central-api.md)."""

    model_config = ConfigDict(strict=True, extra="ignore")


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- requests --------------------------------------------------------------------------------------

class PersonQuery(_In):
    """lookup: ``id_number`` and ``name``, or ``id_number`` and ``guardian_id_number`` for a child with no
    ID card; photo and status: ``id_number`` (missing ones are reasons)."""

    id_number: Short | None = None
    name: Text | None = None
    guardian_id_number: Short | None = Field(
        default=None, description="lookup of a child with no ID card, in place of the name: the guardian who "
                                  "presented the child's 户口簿 page (POST /v1/documents) at this kiosk session")


class Applicant(_In):
    name: Text | None = None
    sex: Sex | None = None
    ethnicity: Short | None = None
    birth_date: Short | None = None
    id_type: Short | None = None
    id_number: Short | None = None
    id_valid_from: Short | None = None
    id_valid_until: Short | None = None
    nationality: Short | None = None
    occupation: Text | None = None
    mobile: Short | None = None
    phone: Short | None = None
    household_address: Text | None = None
    residence_address: Text | None = None
    postal_code: Short | None = None
    medical_insurance: Insurance | None = None
    # issue 21 §3: a child without an ID card, by the 户口簿's number; name, ethnicity, household address and
    # ID validity may then be absent (the register's, reviewed against the page); never made on the spot
    id_source: IdSource | None = None


class Guardian(_In):
    name: Text | None = None
    id_type: Short | None = None
    id_number: Short | None = None


class DeliverLaterConsent(_In):
    """Arts. 16, 26 (issue 17 §4): why the card was not made on the spot, the delivery time the applicant
    agreed to, and whether the applicant bears the courier's postage."""

    reasons: list[Short] = Field(default_factory=list, max_length=10)
    working_days: int = Field(ge=1, le=60)
    postage_by_applicant: bool = False


class OtherCardConsent(_In):
    city: Text | None = None
    card_no: Short | None = None


class IdentityCheckIn(_In):
    """人证核验 evidence the kiosk attaches (issue 17): who compared, the result, the consent text's version."""

    verified_by: Literal["kiosk", "central"] | None = None
    method: Short | None = None
    score: float | None = Field(default=None, ge=0, le=1, allow_inf_nan=False)
    threshold: float | None = Field(default=None, ge=0, le=1, allow_inf_nan=False)
    liveness_passed: bool | None = None
    consent_version: ConsentVersion | None = None


class ApplicationIn(_In):
    kind: Kind | None = None
    reason: ReplacementReason | None = None
    applicant: Applicant | None = None
    guardian: Guardian | None = None
    photo_jpeg_b64: PhotoB64 | None = None
    consent_stop_other_card: OtherCardConsent | None = None
    bank_code: Short | None = None
    delivery: Delivery | None = None
    identity_check: IdentityCheckIn | None = None  # issue 17: the applicant's (or guardian's) face check
    # issue 17 §4: art. 3 voluntary applicant (not insured); arts. 16/26 consent to deliver later
    voluntary: bool | None = None
    deliver_later: DeliverLaterConsent | None = None
    # applysms (issue 21 §2, issue 17 §4): the mobile confirmed by SMS, or queued offline unconfirmed; offline
    # the insurance status is the citizen's own answer, checked by the central on delivery
    mobile_verification_id: Short | None = None
    mobile_unverified: bool | None = None
    insured_declared: bool | None = None
    insured_status_unverified: bool | None = None


class BankAccountIn(_In):
    id_number: Short | None = None
    card_no: Short | None = None


class ProductionResultIn(_In):
    result: ProductionOutcome | None = None
    failure_reason: Text | None = None
    card_no: Short | None = None
    chip_atr: Short | None = None
    card_id_code: Short | None = None
    bank_account: Short | None = None
    produced_at: Short | None = None
    kiosk_id: KioskId | None = Field(default=None, description="must be the sending kiosk")


class CardQuery(_In):
    """loss-cancel (and activate, with ActivationIn's ``requested_at``): ``card_no`` and ``id_number``."""

    card_no: Short | None = None
    id_number: Short | None = None


REQUESTED_AT = ("when the citizen made the request at the kiosk (RFC 3339, kiosk clock): dates a refusal that "
                "comes after a queued delivery, and decides whether the citizen is texted about it")


class ActivationIn(CardQuery):
    requested_at: Short | None = Field(default=None, description=REQUESTED_AT)


class LossReportIn(_In):
    card_no: Short | None = None
    id_number: Short | None = None
    reported_at: Short | None = None


class FaceMatch(_In):
    score: float | None = Field(default=None, ge=-1e6, le=1e6, allow_inf_nan=False)
    threshold: float | None = Field(default=None, ge=-1e6, le=1e6, allow_inf_nan=False)
    liveness_passed: bool | None = None
    method: Short | None = None


class PinResetIn(_In):
    card_no: Short | None = None
    id_number: Short | None = None
    card_challenge: Short | None = None
    pin_block: Text | None = None
    new_pin: Short | None = None
    face_match: FaceMatch | None = None


class PinEventIn(_In):
    card_no: Short | None = None
    event: PinEventKind | None = None
    at: Short | None = None


class ContactIn(_In):
    id_number: Short | None = None
    mobile: Short | None = None
    phone: Short | None = None
    residence_address: Text | None = None
    postal_code: Short | None = None
    identity_check: IdentityCheckIn | None = None  # issue 17: the citizen's face check
    mobile_verification_id: Short | None = None  # from /v1/sms/verify: the new mobile was confirmed by SMS
    mobile_unverified: bool | None = None  # queued offline: the mobile could not be confirmed (receipt says so)
    requested_at: Short | None = Field(default=None, description=REQUESTED_AT)
    proxy_id_number: Short | None = Field(default=None, description=(
        "art. 51: the proxy who made the change; refused (422 proxy_documents_missing) unless the central holds "
        "the letter and both ID cards that proxy presented for this person"))


class Device(_In):
    model_config = ConfigDict(strict=True, extra="allow")
    state: Short | None = None
    media: Short | None = None
    supplies: dict[Name, Short] = Field(default_factory=dict, max_length=32)
    counters: dict[Name, Count] = Field(default_factory=dict, max_length=32)
    last_error: Annotated[str, Field(max_length=2000)] | None = None
    action: Short | None = None


class Link(_In):
    online: bool = True
    last_success_at: Short | None = None
    consecutive_failures: Count = 0


class QueueState(_In):
    depth: Count = 0
    oldest_age_s: Seconds = 0.0
    dead_letters: Count = 0
    bytes: Count = 0


class AuditAnchor(_In):
    """The kiosk's audit-log anchor (sequence number and hash-chain head)."""

    seq: Count
    head: str = Field(pattern=r"^[0-9a-f]{64}$")


class Heartbeat(_In):
    """Known fields are typed; fields a newer kiosk adds are kept as sent (bounded by the body limit)."""

    model_config = ConfigDict(strict=True, extra="allow")
    kiosk_id: KioskId
    seq: int = Field(ge=0, le=MAX_SEQ, description="increases within one boot_id; persisted across restarts")
    boot_id: Uuid | None = Field(default=None, description="new at every kiosk process start; a new boot_id "
                                 "restarts the seq ordering (a kiosk restored from an image)")
    mode: Mode
    sent_at: Short | None = None
    app_version: Short | None = None
    uptime_s: Seconds = 0.0
    in_transaction: bool = False
    devices: dict[Name, Device] = Field(default_factory=dict, max_length=MAX_DEVICES)
    link: Link | None = None
    queue: QueueState | None = None
    disk_free_bytes: int = Field(default=-1, ge=-1, le=MAX_COUNT, description="-1 when unknown")
    heartbeat_interval_s: float = Field(default=30.0, gt=0, le=86400, allow_inf_nan=False)
    audit: AuditAnchor | None = None


class Event(_In):
    model_config = ConfigDict(strict=True, extra="allow")
    event_id: Annotated[str, Field(min_length=1, max_length=64)]
    at: Short
    type: EventType
    severity: Severity
    device: Short | None = None
    code: Annotated[str, Field(max_length=200)] = ""  # stored cut to 80
    message: Annotated[str, Field(max_length=4000)] = ""  # stored cut to 500
    command_id: Short | None = None
    # transaction_outcome: the number on the citizen's receipt (kiosk.flows.base.new_transaction_no)
    transaction_no: Annotated[str, Field(pattern=TRANSACTION_NO_PATTERN)] | None = None


class EventsIn(_In):
    events: list[Event] = Field(min_length=1, max_length=MAX_EVENTS)


class LedgerEntry(_In):
    model_config = ConfigDict(strict=True, extra="allow")
    item: Short | None = None
    opening: Count | None = None
    received: Count | None = None
    issued: Count | None = None
    spoiled: Count | None = None
    closing: Count | None = None


class StockLedgerIn(_In):
    date: Short | None = None
    entries: list[LedgerEntry] = Field(max_length=200)


class BatchItem(_In):
    idempotency_key: Annotated[str, Field(min_length=1, max_length=100)]
    method: Literal["POST"] = "POST"
    path: Annotated[str, Field(max_length=200)]
    body: dict[str, Any] | None = None


class BatchIn(_In):
    items: list[BatchItem] = Field(min_length=1, max_length=MAX_BATCH)


# --- responses -------------------------------------------------------------------------------------

class Health(_Out):
    status: Literal["ok"]
    server_time: str


class Card(_Out):
    card_no: str
    city: str
    city_name: str
    status: Literal["normal", "loss_reported", "suspended", "cancelled", "in_production"]
    issued_at: str | None
    bank_code: str
    collected_at: str | None


class ApplicationRef(_Out):
    application_id: str
    status: str
    kind: str


class PersonLookup(_Out):
    insured: bool
    medical_insurance: Literal["employee", "resident", "none"]
    insured_city: str
    transfer_pending: bool
    cards: list[Card]
    photo_on_file: bool
    applications: list[ApplicationRef]


class Photo(_Out):
    photo_jpeg_b64: str


class StoppedCard(_Out):
    city: str
    card_no: str


class ApplicationCreated(_Out):
    application_id: str
    ssn: str
    card_no: str
    status: Literal["approved"]
    free_of_charge: bool
    stopped_other_card: StoppedCard | None


class BankAccount(_Out):
    account_no: str
    account_class: Literal["I"]


class ProductionAck(_Out):
    status: Literal["produced", "production_failed", "retained_for_pickup"]
    card_status: str | None = None


class Activation(_Out):
    status: str
    medical_insurance_linked: bool


class FrozenCard(_Out):
    card_no: str
    effective_at: str


class LossReport(_Out):
    status: Literal["loss_reported"]
    effective_at: str
    cards: list[FrozenCard]


class StatusResult(_Out):
    status: str
    effective_at: str


class PinResetAuthorization(_Out):
    authorization_id: str
    apdu_hex: str = Field(pattern=r"^([0-9A-F]{2}){5,261}$")
    expires_at: str


class Recorded(_Out):
    recorded: bool


class ContactChanged(_Out):
    updated: list[str]
    updated_at: str


class TimelineEntry(_Out):
    status: str = Field(json_schema_extra={"enum": list(TIMELINE_STATUSES)})
    at: str
    note: str


class ApplicationProgress(_Out):
    application_id: str
    kind: str
    reason: str | None
    status: str = Field(json_schema_extra={"enum": list(APPLICATION_STATUSES)})
    card_no: str
    delivery: str
    created_at: str
    timeline: list[TimelineEntry]
    reasons: list[ErrorReason] = Field(default_factory=list, description="why one accepted offline was refused")


class RefusedRequest(_Out):
    """A loss report, contact change or activation refused after a kiosk took it (central_sim/refusals.py)."""

    request_id: str
    service: str = Field(json_schema_extra={"enum": list(REFUSAL_SERVICES)})
    submitted_at: str | None = Field(description="when the citizen made it, where the request says "
                                                 "(reported_at, requested_at)")
    refused_at: str
    code: str
    reasons: list[ErrorReason]


class ApplicationStatusList(_Out):
    applications: list[ApplicationProgress]
    refused_requests: list[RefusedRequest] = Field(
        default_factory=list, description="requests the citizen left a kiosk with a receipt for, refused on delivery")


class Command(BaseModel):
    """A remote command; ``set_mode`` carries ``mode`` and ``message``, others may carry more."""

    model_config = ConfigDict(extra="allow")
    id: str
    type: CommandType
    mode: Mode | None = None
    message: str | None = None


class HeartbeatReply(_Out):
    server_time: str
    commands: list[Command]


class AnchoredHead(_Out):
    seq: int = Field(ge=0)
    head: str


class AuditHead(_Out):
    """What the central anchored of a kiosk's audit chain (central_sim/audit_anchor.py), newest first."""

    seq: int | None
    head: str | None
    problem: str
    problem_at: str
    anchors: list[AnchoredHead]


class EventsAccepted(_Out):
    accepted: int = Field(ge=0)


class LedgerRecorded(_Out):
    recorded: bool
    date: str
    entries: int = Field(ge=0)


class ErrorReason(_Out):
    code: str
    message: str


class ErrorDetail(_Out):
    code: str
    message: str
    reasons: list[ErrorReason]


class ErrorBody(_Out):
    error: ErrorDetail


class BatchResult(_Out):
    idempotency_key: str
    status: int
    body: dict[str, Any]
    replayed: bool


class BatchReply(_Out):
    results: list[BatchResult]


# --- e-card sign-in (central_sim/ecard.py) ----------------------------------------------------------

class EcardVerifyIn(_In):
    code: Annotated[str, Field(min_length=1, max_length=512, description="the code the e-card app shows; opaque")]


class EcardIdentity(_Out):
    id_number: str
    name: str
    sex: str
    birth_date: str
    verified_at: str
# --- document capture (高拍仪, issue 21 §3) -----------------------------------------------------------
DocumentJpegB64 = Annotated[str, Field(max_length=960_000, description="base64 of one JPEG, 2–700 KB")]


class DocumentIn(_In):
    """One captured document for review: the handler judges the values (every reason at once)."""

    case_id: Short | None = None
    service: Annotated[str, Field(max_length=64, json_schema_extra={"enum": list(DOC_SERVICES)})] | None = None
    purpose: Annotated[str, Field(max_length=64, json_schema_extra={"enum": list(DOC_PURPOSES)})] | None = None
    kind: Annotated[str, Field(max_length=64, json_schema_extra={"enum": list(DOC_KINDS)})] | None = None
    subject_id_number: Short | None = Field(default=None, description="the person the service is for")
    presenter_id_number: Short | None = Field(default=None, description="the guardian or proxy at the kiosk")
    captured_at: Short | None = None
    jpeg_b64: DocumentJpegB64 | None = None
    sharpness: float | None = Field(default=None, ge=0, le=1e9, allow_inf_nan=False)
    glare: float | None = Field(default=None, ge=0, le=1, allow_inf_nan=False)


class DocumentRecorded(_Out):
    document_id: str
    review_status: Literal["pending_review"]
    received_at: str
# --- SMS verification and fee payment (issue 21 §§2, 4; central_sim/sms.py, central_sim/payments.py) ---
class SmsCodeIn(_In):
    mobile: Short | None = None
    purpose: Annotated[str, Field(max_length=64, json_schema_extra={"enum": ["contact_change", "apply"]})] | None = None


class SmsVerifyIn(_In):
    otp_id: Short | None = None
    mobile: Short | None = None
    code: Short | None = None


class SmsCodeSent(_Out):
    otp_id: str
    expires_at: str
    valid_s: int = Field(ge=0)
    resend_after_s: int = Field(ge=0)
    code_length: int = Field(ge=1)


class SmsVerified(_Out):
    status: Literal["verified", "wrong", "void", "expired"]
    tries_left: int = Field(ge=0)
    verification_id: str | None


class PaymentIn(_In):
    application_id: Short | None = None
    amount_fen: int | None = Field(default=None, ge=0, le=10_000_000)


class PaymentCancelIn(_In):
    reason: Annotated[str, Field(max_length=64, json_schema_extra={"enum": ["cancelled", "timed_out"]})] | None = None


class PaymentOrder(_Out):
    payment_id: str
    application_id: str
    amount_fen: int = Field(ge=0)
    status: Literal["pending", "paid", "voided", "refunded"]
    qr_payload: str
    expires_at: str
    receipt_no: str | None  # 电子非税票据号, once paid
    void_reason: str | None
    paid_at: str | None
    refund_fen: int = Field(ge=0)


# --- the route table's bodies ------------------------------------------------------------------

REQUESTS: dict[str, type[_In]] = {
    "/v1/persons/lookup": PersonQuery,
    "/v1/persons/photo": PersonQuery,
    "/v1/applications": ApplicationIn,
    "/v1/applications/{application_id}/bank-account": BankAccountIn,
    "/v1/applications/{application_id}/production-result": ProductionResultIn,
    "/v1/cards/activate": ActivationIn,
    "/v1/cards/loss-report": LossReportIn,
    "/v1/cards/loss-cancel": CardQuery,
    "/v1/cards/pin-reset/authorize": PinResetIn,
    "/v1/cards/pin-events": PinEventIn,
    "/v1/persons/contact": ContactIn,
    "/v1/applications/status": PersonQuery,
    "/v1/kiosks/{kiosk_id}/heartbeat": Heartbeat,
    "/v1/kiosks/{kiosk_id}/events": EventsIn,
    "/v1/kiosks/{kiosk_id}/stock-ledger": StockLedgerIn,
    "/v1/batch": BatchIn,
    "/v1/ecard/verify": EcardVerifyIn,  # e-card sign-in
    "/v1/documents": DocumentIn,  # document capture
    # SMS verification and fee payment (issue 21 §§2, 4)
    "/v1/sms/otp": SmsCodeIn,
    "/v1/sms/verify": SmsVerifyIn,
    "/v1/payments": PaymentIn,
    "/v1/payments/{payment_id}/cancel": PaymentCancelIn,
}

RESPONSES: dict[str, tuple[int, type[BaseModel]]] = {
    "/v1/health": (200, Health),
    "/v1/persons/lookup": (200, PersonLookup),
    "/v1/persons/photo": (200, Photo),
    "/v1/applications": (201, ApplicationCreated),
    "/v1/applications/{application_id}/bank-account": (200, BankAccount),
    "/v1/applications/{application_id}/production-result": (200, ProductionAck),
    "/v1/cards/activate": (200, Activation),
    "/v1/cards/loss-report": (200, LossReport),
    "/v1/cards/loss-cancel": (200, StatusResult),
    "/v1/cards/pin-reset/authorize": (200, PinResetAuthorization),
    "/v1/cards/pin-events": (200, Recorded),
    "/v1/persons/contact": (200, ContactChanged),
    "/v1/applications/status": (200, ApplicationStatusList),
    "/v1/kiosks/{kiosk_id}/heartbeat": (200, HeartbeatReply),
    "/v1/kiosks/{kiosk_id}/events": (200, EventsAccepted),
    "/v1/kiosks/{kiosk_id}/audit-head": (200, AuditHead),
    "/v1/kiosks/{kiosk_id}/stock-ledger": (200, LedgerRecorded),
    "/v1/batch": (200, BatchReply),
    "/v1/ecard/verify": (200, EcardIdentity),  # e-card sign-in
    "/v1/documents": (201, DocumentRecorded),  # document capture
    # SMS verification and fee payment (issue 21 §§2, 4)
    "/v1/sms/otp": (201, SmsCodeSent),
    "/v1/sms/verify": (200, SmsVerified),
    "/v1/payments": (201, PaymentOrder),
    "/v1/payments/{payment_id}": (200, PaymentOrder),
    "/v1/payments/{payment_id}/cancel": (200, PaymentOrder),
}

MAX_REASONS = 50


def _reason_code(kind: str, loc: tuple[int | str, ...]) -> str:
    name = "_".join(str(p) for p in loc) or "body"
    return re.sub(r"[^a-z0-9_]+", "_", f"{kind}_{name}".lower()).strip("_")[:80]


def validation_reasons(exc: ValidationError) -> list[dict[str, str]]:
    """One contract reason per field: ``missing_<field>`` or ``invalid_<field>`` (path joined by ``_``)."""
    out: list[dict[str, str]] = []
    for err in exc.errors(include_url=False, include_input=False)[:MAX_REASONS]:
        loc = tuple(err["loc"])
        where = ".".join(str(p) for p in loc) or "body"
        if err["type"] == "missing":
            out.append({"code": _reason_code("missing", loc), "message": f"缺少字段 {where}"})
        else:
            out.append({"code": _reason_code("invalid", loc), "message": f"字段 {where} 不符合接口约定：{err['msg']}"})
    return out


def validate(model: type[BaseModel], body: Any) -> BaseModel:
    """The body as ``model``, or ApiError 422 ``invalid_body`` naming every field that breaks the contract."""
    if not isinstance(body, dict):
        raise ApiError(422, "invalid_body", "请求体必须是 JSON 对象",
                       [{"code": "invalid_body", "message": "请求体必须是 JSON 对象"}])
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise ApiError(422, "invalid_body", "请求内容不符合接口约定", validation_reasons(exc)) from None


# --- issue 17 人证核验: POST /v1/identity/face-verify ------------------------------------------------

class FaceVerifyIn(_In):
    id_number: Short | None = None
    live_jpeg_b64: PhotoB64 | None = None
    liveness_passed: bool | None = None
    consent_version: ConsentVersion | None = None


class FaceVerification(_Out):
    match: bool
    score: float
    threshold: float
    reason: Literal["face_matched", "face_mismatch", "no_face_live", "no_face_reference"]
    method: str
    consent_version: str


REQUESTS["/v1/identity/face-verify"] = FaceVerifyIn
RESPONSES["/v1/identity/face-verify"] = (200, FaceVerification)
