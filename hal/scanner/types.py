"""The scanner device class: what a scan yields and the ``Scanner`` protocol (hal.interfaces style).

A code is opaque to the kiosk (an e-card sign-in token, verified by the central): the driver hands
over its text and nothing else. Its ``repr`` never shows the text: a token is a credential.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, runtime_checkable

from hal.status import DeviceStatus

MAX_CODE_CHARS = 2048  # an e-card token is ~100 characters; anything this long is not one


class ScanOutcome(StrEnum):
    CODE = "code"  # a code was decoded; ``text`` holds it
    UNREADABLE = "unreadable"  # a code was seen but could not be decoded (damaged, glare, not text)


@dataclass(frozen=True, repr=False)
class Scan:
    outcome: ScanOutcome
    text: str = ""
    symbology: str = ""  # e.g. "QRCode" where the device says; "" when it does not

    def __repr__(self) -> str:
        return f"Scan({self.outcome.value}, {len(self.text)} chars)"


def decoded_text(data: bytes) -> Scan:
    """A scanner's payload bytes as a Scan: UTF-8 printable text, else unreadable."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return Scan(ScanOutcome.UNREADABLE)
    return checked_text(text)


def checked_text(text: str, symbology: str = "") -> Scan:
    if not text or len(text) > MAX_CODE_CHARS or not text.isprintable():
        return Scan(ScanOutcome.UNREADABLE, symbology=symbology)
    return Scan(ScanOutcome.CODE, text, symbology)


@runtime_checkable
class Scanner(Protocol):
    """A QR/barcode reader. Blocking calls bounded by a timeout, run on the background worker."""

    name: str

    def status(self) -> DeviceStatus: ...

    def open(self) -> None: ...

    def close(self) -> None: ...

    def read_code(self, timeout_s: float) -> Scan | None:
        """Arm the scanner (if it is not) and wait up to ``timeout_s`` for one code; None on timeout.
        The scanner stays armed between calls until ``stop``, so a screen can poll in short slices."""
        ...

    def stop(self) -> None:
        """Disarm (illumination off); scans arriving later are dropped."""
        ...
