"""The 256-byte text block of a resident ID card: UCS-2 little-endian, space-padded fields.

Encoding note: the card stores UCS-2, i.e. Basic Multilingual Plane characters only. Rare
characters such as 䶮 (U+4DAE, CJK Extension A) are in the BMP and decode directly. Some
historic cards carry rare characters as Private Use code points (造字区); those are kept as
they are (the screen shows them with whatever the font has). We decode as UTF-16LE, so a
*valid* surrogate pair (never written by a conforming card) becomes its supplementary
character, while a lone surrogate is rejected as an encoding error.

Field values are checked: control and bidirectional-format characters (e.g. U+202E RIGHT-TO-LEFT
OVERRIDE) are rejected so a crafted card cannot reorder text on a receipt or screen.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from hal.status import Action, DeviceError
from hal.types import IdCardData

TEXT_BLOCK_LEN = 256
NO_EXPIRY = "长期"

# (field, bytes) in card order; the reserved tail is 36 bytes.
FIELDS: tuple[tuple[str, int], ...] = (
    ("name", 30),
    ("sex_code", 2),
    ("ethnicity_code", 4),
    ("birth_date", 16),
    ("address", 70),
    ("id_number", 36),
    ("issuer", 30),
    ("valid_from", 16),
    ("valid_until", 16),
    ("reserved", 36),
)
# Public SDK notes put a card-type letter at byte 248 of the block: blank for a resident ID card,
# "I" for a foreign permanent-residence card, "J" for a Hong Kong/Macao/Taiwan residence permit.
CARD_TYPE_OFFSET = 248

SEX_CODES = frozenset({"0", "1", "2", "9"})
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"[0-9]{17}[0-9X]")
_DATE_RE = re.compile(r"[0-9]{8}")
# Unicode categories refused inside a field: controls, format (incl. bidi overrides, zero-width),
# surrogates, line/paragraph separators.
_BAD_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


class IdTextError(DeviceError):
    """The text block does not decode into a valid ID card. ``field`` names the culprit."""

    def __init__(self, code: str, field: str, message: str = "") -> None:
        # the message names the field and the problem, never the value (it is personal data)
        super().__init__(code, f"{field}: {message}" if message else field, Action.CLEAR)
        self.field = field


class IdCardTypeUnsupported(IdTextError):
    def __init__(self, card_type: str) -> None:
        super().__init__("id_card_type_unsupported", "card_type", f"card type {card_type!r}")
        self.card_type = card_type


def id_number_check_char(first17: str) -> str:
    """GB 11643-1999 / ISO 7064 MOD 11-2 check character."""
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def _split(block: bytes) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    pos = 0
    for name, size in FIELDS:
        out[name] = block[pos : pos + size]
        pos += size
    return out


def _decode_field(field: str, raw: bytes) -> str:
    try:
        text = raw.decode("utf-16-le")
    except UnicodeDecodeError as exc:
        raise IdTextError("id_text_encoding", field, "not valid UCS-2") from exc
    # padding: spaces, and NULs from readers that zero-fill
    text = text.rstrip(" \x00")
    for ch in text:
        if unicodedata.category(ch) in _BAD_CATEGORIES:
            raise IdTextError("id_text_bad_character", field, f"forbidden character U+{ord(ch):04X}")
    return text


def _parse_date(field: str, text: str) -> dt.date:
    if not _DATE_RE.fullmatch(text):
        raise IdTextError("id_text_bad_date", field, "not YYYYMMDD")
    try:
        return dt.date(int(text[0:4]), int(text[4:6]), int(text[6:8]))
    except ValueError as exc:
        raise IdTextError("id_text_bad_date", field, "no such date") from exc


def decode_additional_address(data: bytes, max_len: int) -> str | None:
    """The 追加地址 (data of a 30 03 answer): UCS-2 like the text block, checked like its fields.

    None when the card holds only padding. Raises ``IdTextError`` (odd length, lone surrogate,
    control or bidi characters), as the address in the text block does.
    """
    return _decode_field("additional_address", data[:max_len]) or None


def card_type_of(block: bytes) -> str:
    """The card-type letter ("" for a resident ID card)."""
    raw = block[CARD_TYPE_OFFSET : CARD_TYPE_OFFSET + 2]
    try:
        return raw.decode("utf-16-le").strip(" \x00")
    except UnicodeDecodeError:
        return "?"


def decode_text_block(
    block: bytes, photo_wlt: bytes = b"", photo_bmp: bytes | None = None
) -> IdCardData:
    """Decode and validate a resident ID card's text block. Raises ``IdTextError``."""
    if len(block) != TEXT_BLOCK_LEN:
        raise IdTextError("id_text_length", "block", f"{len(block)} bytes, expected {TEXT_BLOCK_LEN}")
    card_type = card_type_of(block)
    if card_type:
        raise IdCardTypeUnsupported(card_type)
    raw = _split(block)
    f = {name: _decode_field(name, raw[name]) for name, _ in FIELDS if name != "reserved"}

    if not f["name"]:
        raise IdTextError("id_text_empty", "name")
    if f["sex_code"] not in SEX_CODES:
        raise IdTextError("id_text_bad_sex", "sex_code", "not one of 0 1 2 9")
    if not re.fullmatch(r"[0-9]{2}", f["ethnicity_code"]):
        raise IdTextError("id_text_bad_ethnicity", "ethnicity_code", "not two digits")
    number = f["id_number"]
    if not _ID_RE.fullmatch(number):
        raise IdTextError("id_text_bad_id_number", "id_number", "not 17 digits + check character")
    if id_number_check_char(number[:17]) != number[17]:
        raise IdTextError("id_text_bad_id_number", "id_number", "check character mismatch")
    birth = _parse_date("birth_date", f["birth_date"])
    valid_from = _parse_date("valid_from", f["valid_from"])
    valid_until = None if f["valid_until"] == NO_EXPIRY else _parse_date("valid_until", f["valid_until"])
    if valid_until is not None and valid_until < valid_from:
        raise IdTextError("id_text_bad_date", "valid_until", "before valid_from")
    for field in ("address", "issuer"):
        if not f[field]:
            raise IdTextError("id_text_empty", field)
    return IdCardData(
        name=f["name"],
        sex_code=f["sex_code"],
        ethnicity_code=f["ethnicity_code"],
        birth_date=birth,
        address=f["address"],
        id_number=number,
        issuer=f["issuer"],
        valid_from=valid_from,
        valid_until=valid_until,
        photo_wlt=photo_wlt,
        photo_bmp=photo_bmp,
    )


@dataclass(frozen=True, repr=False)
class TextFields:
    """Raw field strings, as they go onto the card; lets tests write malformed values."""

    name: str
    sex_code: str
    ethnicity_code: str
    birth_date: str
    address: str
    id_number: str
    issuer: str
    valid_from: str
    valid_until: str
    card_type: str = ""

    def __repr__(self) -> str:
        return "TextFields(<personal data>)"


def fields_from_card(card: IdCardData) -> TextFields:
    return TextFields(
        name=card.name,
        sex_code=card.sex_code,
        ethnicity_code=card.ethnicity_code,
        birth_date=card.birth_date.strftime("%Y%m%d"),
        address=card.address,
        id_number=card.id_number,
        issuer=card.issuer,
        valid_from=card.valid_from.strftime("%Y%m%d"),
        valid_until=NO_EXPIRY if card.valid_until is None else card.valid_until.strftime("%Y%m%d"),
    )


def encode_text_fields(fields: TextFields) -> bytes:
    """Build a 256-byte block (space padded). ValueError if a field does not fit."""
    parts: list[bytes] = []
    for name, size in FIELDS:
        value = "" if name == "reserved" else str(getattr(fields, name))
        raw = value.encode("utf-16-le", errors="surrogatepass")
        if len(raw) > size:
            raise ValueError(f"field {name} longer than {size} bytes")
        parts.append(raw + " ".encode("utf-16-le") * ((size - len(raw)) // 2))
    block = bytearray(b"".join(parts))
    if fields.card_type:
        block[CARD_TYPE_OFFSET : CARD_TYPE_OFFSET + 2] = fields.card_type[:1].encode("utf-16-le")
    return bytes(block)


def encode_text_block(card: IdCardData) -> bytes:
    """The block a card holding ``card`` would return (used by the emulator and the simulators)."""
    return encode_text_fields(fields_from_card(card))
