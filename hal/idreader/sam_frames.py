"""The SAM serial protocol of second-generation ID card readers (GA 467): every byte lives here.

Frame: ``AA AA AA 96 69 | LEN_H LEN_L | payload | CHK``. LEN counts the bytes after itself
(payload + CHK); CHK is the XOR of the two length bytes and the payload.
Command payload: ``CMD PARA [data]``; response payload: ``SW1 SW2 SW3 [data]``.

The parser is a streaming one: it is fed whatever the UART delivered, skips garbage,
resynchronises after a partial frame or a bad checksum, and never raises on input bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, IntEnum, StrEnum

from hal.status import Action, DeviceError

PREAMBLE = bytes.fromhex("AAAAAA9669")
HEADER_LEN = len(PREAMBLE) + 2  # preamble + LEN_H LEN_L
# The largest legitimate frame is the 30 10 answer (text + photo + fingerprint): LEN 2314.
# Anything much longer is garbage that happens to follow a preamble.
MAX_LEN = 2560
MIN_LEN = 3  # a command: CMD PARA CHK (a response needs 4: SW1 SW2 SW3 CHK)
MAX_FRAME = HEADER_LEN + MAX_LEN

TEXT_LEN = 256
PHOTO_LEN = 1024
FINGERPRINT_LEN = 1024
ADDITIONAL_ADDRESS_LEN = 70


class SamCommand(Enum):
    """(CMD, PARA) of each command the kiosk sends."""

    RESET = (0x10, 0xFF)
    STATUS = (0x11, 0xFF)
    READ_SAM_ID = (0x12, 0xFF)
    FIND_CARD = (0x20, 0x01)
    SELECT_CARD = (0x20, 0x02)
    READ_TEXT_PHOTO = (0x30, 0x01)
    READ_TEXT_PHOTO_FINGERPRINT = (0x30, 0x10)
    READ_ADDITIONAL_ADDRESS = (0x30, 0x03)

    @property
    def code(self) -> bytes:
        return bytes(self.value)

    @classmethod
    def from_code(cls, cmd: int, para: int) -> SamCommand | None:
        for command in cls:
            if command.value == (cmd, para):
                return command
        return None


class Sw3Kind(StrEnum):
    """What a result code means for the caller."""

    SUCCESS = "success"
    NO_CARD = "no_card"  # a normal outcome: keep polling
    CARD_RETRY = "card_retry"  # the card moved or is being placed: poll again
    ITEM_EMPTY = "item_empty"  # e.g. no additional address on the card
    CARD_REJECTED = "card_rejected"  # not a genuine / supported card: ask for another
    FRAME_REJECTED = "frame_rejected"  # the SAM got a garbled command: resend
    SAM_FAULT = "sam_fault"  # the reader itself is broken or unlicensed


@dataclass(frozen=True)
class Sw3Info:
    code: str  # stable snake_case, used as DeviceError.code
    meaning: str
    kind: Sw3Kind
    action: Action


class Sw3(IntEnum):
    OK = 0x90
    FIND_OK = 0x9F
    FIND_FAILED = 0x80
    SELECT_FAILED = 0x81
    READ_FAILED = 0x41
    UNKNOWN_CARD_TYPE = 0x40
    ITEM_EMPTY = 0x91
    CHECKSUM_ERROR = 0x10
    LENGTH_ERROR = 0x11
    COMMAND_ERROR = 0x21
    UNAUTHORISED = 0x23
    UNRECOGNISED_ERROR = 0x24
    CARD_AUTH_SAM_FAILED = 0x31
    SAM_AUTH_CARD_FAILED = 0x32
    INFO_CHECK_FAILED = 0x33
    RANDOM_FAILED = 0x47
    SAM_SELF_TEST_FAILED = 0x60
    SAM_NOT_AUTHORISED = 0x66

    @property
    def info(self) -> Sw3Info:
        return SW3_TABLE[self]


_K = Sw3Kind
_A = Action
SW3_TABLE: dict[Sw3, Sw3Info] = {
    Sw3.OK: Sw3Info("sam_ok", "operation succeeded", _K.SUCCESS, _A.NONE),
    Sw3.FIND_OK: Sw3Info("sam_find_ok", "card found", _K.SUCCESS, _A.NONE),
    Sw3.FIND_FAILED: Sw3Info("sam_no_card", "no card on the reader", _K.NO_CARD, _A.NONE),
    Sw3.SELECT_FAILED: Sw3Info("sam_select_failed", "card select failed", _K.CARD_RETRY, _A.CLEAR),
    Sw3.READ_FAILED: Sw3Info("sam_read_failed", "card read failed", _K.CARD_RETRY, _A.CLEAR),
    Sw3.RANDOM_FAILED: Sw3Info("sam_random_failed", "random number failed", _K.CARD_RETRY, _A.CLEAR),
    Sw3.UNKNOWN_CARD_TYPE: Sw3Info(
        "sam_unknown_card_type", "unknown card type", _K.CARD_REJECTED, _A.CLEAR
    ),
    Sw3.CARD_AUTH_SAM_FAILED: Sw3Info(
        "sam_card_auth_sam_failed", "card failed to authenticate the SAM", _K.CARD_REJECTED, _A.CLEAR
    ),
    Sw3.SAM_AUTH_CARD_FAILED: Sw3Info(
        "sam_auth_card_failed", "SAM failed to authenticate the card", _K.CARD_REJECTED, _A.CLEAR
    ),
    Sw3.INFO_CHECK_FAILED: Sw3Info(
        "sam_info_check_failed", "card information check failed", _K.CARD_REJECTED, _A.CLEAR
    ),
    Sw3.ITEM_EMPTY: Sw3Info("sam_item_empty", "item empty", _K.ITEM_EMPTY, _A.NONE),
    Sw3.CHECKSUM_ERROR: Sw3Info(
        "sam_rx_checksum_error", "SAM received a bad checksum", _K.FRAME_REJECTED, _A.RESET
    ),
    Sw3.LENGTH_ERROR: Sw3Info(
        "sam_rx_length_error", "SAM received a bad length", _K.FRAME_REJECTED, _A.RESET
    ),
    Sw3.COMMAND_ERROR: Sw3Info(
        "sam_rx_command_error", "SAM received an unknown command", _K.FRAME_REJECTED, _A.RESET
    ),
    Sw3.UNAUTHORISED: Sw3Info("sam_unauthorised", "operation not authorised", _K.SAM_FAULT, _A.MAINTENANCE),
    Sw3.UNRECOGNISED_ERROR: Sw3Info("sam_unrecognised_error", "unrecognised error", _K.SAM_FAULT, _A.RESET),
    Sw3.SAM_SELF_TEST_FAILED: Sw3Info(
        "sam_self_test_failed", "SAM self-test failed", _K.SAM_FAULT, _A.MAINTENANCE
    ),
    Sw3.SAM_NOT_AUTHORISED: Sw3Info(
        "sam_not_authorised", "SAM not authorised", _K.SAM_FAULT, _A.MAINTENANCE
    ),
}


class SamProtocolError(DeviceError):
    """The bytes on the wire do not form a valid exchange (bad checksum, truncated, bad layout)."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(code, message, Action.RESET)


class SamResultError(DeviceError):
    """The SAM answered with a result code that is a fault, not a normal outcome."""

    def __init__(self, sw3: Sw3 | int) -> None:
        if isinstance(sw3, Sw3):
            info = sw3.info
            super().__init__(info.code, f"SW3={sw3.value:02X} {info.meaning}", info.action)
        else:
            super().__init__("sam_unknown_sw3", f"SW3={sw3:02X}", Action.RESET)
        self.sw3 = sw3


def checksum(length_and_payload: bytes) -> int:
    value = 0
    for byte in length_and_payload:
        value ^= byte
    return value


def encode_frame(payload: bytes) -> bytes:
    """Wrap a payload (command or response) into a complete frame."""
    length = len(payload) + 1
    if not MIN_LEN <= length <= MAX_LEN:
        raise ValueError(f"payload length {len(payload)} out of range")
    body = length.to_bytes(2, "big") + payload
    return PREAMBLE + body + bytes([checksum(body)])


def encode_command(command: SamCommand, data: bytes = b"") -> bytes:
    return encode_frame(command.code + data)


def encode_response(sw3: Sw3 | int, data: bytes = b"") -> bytes:
    return encode_frame(bytes([0x00, 0x00, int(sw3)]) + data)


# Data that accompanies the success answers, as readers send it.
FIND_OK_DATA = bytes(4)
SELECT_OK_DATA = bytes(8)


def encode_read_data(text: bytes, photo: bytes, fingerprint: bytes | None = None) -> bytes:
    """The data part of a 30 01 / 30 10 answer: lengths (big-endian), then the blocks."""
    lengths = len(text).to_bytes(2, "big") + len(photo).to_bytes(2, "big")
    if fingerprint is None:
        return lengths + text + photo
    return lengths + len(fingerprint).to_bytes(2, "big") + text + photo + fingerprint


@dataclass(frozen=True, repr=False)
class SamFrame:
    payload: bytes

    def __repr__(self) -> str:  # the payload may be an ID card's text block
        return f"SamFrame(len={len(self.payload)})"


class FrameFault(StrEnum):
    BAD_CHECKSUM = "bad_checksum"
    BAD_LENGTH = "bad_length"
    DISCARDED = "discarded"  # garbage bytes that did not start a frame


@dataclass(frozen=True)
class SamFrameError:
    """Reported by the parser in the stream of frames; the parser has already resynchronised."""

    fault: FrameFault
    skipped: int  # bytes dropped


@dataclass(frozen=True, repr=False)
class SamResponse:
    sw1: int
    sw2: int
    sw3: int
    data: bytes

    @property
    def known_sw3(self) -> Sw3 | None:
        try:
            return Sw3(self.sw3)
        except ValueError:
            return None

    def __repr__(self) -> str:
        return f"SamResponse(sw3={self.sw3:02X}, data_len={len(self.data)})"


def parse_response(frame: SamFrame) -> SamResponse:
    payload = frame.payload
    if len(payload) < 3:
        raise SamProtocolError("sam_short_response", f"payload of {len(payload)} bytes")
    if payload[0] != 0 or payload[1] != 0:
        raise SamProtocolError("sam_bad_sw", f"SW1 SW2 = {payload[0]:02X} {payload[1]:02X}")
    return SamResponse(payload[0], payload[1], payload[2], payload[3:])


def parse_command(frame: SamFrame) -> tuple[int, int, bytes]:
    """(CMD, PARA, data) of a command frame (the emulator side)."""
    payload = frame.payload
    if len(payload) < 2:
        raise SamProtocolError("sam_short_command", f"payload of {len(payload)} bytes")
    return payload[0], payload[1], payload[2:]


@dataclass(frozen=True, repr=False)
class ReadData:
    text: bytes
    photo: bytes
    fingerprint: bytes | None

    def __repr__(self) -> str:
        return "ReadData(<personal data>)"


def parse_read_data(data: bytes, with_fingerprint: bool) -> ReadData:
    """Split the data of a 30 01 (or 30 10) answer, checking the declared lengths."""
    header = 6 if with_fingerprint else 4
    if len(data) < header:
        raise SamProtocolError("sam_bad_read_layout", f"{len(data)} bytes of read data")
    text_len = int.from_bytes(data[0:2], "big")
    photo_len = int.from_bytes(data[2:4], "big")
    fp_len = int.from_bytes(data[4:6], "big") if with_fingerprint else 0
    if text_len != TEXT_LEN or photo_len not in (0, PHOTO_LEN) or fp_len not in (0, FINGERPRINT_LEN):
        raise SamProtocolError(
            "sam_bad_read_layout", f"lengths text={text_len} photo={photo_len} fingerprint={fp_len}"
        )
    if len(data) != header + text_len + photo_len + fp_len:
        raise SamProtocolError("sam_bad_read_layout", f"{len(data)} bytes of read data")
    text = data[header : header + text_len]
    photo = data[header + text_len : header + text_len + photo_len]
    fingerprint = data[header + text_len + photo_len :] if with_fingerprint else None
    return ReadData(text, photo, fingerprint)


class SamFrameParser:
    """Streaming parser: ``feed`` bytes as they come, get complete frames and fault notices."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def reset(self) -> None:
        self._buf.clear()

    @property
    def pending(self) -> int:
        """Bytes held back: a partial frame (or the start of a preamble) waiting for more input."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[SamFrame | SamFrameError]:
        self._buf += data
        out: list[SamFrame | SamFrameError] = []
        buf = self._buf
        while True:
            start = buf.find(PREAMBLE)
            if start < 0:
                # keep a tail that could be the beginning of a preamble split across reads
                keep = _preamble_prefix_len(buf)
                dropped = len(buf) - keep
                if dropped:
                    out.append(SamFrameError(FrameFault.DISCARDED, dropped))
                    del buf[:dropped]
                return out
            if start:
                out.append(SamFrameError(FrameFault.DISCARDED, start))
                del buf[:start]
            if len(buf) < HEADER_LEN:
                return out
            length = int.from_bytes(buf[5:7], "big")
            if not MIN_LEN <= length <= MAX_LEN:
                out.append(SamFrameError(FrameFault.BAD_LENGTH, 1))
                del buf[:1]  # resync: look for the next preamble
                continue
            end = HEADER_LEN + length
            if len(buf) < end:
                return out
            body = bytes(buf[5 : end - 1])
            if checksum(body) != buf[end - 1]:
                out.append(SamFrameError(FrameFault.BAD_CHECKSUM, 1))
                del buf[:1]  # a real frame may start inside the bad one
                continue
            out.append(SamFrame(body[2:]))
            del buf[:end]


def _preamble_prefix_len(buf: bytearray) -> int:
    for n in range(min(len(PREAMBLE) - 1, len(buf)), 0, -1):
        if buf.endswith(PREAMBLE[:n]):
            return n
    return 0
