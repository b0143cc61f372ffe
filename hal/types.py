"""Data the devices return. Plain frozen dataclasses: no I/O, no formatting."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True, repr=False)
class IdCardData:
    """What a second-generation resident ID card holds (the SAM's text block + photo)."""

    name: str
    sex_code: str  # "1" male, "2" female, "0"/"9" unknown
    ethnicity_code: str  # GB 3304 two digits
    birth_date: dt.date
    address: str
    id_number: str
    issuer: str
    valid_from: dt.date
    valid_until: dt.date | None  # None = 长期 (no expiry)
    photo_wlt: bytes = b""
    photo_bmp: bytes | None = None  # decoded by an optional WLT plug-in

    def __repr__(self) -> str:  # never let a repr leak personal data into a log
        return "IdCardData(<personal data>)"


@dataclass(frozen=True, repr=False)
class SsCardData:
    """What EF05/EF06 of the SSSE application hold."""

    atr: str
    card_id_code: str
    card_type: str
    spec_version: str
    issue_date: dt.date | None
    expiry_date: dt.date | None
    card_no: str
    ssn: str
    name: str
    sex: str
    ethnicity: str
    birth_place: str
    birth_date: dt.date | None

    def __repr__(self) -> str:
        return "SsCardData(<personal data>)"


@dataclass(frozen=True, repr=False)
class CardPersonalisation:
    """Data written to a blank card's chip at the encoder station."""

    card_id_code: str
    card_type: str
    spec_version: str
    issue_date: dt.date
    expiry_date: dt.date
    card_no: str
    ssn: str
    name: str
    sex: str
    ethnicity: str
    birth_place: str
    birth_date: dt.date
    initial_pin: str = "888888"

    def __repr__(self) -> str:
        return "CardPersonalisation(<personal data>)"


class PinOutcome(StrEnum):
    OK = "ok"
    WRONG = "wrong"  # tries_left says how many remain
    LOCKED = "locked"
    NO_CARD = "no_card"
    CARD_REMOVED = "card_removed"
    REFUSED = "refused"  # e.g. the card refuses the new PIN


@dataclass(frozen=True)
class PinResult:
    outcome: PinOutcome
    tries_left: int | None = None
    sw: str = ""


class ApduOutcome(StrEnum):
    OK = "ok"
    NO_CARD = "no_card"
    CARD_REMOVED = "card_removed"
    FAILED = "failed"


@dataclass(frozen=True)
class ApduResult:
    outcome: ApduOutcome
    data: bytes = b""
    sw: str = ""


@dataclass(frozen=True)
class CardFace:
    """What is printed on the card face (rendered to 1016x648 by the issuer driver)."""

    name: str
    ssn: str
    card_no: str
    issue_date: dt.date
    photo_jpeg: bytes | None

    def __repr__(self) -> str:
        return "CardFace(<personal data>)"


class PinEntryEventKind(StrEnum):
    DIGIT = "digit"  # a digit was pressed; the digit itself is never reported
    BACKSPACE = "backspace"
    CLEAR = "clear"
    ENTER = "enter"
    CANCEL = "cancel"
    TIMEOUT = "timeout"


@dataclass(frozen=True)
class PinEntryEvent:
    kind: PinEntryEventKind
    digits_entered: int


@dataclass(frozen=True, repr=False)
class PinBlock:
    """The PIN as the pad hands it over: encrypted, or clear only from a weak-mode driver."""

    encrypted_hex: str | None
    clear_pin: str | None = None  # on-screen / simulator mode only; never logged
    format: str = "ISO9564-0"

    def __repr__(self) -> str:
        return "PinBlock(<secret>)"


@dataclass(frozen=True)
class ReceiptLine:
    text: str
    bold: bool = False
    center: bool = False
    double: bool = False


@dataclass(frozen=True, repr=False)
class Receipt:
    """A receipt is already masked by the caller; the printer prints what it is given."""

    title: str
    lines: tuple[ReceiptLine, ...]
    transaction_no: str
    qr_payload: str | None = None
    footer: tuple[str, ...] = field(default_factory=tuple)

    def __repr__(self) -> str:
        return f"Receipt(title={self.title!r}, lines={len(self.lines)})"
