"""Evolis escape commands: the only module that knows their bytes and replies.

Framing: ``ESC <command> CR``, ASCII, fields separated by ``;``. Each command gets one
text reply: ``OK``, a value (``Rfv`` → firmware, ``Rrt;count`` → ``187``), or an error.
The driver enables software error management (``Pem;2``) so faults come back as error
replies instead of the printer handling them on its own.

Panel bitmap (``Db``): we print a monochrome K (black resin) panel only: ``Db;k;2;<data>``
where ``2`` is the number of levels, i.e. 1 bit per pixel, sent raw (not base64: the
printer reads a length fixed by the panel geometry, so CR bytes inside the data are
harmless). Data = 648 rows of 1016 px, top row first, each row 127 bytes, most
significant bit = leftmost pixel, bit set = ink. 1016 × 648 px is the 85.6 × 54 mm card at
300 dpi, landscape as the card face is seen.

Sensor reads (``Rse;f``, ``Rse;n``, ``Rlr;h`` and the bezel sensor ``Rse;b``) answer ``1``
when the sensor is active (feeder empty, near empty, reject box full, card waiting in the
bezel) and ``0`` otherwise; the parser also accepts ON/OFF and YES/NO. ``Rse;b`` is the
one read not listed in reference/devices.md: an assumption to check against the
printer's programming guide on the target model. So is the retract ``Sib`` (take the card
waiting in the bezel back in, into the retain bin behind it): kiosk models with a retain bin
have such a command, its exact name is to be checked on the target model. The bin has no
level sensor here: the driver counts what it put in (evolis_usb).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from hal.status import Action, DeviceError

ESC = 0x1B
CR = 0x0D

CARD_WIDTH_PX = 1016
CARD_HEIGHT_PX = 648
K_PANEL_BYTES = CARD_WIDTH_PX * CARD_HEIGHT_PX // 8

# -- commands ---------------------------------------------------------------------------
FIRMWARE = "Rfv"
RESET = "Srs"
HEALTH = "Rok"
ERRORS_TO_SOFTWARE = "Pem;2"
INSERT_FROM_FEEDER = "Pcim;F"
INSERT_AND_PARK_CONTACT = "Pcim;I;S"
TO_CONTACT_STATION = "Sis"
TO_CONTACTLESS_STATION = "Sic"
TO_PRINT_POSITION = "Si"
NO_EJECT_AFTER_PRINT = "Pneab;E"
FORBID_EJECT = "Pneab;A;0"
ALLOW_EJECT = "Pneab;A;1"
EXIT_MODE_INSERT = "Pcem;I"
EXIT_MODE_MANUAL = "Pcem;M"
EJECT_TO_BEZEL = "Seb"
EJECT_TO_REJECT = "Ser"
RETRACT_TO_BIN = "Sib"  # a card not taken: back in from the bezel, into the retain bin
REJECT_BOX_MODE = "Pcrm;D"
FEEDER_EMPTY = "Rse;f"
FEEDER_NEAR_EMPTY = "Rse;n"
BEZEL_CARD = "Rse;b"
REJECT_BOX_FULL = "Rlr;h"
RIBBON_COUNT = "Rrt;count"
RIBBON_CAPACITY = "Rrt;qty"
RIBBON_BLACK = "Pr;k"
CONTRAST_BLACK = "Pc;k;=;10"
JOB_START = "Ss"
JOB_FRONT = "Sr"
JOB_END = "Se"
BITMAP_PREFIX = "Db"

PRINT_JOB_HEADER = (RIBBON_BLACK, CONTRAST_BLACK, NO_EJECT_AFTER_PRINT, JOB_START, JOB_FRONT)

OK = "OK"


def command(text: str) -> bytes:
    return bytes([ESC]) + text.encode("ascii") + bytes([CR])


def download_k_panel(panel: bytes) -> bytes:
    if len(panel) != K_PANEL_BYTES:
        raise ValueError(f"K panel must be {K_PANEL_BYTES} bytes, got {len(panel)}")
    return bytes([ESC]) + b"Db;k;2;" + panel + bytes([CR])


def k_panel_from_image(img: Image.Image) -> bytes:
    """Pack a 1016×648 image into the K panel (Floyd–Steinberg dither for the photo)."""
    if img.size != (CARD_WIDTH_PX, CARD_HEIGHT_PX):
        raise ValueError(f"card image must be {CARD_WIDTH_PX}x{CARD_HEIGHT_PX}, got {img.size}")
    mono = img.convert("L").convert("1")  # Pillow's "1": bit set = white
    return (np.frombuffer(mono.tobytes(), dtype=np.uint8) ^ 0xFF).tobytes()


def k_panel_to_image(panel: bytes) -> Image.Image:
    """Inverse of ``k_panel_from_image`` (used by the emulator to check what was printed)."""
    bits = np.unpackbits(np.frombuffer(panel, dtype=np.uint8)).reshape(CARD_HEIGHT_PX, CARD_WIDTH_PX)
    return Image.fromarray(((1 - bits) * 255).astype(np.uint8), mode="L")


# -- the printer's side: parsing the command stream --------------------------------------
@dataclass(frozen=True)
class EscapeCommand:
    name: str  # e.g. "Pcim"
    args: tuple[str, ...]  # e.g. ("F",)
    payload: bytes = b""  # Db bitmap data

    @property
    def text(self) -> str:
        return ";".join((self.name, *self.args))


_GARBAGE = EscapeCommand("", ())


class EscapeCommandParser:
    """Incremental parser of the host → printer byte stream (bytes outside ESC…CR ignored)."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[EscapeCommand]:
        self._buf += data
        out: list[EscapeCommand] = []
        while True:
            start = self._buf.find(ESC)
            if start < 0:
                self._buf.clear()
                return out
            del self._buf[:start]
            cmd = self._take_one()
            if cmd is None:
                return out
            if cmd is not _GARBAGE:
                out.append(cmd)

    def _take_one(self) -> EscapeCommand | None:
        """The next command, None when more bytes are needed, _GARBAGE after a resync."""
        buf = self._buf
        if buf[1:3] == b"Db":
            # Db;<panel>;<levels>;<data>CR: the data length follows from the levels.
            head_end = _nth_index(buf, ord(";"), 3)
            if head_end < 0:
                return None if len(buf) < 64 else self._drop_garbage()
            fields = bytes(buf[1:head_end]).decode("ascii", "replace").split(";")
            try:
                levels = int(fields[2])
            except (IndexError, ValueError):
                return self._drop_garbage()
            bits = max(1, levels.bit_length() - 1)
            size = (CARD_WIDTH_PX * CARD_HEIGHT_PX * bits + 7) // 8
            end = head_end + 1 + size
            if len(buf) < end + 1:
                return None
            payload = bytes(buf[head_end + 1 : end])
            del buf[: end + 1]  # includes the closing CR
            return EscapeCommand(fields[0], tuple(fields[1:3]), payload)
        end = buf.find(CR)
        if end < 0:
            return None
        text = bytes(buf[1:end]).decode("ascii", "replace")
        del buf[: end + 1]
        name, *args = text.split(";")
        return EscapeCommand(name, tuple(args))

    def _drop_garbage(self) -> EscapeCommand:
        del self._buf[:1]  # skip this ESC and look for the next one
        return _GARBAGE


def _nth_index(buf: bytearray, byte: int, n: int) -> int:
    pos = -1
    for _ in range(n):
        pos = buf.find(byte, pos + 1)
        if pos < 0:
            return -1
    return pos


def reply(text: str) -> bytes:
    return text.encode("ascii")


# -- replies ------------------------------------------------------------------------------
@dataclass(frozen=True)
class PrinterFault:
    reply: str
    code: str  # DeviceError.code
    action: Action
    jammed: bool = False
    message: str = ""


FAULTS: tuple[PrinterFault, ...] = (
    PrinterFault("ERR MECHANICAL", "card_jam", Action.CLEAR, True, "card jammed in the printer"),
    PrinterFault("ERR FEEDER EMPTY", "feeder_empty", Action.CLEAR, False, "no blank card in the hopper"),
    PrinterFault("ERR RIBBON ENDED", "ribbon_out", Action.CLEAR, False, "ribbon used up"),
    PrinterFault("ERR RIBBON", "ribbon_error", Action.CLEAR, False, "ribbon missing or wrong type"),
    PrinterFault("ERR COVER OPEN", "cover_open", Action.CLEAR, False, "printer cover open"),
    PrinterFault("ERR REJECT BOX FULL", "reject_box_full", Action.CLEAR, False, "reject box full"),
    PrinterFault("ERR RETAIN BIN FULL", "retain_bin_full", Action.CLEAR, False, "retain bin full"),
    PrinterFault("ERR CARD ON EJECT", "bezel_occupied", Action.CLEAR, False, "a card waits in the bezel"),
    PrinterFault("ERR NO CARD", "no_card_inside", Action.RESET, False, "no card in the printer"),
    PrinterFault("ERR HEAD TEMP", "head_temperature", Action.SUSPEND, False, "print head too hot"),
    PrinterFault("ERR CDE", "protocol_error", Action.RESET, False, "command refused"),
    PrinterFault("ERR PARAM", "protocol_error", Action.RESET, False, "parameter refused"),
)
_BY_REPLY = {f.reply: f for f in FAULTS}
UNKNOWN_FAULT = PrinterFault("ERR", "printer_error", Action.MAINTENANCE, False, "unlisted printer error")


def fault_for(reply_text: str) -> PrinterFault | None:
    """The fault an error reply stands for; None when the reply is not an error."""
    text = reply_text.strip().upper()
    if not (text.startswith("ERR") or text.startswith("ERROR")):
        return None
    return _BY_REPLY.get(text, UNKNOWN_FAULT)


def fault_reply(code: str) -> str:
    """The reply text the printer sends for a fault code (used by the emulator)."""
    for f in FAULTS:
        if f.code == code:
            return f.reply
    raise KeyError(code)


def as_error(fault: PrinterFault) -> DeviceError:
    return DeviceError(fault.code, fault.message, fault.action)


def decode_reply(raw: bytes) -> str:
    return raw.decode("ascii", "replace").strip("\r\n\x00 ")


def check(reply_text: str) -> str:
    """Raise the mapped ``DeviceError`` for an error reply, else return the reply."""
    fault = fault_for(reply_text)
    if fault is not None:
        raise as_error(fault)
    return reply_text


def parse_flag(reply_text: str) -> bool:
    text = check(reply_text).strip().upper()
    if text in ("1", "ON", "YES", "TRUE"):
        return True
    if text in ("0", "OFF", "NO", "FALSE"):
        return False
    raise DeviceError("protocol_error", f"unexpected sensor reply {text[:16]!r}")


def parse_count(reply_text: str) -> int:
    text = check(reply_text).strip()
    try:
        value = int(text)
    except ValueError:
        raise DeviceError("protocol_error", f"unexpected count reply {text[:16]!r}") from None
    if value < 0:
        raise DeviceError("protocol_error", "negative count")
    return value
