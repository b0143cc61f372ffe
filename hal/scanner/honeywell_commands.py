"""The serial command set of a Honeywell-style (Xenon/Granit/Voyager) USB-CDC or RS-232 scanner,
every byte of it. The emulator (hal.emulators.honeywell_scanner) and the driver
(hal.scanner.serial_scanner) both use this module.

- Serial trigger: ``SYN T CR`` arms a read, ``SYN U CR`` disarms it. In manual trigger mode
  (``TRGMOD0``) a good read or the serial-trigger timeout (``TRGSTO<ms>``) ends the window.
- Menu commands: ``SYN M CR`` + ``TAG SUBTAG DATA`` + storage (``!`` this power cycle, ``.`` saved).
  The reply echoes the command with a status byte after the data — ACK (done), ENQ (unknown
  tag/subtag), NAK (data out of range) — followed by the same storage character.
  ``?`` as data asks for the current value: the reply carries it before the status byte.
- Data: the decoded text followed by the configured suffix (``SUFBK299<hex bytes>``: a suffix for
  all symbologies; ``SUFCA2`` clears every suffix). With ``SHWNRD1`` a window that ends without a
  read sends ``NR`` + suffix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum

SYN = 0x16
CR = 0x0D
TRIGGER_ON = bytes([SYN]) + b"T" + bytes([CR])
TRIGGER_OFF = bytes([SYN]) + b"U" + bytes([CR])
MENU_PREFIX = bytes([SYN]) + b"M" + bytes([CR])
NO_READ = b"NR"
TEMPORARY = b"!"
PERMANENT = b"."
STORAGE = (TEMPORARY, PERMANENT)


class Status(IntEnum):
    ACK = 0x06
    ENQ = 0x05  # unknown tag or subtag
    NAK = 0x15  # known command, data out of range


# The settings the driver uses (tag+subtag, 6 characters).
TRIGGER_MODE = "TRGMOD"  # 0 manual/serial trigger, 3 presentation (always on)
TRIGGER_TIMEOUT = "TRGSTO"  # serial-trigger window, ms (0 = until SYN U)
SUFFIX_ALL = "SUFBK2"  # data "99" (all symbologies) + the suffix bytes in hex
SUFFIX_CLEAR = "SUFCA2"
SUFFIX_ENABLE = "SUFENA"  # 1 = send the suffix
NO_READ_MESSAGE = "SHWNRD"  # 1 = send NR when a window ends without a read
REVISION = "REVINF"  # query only: the firmware and model line
ALL_SYMBOLOGIES = "99"

SUFFIXES: dict[str, bytes] = {"cr": b"\r", "crlf": b"\r\n", "lf": b"\n", "tab": b"\t"}
_MENU_REPLY = re.compile(rb"([A-Z0-9]{6})([^\x05\x06\x15]*)([\x05\x06\x15])([!.])")


def encode_menu(tag_subtag: str, data: str = "", storage: bytes = TEMPORARY) -> bytes:
    if not re.fullmatch(r"[A-Z0-9]{6}", tag_subtag) or storage not in STORAGE:
        raise ValueError(f"bad menu command {tag_subtag!r}")
    return MENU_PREFIX + tag_subtag.encode("ascii") + data.encode("ascii") + storage


def suffix_data(suffix: bytes) -> str:
    """The ``SUFBK2`` data for a suffix applied to all symbologies."""
    return ALL_SYMBOLOGIES + suffix.hex().upper()


@dataclass(frozen=True)
class MenuReply:
    command: str  # tag+subtag
    data: str  # echoed data, or the value a query asked for
    status: Status


def find_menu_reply(buffer: bytes) -> tuple[MenuReply, int, int] | None:
    """The first complete menu reply in ``buffer``: (reply, start, end), else None."""
    m = _MENU_REPLY.search(buffer)
    if m is None:
        return None
    reply = MenuReply(m.group(1).decode("ascii"), m.group(2).decode("latin-1"), Status(m.group(3)[0]))
    return reply, m.start(), m.end()


@dataclass(frozen=True)
class MenuRequest:
    command: str
    data: str
    storage: bytes


def parse_menu_request(body: bytes) -> MenuRequest | None:
    """The part after ``SYN M CR`` up to and including the storage character (emulator side)."""
    if len(body) < 7 or body[-1:] not in STORAGE:
        return None
    try:
        text = body[:-1].decode("ascii")
    except UnicodeDecodeError:
        return None
    return MenuRequest(text[:6], text[6:], body[-1:])


def encode_menu_reply(request: MenuRequest, status: Status, value: str | None = None) -> bytes:
    data = request.data if value is None else value
    return request.command.encode("ascii") + data.encode("latin-1") + bytes([status]) + request.storage
