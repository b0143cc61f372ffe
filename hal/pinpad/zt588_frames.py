"""The SZZT ZT588 encrypted PIN pad protocol over RS-232: every byte lives here.

Frame: ``STX(02) | length as 3 ASCII digits | text | ETX(03) | XOR as 2 ASCII hex digits``;
the XOR runs over the length digits, the text and the ETX. Bytes outside frames are key presses.

Fixed by the public description: the framing, the command letters (``1``-``7``, ``:``), that
bare bytes are keys, and the error codes E1 (master key required) and EE (entry timed out).
This project's assignment, to be checked against the vendor manual before deployment: the
argument layout of each command, the answer layout ``<cmd> <status: "00" | "E0".."EF"> <data>``,
the remaining error meanings, and the key-code table below.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import Enum, StrEnum

from hal.status import Action, DeviceError

STX = 0x02
ETX = 0x03
MAX_TEXT_LEN = 256  # the length field allows 999; nothing we exchange is longer than ~70
STATUS_OK = "00"
GARBLED_CMD = "0"  # the pad answers a garbled request frame with this command letter


class PadCommand(StrEnum):
    LOAD_PLAIN_KEY = "1"
    LOAD_ENCRYPTED_KEY = "2"
    USER_INFO = "3"
    SCANCODE_TABLE = "4"
    CONTROL = "5"
    START_PIN = "6"
    GET_PIN_BLOCK = "7"
    AUTHENTICATE = ":"


class Control(StrEnum):
    """Sub-commands of command 5 (control)."""

    RESET = "R"
    INPUT_ON = "I1"
    INPUT_OFF = "I0"
    BEEP = "B"
    TIMEOUT = "T"  # + 3 digits, seconds of inactivity before EE
    LENGTH = "L"  # + 2 digits min + 2 digits max
    KEY_TEST_ON = "K1"  # the pad reports the code of every key, digits included (maintenance only)
    KEY_TEST_OFF = "K0"


class PinFormat(StrEnum):
    ISO0 = "0"
    ISO1 = "1"
    ISO3 = "3"


@dataclass(frozen=True)
class PadErrorInfo:
    code: str
    meaning: str
    action: Action


class PadError(Enum):
    E0 = PadErrorInfo("zt588_command_unsupported", "command not supported", Action.RESET)
    E1 = PadErrorInfo("zt588_master_key_required", "master key required", Action.MAINTENANCE)
    E2 = PadErrorInfo("zt588_work_key_required", "working key required", Action.MAINTENANCE)
    E3 = PadErrorInfo("zt588_key_check_failed", "key check value mismatch", Action.MAINTENANCE)
    E4 = PadErrorInfo("zt588_bad_key_index", "invalid key index", Action.MAINTENANCE)
    E5 = PadErrorInfo("zt588_bad_parameter", "invalid parameter", Action.RESET)
    E6 = PadErrorInfo("zt588_rx_checksum_error", "pad received a bad checksum", Action.RESET)
    E7 = PadErrorInfo("zt588_rx_length_error", "pad received a bad length", Action.RESET)
    E8 = PadErrorInfo("zt588_pin_too_short", "PIN shorter than the minimum", Action.NONE)
    E9 = PadErrorInfo("zt588_no_pin", "no PIN entered (entry not finished)", Action.NONE)
    EA = PadErrorInfo("zt588_bad_pan", "invalid account number", Action.RESET)
    EB = PadErrorInfo("zt588_auth_failed", "authentication failed", Action.MAINTENANCE)
    EC = PadErrorInfo("zt588_locked", "pad locked (too many key loads)", Action.MAINTENANCE)
    ED = PadErrorInfo("zt588_cancelled", "entry cancelled on the pad", Action.NONE)
    EE = PadErrorInfo("zt588_entry_timeout", "entry timed out", Action.NONE)
    EF = PadErrorInfo("zt588_tampered", "hardware fault or tamper", Action.MAINTENANCE)

    @property
    def info(self) -> PadErrorInfo:
        info: PadErrorInfo = self.value
        return info


class Zt588ProtocolError(DeviceError):
    """Garbled, truncated or unexpected bytes from the pad."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(code, message, Action.RESET)


class Zt588PadError(DeviceError):
    """The pad answered a command with an E0-EF error."""

    def __init__(self, error: PadError) -> None:
        super().__init__(error.info.code, f"{error.name} {error.info.meaning}", error.info.action)
        self.error = error


class Key(StrEnum):
    DIGIT = "digit"  # which digit is never reported during PIN entry
    ENTER = "enter"
    CANCEL = "cancel"
    BACKSPACE = "backspace"
    CLEAR = "clear"
    UNKNOWN = "unknown"


MASKED_DIGIT = 0x2A  # "*": what the pad sends for a digit during PIN entry
KEY_CODES: dict[int, Key] = {
    MASKED_DIGIT: Key.DIGIT,
    **{0x30 + d: Key.DIGIT for d in range(10)},  # clear digits: key-test mode only
    0x0D: Key.ENTER,  # 确认
    0x1B: Key.CANCEL,  # 取消
    0x08: Key.BACKSPACE,  # 更正
    0x18: Key.CLEAR,  # 清除
}
KEY_BYTES: dict[Key, int] = {
    Key.DIGIT: MASKED_DIGIT,
    Key.ENTER: 0x0D,
    Key.CANCEL: 0x1B,
    Key.BACKSPACE: 0x08,
    Key.CLEAR: 0x18,
}


def key_test_label(code: int) -> str:
    """What the maintenance key-test screen shows for a key code: the digit, or the key name."""
    if 0x30 <= code <= 0x39:
        return chr(code)
    return KEY_CODES.get(code, Key.UNKNOWN).value


@dataclass(frozen=True)
class KeyPress:
    key: Key
    code: int = field(repr=False)  # hidden: in key-test mode it is the digit itself


# one immutable KeyPress per byte value, shared (the parser emits many)
_KEY_PRESSES = tuple(KeyPress(KEY_CODES.get(code, Key.UNKNOWN), code) for code in range(256))


@dataclass(frozen=True, repr=False)
class PadFrame:
    text: str

    def __repr__(self) -> str:
        return f"PadFrame(len={len(self.text)})"


class PadFrameFault(StrEnum):
    BAD_LENGTH = "bad_length"
    BAD_TERMINATOR = "bad_terminator"
    BAD_CHECKSUM = "bad_checksum"
    BAD_TEXT = "bad_text"  # not ASCII
    EXPIRED = "expired"  # a partial frame that never completed


@dataclass(frozen=True)
class PadFrameError:
    fault: PadFrameFault
    skipped: int


def _xor(data: bytes) -> int:
    value = 0
    for byte in data:
        value ^= byte
    return value


def encode_frame(text: str) -> bytes:
    raw = text.encode("ascii")
    if len(raw) > MAX_TEXT_LEN:
        raise ValueError(f"frame text of {len(raw)} bytes is too long")
    body = f"{len(raw):03d}".encode() + raw + bytes([ETX])
    return bytes([STX]) + body + f"{_xor(body):02X}".encode()


# -- requests (driver → pad) -------------------------------------------------------------


def encode_request(command: PadCommand, args: str = "") -> bytes:
    return encode_frame(command.value + args)


def encode_control(control: Control, value: str = "") -> bytes:
    return encode_request(PadCommand.CONTROL, control.value + value)


def encode_set_length(min_len: int, max_len: int) -> bytes:
    return encode_control(Control.LENGTH, f"{min_len:02d}{max_len:02d}")


def encode_set_timeout(seconds: int) -> bytes:
    return encode_control(Control.TIMEOUT, f"{max(1, min(999, seconds)):03d}")


def encode_start_pin(pin_format: PinFormat, key_index: int) -> bytes:
    return encode_request(PadCommand.START_PIN, f"{pin_format.value}{key_index:X}")


def encode_get_pin_block(pan12: str) -> bytes:
    return encode_request(PadCommand.GET_PIN_BLOCK, pan12)


def encode_load_plain_key(index: int, key: bytes) -> bytes:
    return encode_request(PadCommand.LOAD_PLAIN_KEY, f"{index:X}{key.hex().upper()}")


def encode_load_encrypted_key(master_index: int, work_index: int, encrypted_key: bytes) -> bytes:
    return encode_request(
        PadCommand.LOAD_ENCRYPTED_KEY, f"{master_index:X}{work_index:X}{encrypted_key.hex().upper()}"
    )


def parse_request(frame: PadFrame) -> tuple[PadCommand | None, str]:
    """(command, arguments) of a request frame; unknown letters give None."""
    if not frame.text:
        return None, ""
    try:
        return PadCommand(frame.text[0]), frame.text[1:]
    except ValueError:
        return None, frame.text[1:]


# -- answers (pad → driver) ---------------------------------------------------------------


def encode_response(command_letter: str, error: PadError | None = None, data: str = "") -> bytes:
    return encode_frame(command_letter + (STATUS_OK if error is None else error.name) + data)


@dataclass(frozen=True, repr=False)
class PadResponse:
    command: str  # the command letter answered
    error: PadError | None
    data: str

    def __repr__(self) -> str:
        status = "ok" if self.error is None else self.error.name
        return f"PadResponse({self.command!r}, {status}, data_len={len(self.data)})"


def parse_response(frame: PadFrame) -> PadResponse:
    text = frame.text
    if len(text) < 3:
        raise Zt588ProtocolError("zt588_short_response", f"{len(text)} characters")
    status = text[1:3]
    if status == STATUS_OK:
        return PadResponse(text[0], None, text[3:])
    try:
        return PadResponse(text[0], PadError[status], text[3:])
    except KeyError:
        raise Zt588ProtocolError("zt588_bad_status", "unknown status") from None


# -- the stream ---------------------------------------------------------------------------


class Zt588Parser:
    """Streaming parser: frames, key presses and fault notices, in wire order.

    After a broken frame it drops the bytes up to the next STX in what it holds (they may be
    the broken frame's tail, so they are not reported as key presses).
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self._partial_since: float | None = None

    def reset(self) -> None:
        self._buf.clear()
        self._partial_since = None

    @property
    def pending(self) -> int:
        return len(self._buf)

    def expire_partial(self, max_age_s: float) -> list[PadFrameError]:
        """Drop a partial frame that has waited longer than ``max_age_s`` for its end."""
        since = self._partial_since
        if since is None or not self._buf or time.monotonic() - since < max_age_s:
            return []
        dropped = len(self._buf)
        self.reset()
        return [PadFrameError(PadFrameFault.EXPIRED, dropped)]

    def feed(self, data: bytes) -> list[PadFrame | KeyPress | PadFrameError]:
        buf = self._buf
        buf += data
        out: list[PadFrame | KeyPress | PadFrameError] = []
        while buf:
            if buf[0] != STX:
                end = buf.find(STX)
                end = len(buf) if end < 0 else end
                out.extend(_KEY_PRESSES[code] for code in buf[:end])
                del buf[:end]
                continue
            if len(buf) < 4:
                break
            digits = bytes(buf[1:4])
            if not digits.isdigit() or int(digits) > MAX_TEXT_LEN:
                out.append(self._resync(PadFrameFault.BAD_LENGTH))
                continue
            n = int(digits)
            total = 1 + 3 + n + 1 + 2
            if len(buf) < total:
                break
            body = bytes(buf[1 : 4 + n + 1])
            if body[-1] != ETX:
                out.append(self._resync(PadFrameFault.BAD_TERMINATOR))
                continue
            check = bytes(buf[4 + n + 1 : total])
            if check.upper() != f"{_xor(body):02X}".encode():
                out.append(self._resync(PadFrameFault.BAD_CHECKSUM))
                continue
            text = body[3:-1]
            if not text.isascii():
                out.append(self._resync(PadFrameFault.BAD_TEXT))
                continue
            out.append(PadFrame(text.decode("ascii")))
            del buf[:total]
        if not buf:
            self._partial_since = None
        elif self._partial_since is None or out:
            self._partial_since = time.monotonic()  # a new partial frame started in this feed
        return out

    def _resync(self, fault: PadFrameFault) -> PadFrameError:
        nxt = self._buf.find(STX, 1)
        skipped = len(self._buf) if nxt < 0 else nxt
        del self._buf[:skipped]
        return PadFrameError(fault, skipped)
