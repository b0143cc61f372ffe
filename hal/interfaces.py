"""One ``typing.Protocol`` per device class.

Every call is blocking and bounded by a timeout; callers run them on the background
worker, never on the UI thread. Normal outcomes (no card, wrong PIN, hopper empty) are
return values; faults raise ``hal.status.DeviceError``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from hal.status import DeviceStatus
from hal.types import (
    ApduResult,
    CardFace,
    CardPersonalisation,
    IdCardData,
    PinBlock,
    PinEntryEvent,
    PinResult,
    Receipt,
    SsCardData,
)

Frame = npt.NDArray[np.uint8]  # BGR, as OpenCV gives it


@runtime_checkable
class Device(Protocol):
    name: str

    def status(self) -> DeviceStatus: ...

    def open(self) -> None:
        """Connect; must be safe to call again after an unplug (reconnect)."""
        ...

    def close(self) -> None: ...


class IdCardReader(Device, Protocol):
    def read_card(self, timeout_s: float) -> IdCardData | None:
        """Poll find → select → read until a card is read or the timeout passes (None)."""
        ...

    def card_present(self) -> bool: ...


class CardReader(Device, Protocol):
    """A PC/SC reader holding a social security card (the customer slot or the encoder)."""

    def wait_for_card(self, timeout_s: float) -> bool: ...

    def card_present(self) -> bool: ...

    def read_card(self) -> SsCardData | None:
        """None when no card is present; DeviceError on a protocol fault."""
        ...

    def verify_pin(self, pin: PinBlock) -> PinResult: ...

    def change_pin(self, old: PinBlock, new: PinBlock) -> PinResult: ...

    def get_challenge(self) -> ApduResult: ...

    def send_authorised_apdu(self, apdu_hex: str) -> PinResult:
        """Send an HSM-built command (PIN reload/unblock) and map its status word."""
        ...

    def personalise(self, data: CardPersonalisation) -> ApduResult:
        """Write EF05/EF06 and set the initial PIN on a blank card at the encoder."""
        ...

    def on_card_event(self, callback: Callable[[bool], None]) -> None:
        """Register a callback for insertion (True) and removal (False)."""
        ...


class CardIssuer(Device, Protocol):
    """The card printer with its hopper, contact station, reject box and bezel."""

    def feed_to_contact(self) -> None:
        """Take a blank from the hopper and park it at the contact (encoder) station."""
        ...

    def print_face(self, face: CardFace) -> None: ...

    def eject_to_bezel(self) -> None: ...

    def eject_to_reject(self) -> None: ...

    def retract(self) -> None:
        """Take a card not taken back from the bezel into the retain bin (DeviceError if none/full)."""
        ...

    def retain_bin_emptied(self) -> None:
        """Staff took the retained cards out: the bin's level (not the lifetime count) goes to zero."""
        ...

    def card_taken(self) -> bool:
        """True once the citizen took the card from the bezel."""
        ...


class Camera(Device, Protocol):
    def read_frame(self) -> Frame | None: ...

    @property
    def fps(self) -> float: ...


class PinPad(Device, Protocol):
    @property
    def secure(self) -> bool:
        """False for the weaker on-screen entry mode."""
        ...

    def start_entry(self, min_len: int, max_len: int, timeout_s: float) -> None: ...

    def next_event(self, timeout_s: float) -> PinEntryEvent | None: ...

    def get_pin_block(self, pan: str) -> PinBlock: ...

    def cancel(self) -> None: ...


class ReceiptPrinter(Device, Protocol):
    def print_receipt(self, receipt: Receipt) -> None: ...


class AudioOutput(Device, Protocol):
    """Speaker for the voice prompts. Unlike the other devices its calls return at once (the
    UI thread calls them); playback runs on the driver's own thread."""

    def play(self, clips: Sequence[Path]) -> None:
        """Stop whatever is playing, then play these audio files one after another."""
        ...

    def stop(self) -> None: ...

    def playing(self) -> bool: ...

    def set_volume(self, volume: float) -> None:
        """0.0 (mute) to 1.0 (full)."""
        ...

    def volume(self) -> float: ...
