"""Simulated PC/SC reader with a simulated social security chip (customer slot or encoder)."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from hal.sim.base import SimDevice
from hal.status import Media
from hal.types import (
    ApduOutcome,
    ApduResult,
    CardPersonalisation,
    PinBlock,
    PinOutcome,
    PinResult,
    SsCardData,
)

MAX_PIN_TRIES = 6  # regulation art. 32


@dataclass
class SimChip:
    """A card's chip. ``data`` is None for a blank card."""

    data: SsCardData | None
    pin: str = "888888"
    tries_left: int = MAX_PIN_TRIES
    pending_challenge: bytes = b""
    reset_pin_hook: Callable[[str, bytes], str | None] | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        return "SimChip(<personal data>)"


class SimCardReader(SimDevice):
    def __init__(self, name: str = "card_reader", latency_s: float = 0.0) -> None:
        super().__init__(name, latency_s)
        self._chip: SimChip | None = None
        self._listeners: list[Callable[[bool], None]] = []

    def _media(self) -> Media:
        return Media.PRESENT if self._chip else Media.NOT_PRESENT

    # -- steering --------------------------------------------------------------
    def insert(self, chip: SimChip) -> None:
        with self._lock:
            self._chip = chip
            self._changed.notify_all()
            listeners = list(self._listeners)
        for cb in listeners:
            cb(True)

    def remove(self) -> SimChip | None:
        with self._lock:
            chip, self._chip = self._chip, None
            self._changed.notify_all()
            listeners = list(self._listeners)
        for cb in listeners:
            cb(False)
        return chip

    @property
    def chip(self) -> SimChip | None:
        return self._chip

    def _steer(self, action: str, params: dict[str, object]) -> str:
        if action == "remove":
            self.remove()
            return "removed"
        if action == "insert":
            chip = params.get("chip")
            if not isinstance(chip, SimChip):
                raise ValueError("insert needs chip=SimChip")
            self.insert(chip)
            return "inserted"
        return super()._steer(action, params)

    # -- CardReader ------------------------------------------------------------
    def on_card_event(self, callback: Callable[[bool], None]) -> None:
        with self._lock:
            self._listeners.append(callback)

    def card_present(self) -> bool:
        return self._chip is not None

    def wait_for_card(self, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        with self._lock:
            while self._chip is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(min(left, 0.2))
            return True

    def read_card(self) -> SsCardData | None:
        self._operation("read")
        chip = self._chip
        if chip is None:
            return None
        self._count("reads")
        return chip.data

    def verify_pin(self, pin: PinBlock) -> PinResult:
        self._operation("verify")
        with self._lock:
            chip = self._chip
            if chip is None:
                return PinResult(PinOutcome.NO_CARD)
            if chip.tries_left <= 0:
                return PinResult(PinOutcome.LOCKED, 0, "6983")
            if pin.clear_pin == chip.pin:
                chip.tries_left = MAX_PIN_TRIES
                return PinResult(PinOutcome.OK, MAX_PIN_TRIES, "9000")
            chip.tries_left -= 1
            if chip.tries_left == 0:
                return PinResult(PinOutcome.LOCKED, 0, "6983")
            return PinResult(PinOutcome.WRONG, chip.tries_left, f"63C{chip.tries_left:X}")

    def change_pin(self, old: PinBlock, new: PinBlock) -> PinResult:
        first = self.verify_pin(old)
        if first.outcome is not PinOutcome.OK:
            return first
        with self._lock:
            chip = self._chip
            if chip is None:
                return PinResult(PinOutcome.CARD_REMOVED)
            if not new.clear_pin:
                return PinResult(PinOutcome.REFUSED, sw="6A80")
            chip.pin = new.clear_pin
            return PinResult(PinOutcome.OK, MAX_PIN_TRIES, "9000")

    def get_challenge(self) -> ApduResult:
        self._operation("challenge")
        with self._lock:
            chip = self._chip
            if chip is None:
                return ApduResult(ApduOutcome.NO_CARD)
            chip.pending_challenge = os.urandom(8)
            return ApduResult(ApduOutcome.OK, chip.pending_challenge, "9000")

    def send_authorised_apdu(self, apdu_hex: str) -> PinResult:
        """Simulator: the 'APDU' carries the new PIN after a marker, checked against the challenge."""
        self._operation("reset")
        with self._lock:
            chip = self._chip
            if chip is None:
                return PinResult(PinOutcome.NO_CARD)
            hook = chip.reset_pin_hook  # e.g. a test's decoder of the central HSM's real command
            new_pin = hook(apdu_hex, chip.pending_challenge) if hook else sim_reset_apdu_pin(
                apdu_hex, chip.pending_challenge)
            if new_pin is None:
                return PinResult(PinOutcome.REFUSED, sw="6988")
            chip.pin = new_pin
            chip.tries_left = MAX_PIN_TRIES
            chip.pending_challenge = b""
            return PinResult(PinOutcome.OK, MAX_PIN_TRIES, "9000")

    def personalise(self, data: CardPersonalisation) -> ApduResult:
        self._operation("personalise")
        with self._lock:
            chip = self._chip
            if chip is None:
                return ApduResult(ApduOutcome.NO_CARD)
            chip.data = SsCardData(
                atr="3B6C00000A0B0C0D0E0F1011121314",
                card_id_code=data.card_id_code,
                card_type=data.card_type,
                spec_version=data.spec_version,
                issue_date=data.issue_date,
                expiry_date=data.expiry_date,
                card_no=data.card_no,
                ssn=data.ssn,
                name=data.name,
                sex=data.sex,
                ethnicity=data.ethnicity,
                birth_place=data.birth_place,
                birth_date=data.birth_date,
            )
            chip.pin = data.initial_pin
            chip.tries_left = MAX_PIN_TRIES
            self._count("personalised")
            return ApduResult(ApduOutcome.OK, b"", "9000")


SIM_RESET_PREFIX = "5349"  # "SI": simulator reset 'APDU' = prefix + challenge hex + new PIN digits


def sim_reset_apdu_pin(apdu_hex: str, challenge: bytes) -> str | None:
    """The PIN a simulator reset command carries, if it answers the card's challenge."""
    expected = SIM_RESET_PREFIX + challenge.hex().upper()
    if not challenge or not apdu_hex.upper().startswith(expected):
        return None
    pin = apdu_hex[len(expected):]
    return pin if pin.isdigit() and 6 <= len(pin) <= 12 else None


def blank_chip() -> SimChip:
    return SimChip(data=None)


def chip_for(data: SsCardData, pin: str = "888888", tries_left: int = MAX_PIN_TRIES) -> SimChip:
    return SimChip(data=dataclasses.replace(data), pin=pin, tries_left=tries_left)

