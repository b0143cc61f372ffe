"""Pydantic models of the request bodies the kiosk sends (central-api.md v1).

They fix each body's shape (names, nesting, types); the central judges the values and answers
with every reason at once, so values are not validated twice. Unset optional fields are left
out of the JSON (``exclude_none``), as the contract's "optional" means "may be absent".
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    send_nulls: ClassVar[bool] = False  # True: a None is sent as null instead of left out


class PersonLookupBody(Body):
    """By ID number and name; a child with no ID card by the guardian who presented its 户口簿 page."""

    id_number: str
    name: str | None = None
    guardian_id_number: str | None = None


class IdNumberBody(Body):
    """Photo on record, progress query."""

    id_number: str


class Applicant(Body):
    name: str | None = None
    sex: str | None = None
    ethnicity: str | None = None
    birth_date: str | None = None
    id_type: str | None = None
    id_number: str | None = None
    id_valid_from: str | None = None
    id_valid_until: str | None = None
    nationality: str | None = None
    occupation: str | None = None
    mobile: str | None = None
    phone: str | None = None
    household_address: str | None = None
    residence_address: str | None = None
    postal_code: str | None = None
    medical_insurance: str | None = None
    # issue 21 §3: "household_register" — a child without an ID card, by the 户口簿's number (absent: the ID card)
    id_source: str | None = None


class Guardian(Body):
    name: str | None = None
    id_type: str | None = None
    id_number: str | None = None


class OtherCityCard(Body):
    city: str
    card_no: str


class IdentityCheckBody(Body):
    """人证核验 evidence carried with the transaction (issue 17): who compared, the result, and the
    version of the face-consent text the citizen agreed to (PIPL art. 29)."""

    verified_by: Literal["kiosk", "central"]
    method: str
    score: float
    threshold: float
    liveness_passed: bool
    consent_version: str
class DeliverLater(Body):
    """Arts. 16, 26: the card cannot be made on the spot; the applicant agreed to get it within
    ``working_days`` by the application's ``delivery`` (courier postage borne by the applicant)."""

    reasons: list[str]
    working_days: int
    postage_by_applicant: bool


class ApplicationBody(Body):
    kind: str
    applicant: Applicant
    bank_code: str | None = None
    delivery: str | None = None
    reason: str | None = None  # replacement only
    guardian: Guardian | None = None  # required under 14
    photo_jpeg_b64: str | None = None  # omitted under 2
    consent_stop_other_card: OtherCityCard | None = None
    identity_check: IdentityCheckBody | None = None  # issue 17: the applicant's (or guardian's) face check
    # issue 17 §4 (docs/central-api-additions.md): art. 3 voluntary applicant; art. 16/26 consent to deliver later
    voluntary: bool | None = None
    deliver_later: DeliverLater | None = None
    # issue 21 §2: the applicant's mobile confirmed by an SMS code (art. 16), or queued offline unconfirmed
    mobile_verification_id: str | None = None
    mobile_unverified: bool | None = None
    # issue 17 §4: offline the kiosk cannot look up the insurance status; the citizen's answer, checked on delivery
    insured_declared: bool | None = None
    insured_status_unverified: bool | None = None


class CardHolderBody(Body):
    """Bank account, activation, loss cancel: the card and its holder's ID number."""

    card_no: str
    id_number: str


class ActivationBody(CardHolderBody):
    requested_at: str | None = None  # RFC 3339, kiosk clock: dates a refusal that comes after a queued delivery


class ProductionResultBody(Body):
    result: Literal["success", "failed", "retained"]  # retained: not taken, retracted (after success)
    card_no: str | None = None
    failure_reason: str | None = None
    chip_atr: str | None = None
    card_id_code: str | None = None
    bank_account: str | None = None
    produced_at: str | None = None
    kiosk_id: str | None = None


class LossReportBody(Body):
    reported_at: str
    card_no: str | None = None  # one of the two: the card, or (offline) the holder's ID number
    id_number: str | None = None


class FaceMatchBody(Body):
    score: float
    threshold: float
    liveness_passed: bool
    method: str


class PinResetBody(Body):
    card_no: str
    id_number: str
    card_challenge: str  # hex
    face_match: FaceMatchBody
    pin_block: str | None = None  # hex, from the PIN pad (production)
    new_pin: str | None = None  # simulator mode only


class PinEventBody(Body):
    card_no: str
    event: str
    at: str


class ContactBody(Body):
    id_number: str
    mobile: str | None = None
    phone: str | None = None
    residence_address: str | None = None
    postal_code: str | None = None
    identity_check: IdentityCheckBody | None = None  # issue 17
    mobile_verification_id: str | None = None  # the new mobile was confirmed by an SMS code (art. 16)
    mobile_unverified: bool | None = None  # queued offline without confirmation (the receipt says so)
    requested_at: str | None = None  # RFC 3339, kiosk clock: dates a refusal that comes after a queued delivery
    proxy_id_number: str | None = None  # art. 51: made by this proxy; the central checks the proxy's papers


class StockLedgerBody(Body):
    date: str
    entries: list[dict[str, Any]]  # the day's ledger lines (kiosk.stock_ledger.StockLedger.upload_body)


class EventsBody(Body):
    events: list[dict[str, Any]]  # masked by their producers (kiosk.alarms, maintenance)


class HeartbeatBody(Body):
    """The heartbeat's state fields are built by kiosk.link_heartbeat.state_fields; passed through as they are."""

    model_config = ConfigDict(extra="allow", frozen=True)
    send_nulls: ClassVar[bool] = True  # e.g. last_success_at: null before the first success


class BatchBody(Body):
    items: list[dict[str, Any]]


# e-card sign-in
class EcardVerifyBody(Body):
    """The code the citizen's e-card app shows: opaque to the kiosk, a credential (never in a repr)."""

    code: str = Field(repr=False)
# issue 17 人证核验: the central compares when the kiosk has no WLT photo decoder
class FaceVerifyBody(Body):
    id_number: str
    live_jpeg_b64: str
    liveness_passed: bool
    consent_version: str
# --- document capture (高拍仪), issue 21 §3 ---
class DocumentBody(Body):
    """One captured document for the central's review: a guardian's proof of relationship, or a
    proxy's authorisation letter and ID cards (arts. 16, 51). ``case_id`` ties a session's documents
    together; ``subject`` is the person the service is for, ``presenter`` the one at the kiosk."""

    case_id: str
    service: str
    purpose: Literal["guardian", "proxy"]
    kind: str
    subject_id_number: str
    presenter_id_number: str
    captured_at: str
    jpeg_b64: str
    sharpness: float | None = None
    glare: float | None = None
# ---- SMS verification and fee payment (issue 21 §§2, 4) ----------------------------------------------
class SmsCodeBody(Body):
    mobile: str
    purpose: Literal["contact_change", "apply"]


class SmsVerifyBody(Body):
    otp_id: str
    mobile: str
    code: str = Field(repr=False)  # never in a log line or a traceback


class PaymentBody(Body):
    application_id: str
    amount_fen: int  # the amount the citizen was told before committing (kiosk.domain.fees)


class PaymentCancelBody(Body):
    reason: Literal["cancelled", "timed_out"]
