"""Every byte of the social security chip (LD/T 32 part 5 as far as public sources go).

This module is the ONLY place that knows command bytes, file ids, tags, encodings and status
words. It is pure (no I/O): the driver, the virtual card and the tests all import from here.
Facts and their sources: /work/shared/reference/sscard-chip.md.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from hal.sscard.errors import CardDataError
from hal.types import PinOutcome, PinResult

# --- applications and files -------------------------------------------------------------------

# "sx1.sh." in ASCII followed by 社会保障 in GBK.
SSSE_AID = b"sx1.sh." + "社会保障".encode("gbk")
EF05 = 0xEF05  # card data
EF06 = 0xEF06  # holder data
# Tag of the SELECT SSSE response that carries the algorithm flag (9F0C 03 86 01 xx).
TAG_ALGORITHM_FLAG = 0x9F0C


# --- command builders -------------------------------------------------------------------------

CLA_ISO = 0x00
CLA_PROPRIETARY = 0x80
CLA_SECURE = 0x84  # proprietary class with secure messaging (MAC)

INS_SELECT = 0xA4
INS_READ_RECORD = 0xB2
INS_UPDATE_RECORD = 0xDC
INS_VERIFY = 0x20
INS_CHANGE_RELOAD_PIN = 0x5E
INS_PIN_UNBLOCK = 0x24
INS_GET_CHALLENGE = 0x84
INS_EXTERNAL_AUTH = 0x82
INS_GET_RESPONSE = 0xC0
INS_INSTALL_PIN = 0xD4
INS_PSAM_COMPUTE = 0xFA
INS_APPLICATION_BLOCK = 0x1E
INS_APPLICATION_UNBLOCK = 0x18
INS_CARD_BLOCK = 0x16

P1_SELECT_BY_NAME = 0x04
P1_SELECT_EF = 0x02
P1_CHANGE_PIN = 0x01
P1_RELOAD_PIN = 0x00

# External-authentication key references (P2): what the authentication unlocks.
AUTH_READ = 0x0A  # read personal data (3rd generation)
AUTH_WRITE = 0x04  # write EF06 (personalisation)
AUTH_UNBLOCK = 0x06  # public 3rd-generation unblock flow

CHALLENGE_LEN = 8
CRYPTOGRAM_LEN = 16
MAC_LEN = 4
UNBLOCK_BLOCK_LEN = 16
CHANGE_PIN_SEPARATOR = 0xFF


def _apdu(cla: int, ins: int, p1: int, p2: int, data: bytes = b"", le: int | None = None) -> bytes:
    if len(data) > 255:
        raise ValueError("short APDU data is limited to 255 bytes")
    out = bytes([cla, ins, p1, p2])
    if data:
        out += bytes([len(data)]) + data
    if le is not None:
        out += bytes([le & 0xFF])  # Le 256 is encoded as 00
    return out


def select_ssse() -> bytes:
    return _apdu(CLA_ISO, INS_SELECT, P1_SELECT_BY_NAME, 0x00, SSSE_AID)


def select_ef(fid: int) -> bytes:
    return _apdu(CLA_ISO, INS_SELECT, P1_SELECT_EF, 0x00, fid.to_bytes(2, "big"))


def read_record(tag: int, le: int = 0) -> bytes:
    """READ RECORD by record identifier (P2 b3..b1 = 000: P1 is the tag, not a number)."""
    return _apdu(CLA_ISO, INS_READ_RECORD, tag, 0x00, le=le)


def update_record(tag: int, record: bytes) -> bytes:
    return _apdu(CLA_ISO, INS_UPDATE_RECORD, tag, 0x00, record)


def get_response(le: int) -> bytes:
    return _apdu(CLA_ISO, INS_GET_RESPONSE, 0x00, 0x00, le=le)


def with_le(command: bytes, le: int) -> bytes:
    """The same command resent with the Le a 6Cxx asked for (Lc/data kept)."""
    header_and_data = command[:4]
    if len(command) > 5:
        lc = command[4]
        header_and_data = command[: 5 + lc]
    return header_and_data + bytes([le & 0xFF])


def verify(pin: str) -> bytes:
    return _apdu(CLA_ISO, INS_VERIFY, 0x00, 0x00, pin_bcd(pin))


def change_pin(old: str, new: str) -> bytes:
    data = pin_bcd(old) + bytes([CHANGE_PIN_SEPARATOR]) + pin_bcd(new)
    return _apdu(CLA_PROPRIETARY, INS_CHANGE_RELOAD_PIN, P1_CHANGE_PIN, 0x00, data)


def reload_pin(new: str, mac: bytes) -> bytes:
    """RELOAD PIN; the MAC comes from a key only the HSM holds."""
    return _apdu(CLA_PROPRIETARY, INS_CHANGE_RELOAD_PIN, P1_RELOAD_PIN, 0x00, pin_bcd(new) + mac)


def pin_unblock(encrypted_block: bytes, mac: bytes) -> bytes:
    """PIN UNBLOCK ``84 24 00 01 14 <16-byte encrypted block> <4-byte MAC>`` (built by the HSM)."""
    return _apdu(CLA_SECURE, INS_PIN_UNBLOCK, 0x00, 0x01, encrypted_block + mac)


PIN_UNBLOCK_HEADER = bytes([CLA_SECURE, INS_PIN_UNBLOCK, 0x00, 0x01, UNBLOCK_BLOCK_LEN + MAC_LEN])


def get_challenge(length: int = CHALLENGE_LEN) -> bytes:
    return _apdu(CLA_ISO, INS_GET_CHALLENGE, 0x00, 0x00, le=length)


def external_auth(key_ref: int, cryptogram: bytes) -> bytes:
    if len(cryptogram) != CRYPTOGRAM_LEN:
        raise ValueError("cryptogram must be 16 bytes")
    return _apdu(CLA_ISO, INS_EXTERNAL_AUTH, 0x00, key_ref, cryptogram)


def install_pin(pin: str) -> bytes:
    """Set the initial PIN of a blank card.

    Project convention (``80 D4 01 00``, after PBOC WRITE KEY): blank-card personalisation
    commands are issuer-specific and not public; a real encoder deployment adapts this one line.
    """
    return _apdu(CLA_PROPRIETARY, INS_INSTALL_PIN, 0x01, 0x00, pin_bcd(pin))


def psam_compute(key_ref: int, challenge: bytes) -> bytes:
    """Ask a PSAM for the external-authentication cryptogram over a card challenge.

    ``80 FA 00 <key ref> 08 <challenge> 10`` after the PBOC PSAM "DES/SM4 compute" command;
    the key diversification of a production PSAM (by card id code) is outside the public docs.
    """
    return _apdu(CLA_PROPRIETARY, INS_PSAM_COMPUTE, 0x00, key_ref, challenge, le=CRYPTOGRAM_LEN)


# --- status words -----------------------------------------------------------------------------

SW_OK = 0x9000


class SwKind(StrEnum):
    OK = "ok"
    MORE_DATA = "more_data"  # 61xx: GET RESPONSE xx
    WRONG_LE = "wrong_le"  # 6Cxx: resend with Le xx
    PIN_WRONG = "pin_wrong"  # 63Cx: x tries left
    PIN_LOCKED = "pin_locked"  # 6983
    APP_BLOCKED = "app_blocked"  # 9303: application permanently blocked
    SECURITY_NOT_SATISFIED = "security_not_satisfied"  # 6982
    REFERENCE_DATA_INVALID = "reference_data_invalid"  # 6984
    CONDITIONS_NOT_SATISFIED = "conditions_not_satisfied"  # 6985
    BAD_MAC = "bad_mac"  # 6988
    FILE_NOT_FOUND = "file_not_found"  # 6A82
    RECORD_NOT_FOUND = "record_not_found"  # 6A83
    BAD_P1P2 = "bad_p1p2"  # 6A86
    KEY_NOT_FOUND = "key_not_found"  # 6A88
    WRONG_LENGTH = "wrong_length"  # 6700
    INS_NOT_SUPPORTED = "ins_not_supported"  # 6D00
    CLA_NOT_SUPPORTED = "cla_not_supported"  # 6E00
    UNKNOWN = "unknown"


_EXACT_SW: dict[int, SwKind] = {
    0x9000: SwKind.OK,
    0x6983: SwKind.PIN_LOCKED,
    0x9303: SwKind.APP_BLOCKED,
    0x6982: SwKind.SECURITY_NOT_SATISFIED,
    0x6984: SwKind.REFERENCE_DATA_INVALID,
    0x6985: SwKind.CONDITIONS_NOT_SATISFIED,
    0x6988: SwKind.BAD_MAC,
    0x6A82: SwKind.FILE_NOT_FOUND,
    0x6A83: SwKind.RECORD_NOT_FOUND,
    0x6A86: SwKind.BAD_P1P2,
    0x6A88: SwKind.KEY_NOT_FOUND,
    0x6700: SwKind.WRONG_LENGTH,
    0x6D00: SwKind.INS_NOT_SUPPORTED,
    0x6E00: SwKind.CLA_NOT_SUPPORTED,
}
SW_BY_KIND: dict[SwKind, int] = {kind: sw for sw, kind in _EXACT_SW.items()}


@dataclass(frozen=True)
class StatusWord:
    sw: int
    kind: SwKind
    count: int | None = None  # tries left (63Cx) or byte count (61xx / 6Cxx; 00 means 256)

    @property
    def hex(self) -> str:
        return f"{self.sw:04X}"


def classify_sw(sw: int) -> StatusWord:
    """Map any 16-bit status word to a typed result; never raises for 0..0xFFFF."""
    if not 0 <= sw <= 0xFFFF:
        raise CardDataError(f"status word out of range: {sw!r}")
    kind = _EXACT_SW.get(sw)
    if kind is not None:
        return StatusWord(sw, kind)
    sw1, sw2 = sw >> 8, sw & 0xFF
    if sw1 == 0x61:
        return StatusWord(sw, SwKind.MORE_DATA, sw2 or 256)
    if sw1 == 0x6C:
        return StatusWord(sw, SwKind.WRONG_LE, sw2 or 256)
    if sw1 == 0x63 and sw2 & 0xF0 == 0xC0:
        return StatusWord(sw, SwKind.PIN_WRONG, sw2 & 0x0F)
    return StatusWord(sw, SwKind.UNKNOWN)


def split_response(raw: bytes) -> tuple[bytes, int]:
    """Response APDU → (data, SW)."""
    if len(raw) < 2:
        raise CardDataError(f"response too short ({len(raw)} bytes)")
    return bytes(raw[:-2]), (raw[-2] << 8) | raw[-1]


def pin_result(sw: int) -> PinResult:
    """The HAL outcome of VERIFY / CHANGE PIN / RELOAD / UNBLOCK for a status word."""
    status = classify_sw(sw)
    if status.kind is SwKind.OK:
        return PinResult(PinOutcome.OK, sw=status.hex)
    if status.kind is SwKind.PIN_WRONG:
        outcome = PinOutcome.LOCKED if status.count == 0 else PinOutcome.WRONG
        return PinResult(outcome, tries_left=status.count, sw=status.hex)
    if status.kind in (SwKind.PIN_LOCKED, SwKind.APP_BLOCKED):
        return PinResult(PinOutcome.LOCKED, tries_left=0, sw=status.hex)
    return PinResult(PinOutcome.REFUSED, sw=status.hex)


# --- data items -------------------------------------------------------------------------------


class Encoding(StrEnum):
    CN = "cn"  # compressed numeric (BCD, hex digits allowed), left-aligned, F-padded
    AN = "an"  # alphanumeric ASCII, 0x00-padded
    ASCII = "ascii"  # printable ASCII, 0x00-padded
    GBK = "gbk"  # Chinese text, 0x00-padded (rare characters as GB18030 codes)
    DATE = "date"  # cn YYYYMMDD


@dataclass(frozen=True)
class Item:
    fid: int
    tag: int
    field: str  # attribute name in SsCardData / CardPersonalisation ("" = not mapped)
    length: int
    encoding: Encoding

    @property
    def record_len(self) -> int:
        return 2 + self.length  # tag | length | value


ITEMS: tuple[Item, ...] = (
    Item(EF05, 0x01, "card_id_code", 16, Encoding.CN),
    Item(EF05, 0x02, "card_type", 1, Encoding.AN),
    Item(EF05, 0x03, "spec_version", 4, Encoding.ASCII),
    Item(EF05, 0x04, "", 12, Encoding.CN),  # 初始化机构编号, not used by the kiosk
    Item(EF05, 0x05, "issue_date", 4, Encoding.DATE),
    Item(EF05, 0x06, "expiry_date", 4, Encoding.DATE),
    Item(EF05, 0x07, "card_no", 9, Encoding.ASCII),
    Item(EF06, 0x08, "ssn", 18, Encoding.ASCII),
    Item(EF06, 0x09, "name", 30, Encoding.GBK),
    Item(EF06, 0x4E, "name_ext", 20, Encoding.GBK),
    Item(EF06, 0x0A, "sex", 1, Encoding.ASCII),
    Item(EF06, 0x0B, "ethnicity", 1, Encoding.CN),
    Item(EF06, 0x0C, "birth_place", 3, Encoding.CN),
    Item(EF06, 0x0D, "birth_date", 4, Encoding.DATE),
)
ITEM_BY_TAG: dict[int, Item] = {item.tag: item for item in ITEMS}
TAG_NAME = 0x09
TAG_NAME_EXT = 0x4E
NAME_LEN = ITEM_BY_TAG[TAG_NAME].length
NAME_EXT_LEN = ITEM_BY_TAG[TAG_NAME_EXT].length
# Items the kiosk reads and writes (tag 04 has no field in the HAL's data types).
CARD_ITEMS: tuple[Item, ...] = tuple(item for item in ITEMS if item.field)

# What the decoder puts in place of bytes no Chinese code page can decode: the flow must then
# show the ID card's UCS-2 name, which is authoritative.
UNDECODABLE = "\ufffd"


def parse_record(tag: int, data: bytes) -> bytes:
    """``tag | len | value`` → value, checked against the expected tag and the data length."""
    if len(data) < 2:
        raise CardDataError(f"record {tag:02X} too short ({len(data)} bytes)")
    if data[0] != tag:
        raise CardDataError(f"record {tag:02X} has tag {data[0]:02X}")
    length = data[1]
    if length > len(data) - 2:
        raise CardDataError(f"record {tag:02X} declares {length} bytes, has {len(data) - 2}")
    return bytes(data[2 : 2 + length])


def build_record(tag: int, value: bytes) -> bytes:
    if len(value) > 255:
        raise ValueError("record value too long")
    return bytes([tag, len(value)]) + value


# --- encoders / decoders ----------------------------------------------------------------------

_HEX_DIGITS = frozenset("0123456789ABCDEF")


def encode_cn(digits: str, length: int) -> bytes:
    """Left-aligned BCD, padded with F nibbles (hex digits allowed for the card id code).

    A value ending in F is refused: the reader could not tell that F from the padding.
    """
    text = digits.upper()
    if not set(text) <= _HEX_DIGITS or len(text) > 2 * length:
        raise ValueError(f"not cn or too long for {length} bytes")
    if text.endswith("F"):
        raise ValueError("a cn value cannot end in F (the padding nibble)")
    return bytes.fromhex(text.ljust(2 * length, "F"))


def decode_cn(value: bytes) -> str:
    return value.hex().upper().rstrip("F")


MAX_PIN_DIGITS = 12  # what a VERIFY's BCD data can carry (the kiosk's PIN rules are stricter)


def pin_bcd(pin: str) -> bytes:
    """PIN as BCD, odd length padded with F: 888888 → 88 88 88."""
    if not pin.isascii() or not pin.isdigit() or not 1 <= len(pin) <= MAX_PIN_DIGITS:
        raise ValueError(f"a PIN is 1-{MAX_PIN_DIGITS} decimal digits")
    return encode_cn(pin, (len(pin) + 1) // 2)


def decode_pin_bcd(value: bytes) -> str | None:
    """Inverse of pin_bcd for the virtual card; None if it is not a well-formed BCD PIN."""
    text = decode_cn(value)
    if not 1 <= len(text) <= MAX_PIN_DIGITS or not text.isdigit() or len(value) != (len(text) + 1) // 2:
        return None
    return text


def encode_text(text: str, length: int, encoding: Encoding) -> bytes:
    if text != text.rstrip("\x00 "):  # the decoders strip these as padding: the value would change
        raise ValueError("a text item cannot end in a space or NUL (read back as padding)")
    if encoding is Encoding.GBK:
        raw = encode_gbk(text)
    else:
        if not text.isascii():
            raise ValueError("an/ASCII items take ASCII only")
        raw = text.encode("ascii")
    if len(raw) > length:
        raise ValueError(f"value too long for {length} bytes")
    return raw.ljust(length, b"\x00")


def decode_ascii(value: bytes) -> str:
    """an/ASCII: strip the padding (00, and the FF/space some issuers use); other bytes → U+FFFD."""
    return value.rstrip(b"\x00\xff ").decode("ascii", errors="replace")


def encode_gbk(text: str) -> bytes:
    """GBK; characters outside GBK (rare characters such as 䶮 or 𠮷) as their GB18030 codes."""
    return b"".join(_encode_char(ch) for ch in text)


def _encode_char(ch: str) -> bytes:
    try:
        return ch.encode("gbk")
    except UnicodeEncodeError:
        return ch.encode("gb18030")


def decode_gbk(value: bytes) -> str:
    """GBK, then GB18030 (rare characters); undecodable bytes become U+FFFD (see UNDECODABLE)."""
    raw = value.rstrip(b"\x00\xff ")
    try:
        return raw.decode("gbk")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        return raw.decode("gb18030", errors="replace")


def split_name(name: str) -> tuple[bytes, bytes]:
    """Name → (tag 09 value, tag 4E value), split on a character boundary, each 0x00-padded."""
    if name != name.rstrip("\x00 "):  # join_name strips these as padding: the name would change
        raise ValueError("a name cannot end in a space or NUL (read back as padding)")
    head = b""
    tail = b""
    for ch in name:
        code = _encode_char(ch)
        if not tail and len(head) + len(code) <= NAME_LEN:
            head += code
        else:
            tail += code
    # Readers strip space padding from tag 09: a space at its end must travel to tag 4E.
    while tail and head.endswith(b" "):
        head, tail = head[:-1], b" " + tail
    if len(tail) > NAME_EXT_LEN:
        raise ValueError("name too long for tags 09 + 4E")
    return head.ljust(NAME_LEN, b"\x00"), tail.ljust(NAME_EXT_LEN, b"\x00")


def join_name(name: bytes, extension: bytes) -> str:
    """Full name = tag 09 + tag 4E, decoded together so a character is never cut in two.

    Control and format characters (e.g. U+202E RIGHT-TO-LEFT OVERRIDE) cannot be part of a
    name: they become UNDECODABLE, so ``is_exact_name`` sends the flow to the ID card's name.
    """
    decoded = decode_gbk(name.rstrip(b"\x00\xff ") + extension)
    return "".join(UNDECODABLE if unicodedata.category(ch) in ("Cc", "Cf") else ch
                   for ch in decoded)


def is_exact_name(name: str) -> bool:
    """False when some bytes of the chip's name could not be decoded (use the ID card's name)."""
    return UNDECODABLE not in name


def encode_date(value: dt.date) -> bytes:
    # not strftime: it does not zero-pad years before 1000 on glibc ("9990101")
    return encode_cn(f"{value.year:04d}{value.month:02d}{value.day:02d}", 4)


def decode_date(value: bytes) -> dt.date | None:
    """cn YYYYMMDD; None for an empty item (all 00 or all F)."""
    text = decode_cn(value)
    if not text or set(text) == {"0"}:
        return None
    if len(text) != 8 or not text.isdigit():
        raise CardDataError("date item is not cn YYYYMMDD")
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise CardDataError("date item is not a calendar date") from None


def encode_item(item: Item, value: str | dt.date) -> bytes:
    """A value of SsCardData/CardPersonalisation → the item's fixed-length bytes."""
    if item.encoding is Encoding.DATE:
        if not isinstance(value, dt.date):
            raise ValueError("a date item needs a date")
        return encode_date(value)
    if not isinstance(value, str):
        raise ValueError("a text item needs a str")
    if item.encoding is Encoding.CN:
        return encode_cn(value, item.length)
    return encode_text(value, item.length, item.encoding)


def decode_item(item: Item, value: bytes) -> str | dt.date | None:
    if item.encoding is Encoding.DATE:
        return decode_date(value)
    if item.encoding is Encoding.CN:
        return decode_cn(value)
    if item.encoding is Encoding.GBK:
        return decode_gbk(value)
    return decode_ascii(value)


def parse_select_ssse(fci: bytes) -> int | None:
    """The algorithm flag xx of ``9F0C 03 86 01 xx`` in the SELECT SSSE response, if present."""
    marker = TAG_ALGORITHM_FLAG.to_bytes(2, "big") + b"\x03\x86\x01"
    at = fci.find(marker)
    if at < 0 or at + len(marker) >= len(fci):
        return None
    return fci[at + len(marker)]
