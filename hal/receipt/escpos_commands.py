"""ESC/POS: the only module that knows its bytes (host commands, status replies, parsing).

Chinese text is printed as raster images (``GS v 0``) rendered with a CJK font, not with
the printer's GB18030 code page (``FS &``): the image path works on any ESC/POS printer
whatever fonts its ROM holds, and it prints rare name characters (䶮, 𠮷) that a GB2312
or GB18030 font ROM often lacks. The QR code uses the printer's native ``GS ( k``
(model 2), so the emulator can read back its payload.

Status: ``DLE EOT n`` is answered with one byte at once, even while the printer is
offline; ``n = 2`` gives the offline cause (cover open, paper end), ``n = 4`` the paper
roll sensors (near end, end). Every status byte has bit 1 and bit 4 set and bits 0 and 7
clear, which lets the host tell a status byte from noise.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from PIL import Image

ESC = 0x1B
GS = 0x1D
DLE = 0x10
EOT = 0x04
LF = 0x0A

INIT = bytes([ESC, ord("@")])
STATUS_PRINTER = 1
STATUS_OFFLINE = 2
STATUS_ERROR = 3
STATUS_PAPER = 4

_FIXED_MASK = 0x93
_FIXED_BITS = 0x12


def align(center: bool) -> bytes:
    return bytes([ESC, ord("a"), 1 if center else 0])


def feed_lines(n: int) -> bytes:
    return bytes([ESC, ord("d"), max(0, min(n, 255))])


def cut(feed: int = 3) -> bytes:
    """Feed ``feed`` lines then partial cut (GS V 66 n)."""
    return bytes([GS, ord("V"), 66, max(0, min(feed, 255))])


def status_query(n: int) -> bytes:
    return bytes([DLE, EOT, n])


def raster(img: Image.Image) -> bytes:
    """``GS v 0``: a 1-bit raster, bit set = black, MSB = leftmost dot."""
    mono = img.convert("L").convert("1")
    width_bytes = (mono.width + 7) // 8
    padded = Image.new("1", (width_bytes * 8, mono.height), 1)
    padded.paste(mono, (0, 0))
    data = (np.frombuffer(padded.tobytes(), dtype=np.uint8) ^ 0xFF).tobytes()
    h = mono.height
    return bytes([GS, ord("v"), ord("0"), 0, width_bytes & 0xFF, width_bytes >> 8, h & 0xFF, h >> 8]) + data


def _gs_k(fn_and_data: bytes) -> bytes:
    n = len(fn_and_data)
    return bytes([GS, ord("("), ord("k"), n & 0xFF, n >> 8]) + fn_and_data


QR_ECC = {"L": 48, "M": 49, "Q": 50, "H": 51}


def qr(payload: str, module_size: int = 6, ecc: str = "M") -> bytes:
    data = payload.encode("utf-8")
    if len(data) > 7089:
        raise ValueError("QR payload too long")
    return (
        _gs_k(bytes([0x31, 0x41, 0x32, 0x00]))  # fn 165: model 2
        + _gs_k(bytes([0x31, 0x43, max(1, min(module_size, 16))]))  # fn 167: module size
        + _gs_k(bytes([0x31, 0x45, QR_ECC[ecc]]))  # fn 169: error correction
        + _gs_k(bytes([0x31, 0x50, 0x30]) + data)  # fn 180: store the data
        + _gs_k(bytes([0x31, 0x51, 0x30]))  # fn 181: print it
    )


# -- status bytes ------------------------------------------------------------------------
class Paper(StrEnum):
    OK = "ok"
    NEAR_END = "near_end"
    OUT = "out"


@dataclass(frozen=True)
class OfflineCause:
    cover_open: bool
    paper_out: bool
    error: bool


def is_status_byte(b: int) -> bool:
    return (b & _FIXED_MASK) == _FIXED_BITS


def parse_paper(b: int) -> Paper:
    if b & 0x60:
        return Paper.OUT
    if b & 0x0C:
        return Paper.NEAR_END
    return Paper.OK


def parse_offline(b: int) -> OfflineCause:
    return OfflineCause(cover_open=bool(b & 0x04), paper_out=bool(b & 0x20), error=bool(b & 0x40))


def paper_byte(paper: Paper) -> int:
    return _FIXED_BITS | {Paper.OK: 0, Paper.NEAR_END: 0x0C, Paper.OUT: 0x6C}[paper]


def offline_byte(cover_open: bool, paper_out: bool, error: bool = False) -> int:
    return _FIXED_BITS | (0x04 if cover_open else 0) | (0x20 if paper_out else 0) | (0x40 if error else 0)


def paper_sensor_byte(paper: Paper) -> int:
    """Reply to ``GS r 1``: bits 0-1 near end, bits 2-3 paper end (no fixed bits)."""
    return {Paper.OK: 0, Paper.NEAR_END: 0x03, Paper.OUT: 0x0F}[paper]


def printer_byte(offline: bool) -> int:
    return _FIXED_BITS | (0x08 if offline else 0)


# -- the printer's side: parsing the stream ------------------------------------------------
@dataclass(frozen=True)
class Event:
    kind: str  # raster | qr_store | qr_size | qr_ecc | qr_print | cut | text | status | paper_sensor | ...
    value: object = None


class EscPosParser:
    """Incremental parser of the subset of ESC/POS the driver (and most receipts) use."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[Event]:
        self._buf += data
        out: list[Event] = []
        while self._buf:
            taken = self._take()
            if taken is None:
                break
            used, event = taken
            del self._buf[:used]
            if event is not None:
                out.append(event)
        return out

    def _take(self) -> tuple[int, Event | None] | None:
        b = self._buf
        c = b[0]
        if c == DLE:
            if len(b) < 3:
                return None
            return (3, Event("status", b[2])) if b[1] == EOT else (1, None)
        if c == ESC:
            if len(b) < 2:
                return None
            op = b[1]
            if op == ord("@"):
                return 2, Event("init")
            if op in (ord("a"), ord("d"), ord("E"), ord("!"), ord("-"), ord("t"), ord("M")):
                if len(b) < 3:
                    return None
                return 3, Event("align", b[2]) if op == ord("a") else None
            return 2, None  # unknown: skip ESC and its opcode
        if c == GS:
            return self._take_gs()
        if c == LF:
            return 1, Event("text", b"\n")
        end = 1
        while end < len(b) and b[end] not in (DLE, ESC, GS, LF):
            end += 1
        return end, Event("text", bytes(b[:end]))

    def _take_gs(self) -> tuple[int, Event | None] | None:
        b = self._buf
        if len(b) < 2:
            return None
        op = b[1]
        if op == ord("v"):
            if len(b) < 8:
                return None
            wb, h = b[4] | b[5] << 8, b[6] | b[7] << 8
            end = 8 + wb * h
            if len(b) < end:
                return None
            bits = np.unpackbits(np.frombuffer(bytes(b[8:end]), dtype=np.uint8)).reshape(h, wb * 8)
            return end, Event("raster", Image.fromarray(((1 - bits) * 255).astype(np.uint8), mode="L"))
        if op == ord("("):
            if len(b) < 5:
                return None
            n = b[3] | b[4] << 8
            end = 5 + n
            if len(b) < end:
                return None
            body = bytes(b[5:end])
            if b[2] == ord("k") and body[:3] == bytes([0x31, 0x50, 0x30]):
                return end, Event("qr_store", body[3:].decode("utf-8", "replace"))
            if b[2] == ord("k") and body[:2] == bytes([0x31, 0x51]):
                return end, Event("qr_print")
            if b[2] == ord("k") and body[:2] == bytes([0x31, 0x43]) and len(body) > 2:
                return end, Event("qr_size", body[2])
            if b[2] == ord("k") and body[:2] == bytes([0x31, 0x45]) and len(body) > 2:
                return end, Event("qr_ecc", {v: k for k, v in QR_ECC.items()}.get(body[2], "M"))
            return end, None
        if op == ord("V"):
            if len(b) < 3:
                return None
            if b[2] in (0, 1, 48, 49):
                return 3, Event("cut", b[2])
            if len(b) < 4:
                return None
            return 4, Event("cut", b[2])
        if op in (ord("!"), ord("B"), ord("r"), ord("a")):
            if len(b) < 3:
                return None
            return (3, Event("paper_sensor", b[2])) if op == ord("r") else (3, None)
        return 2, None
