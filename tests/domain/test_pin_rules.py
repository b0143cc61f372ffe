"""kiosk/domain/pin_rules.py (art. 32, and art. 33 for the card's status): edges of every rule."""

from __future__ import annotations

import pytest

from hal.types import PinBlock
from kiosk.domain import pin_rules as pr


def clear(pin: str) -> PinBlock:
    return PinBlock(encrypted_hex=None, clear_pin=pin, format="sim-clear")


def test_initial_pin_and_length() -> None:
    assert pr.INITIAL_PIN == "888888" and pr.PIN_LENGTH == 6


@pytest.mark.parametrize(("pin", "reasons"), [
    ("135790", ()), ("112233", ()), ("123457", ()), ("013579", ()), ("098764", ()), ("901234", ("reason.pin_trivial",)),
    ("123456", ("reason.pin_trivial",)), ("654321", ("reason.pin_trivial",)), ("000000", ("reason.pin_trivial",)),
    ("888888", ("reason.pin_is_initial",)), ("12345", ("reason.pin_format",)), ("1234567", ("reason.pin_format",)),
    ("12a456", ("reason.pin_format",)), ("", ("reason.pin_format",)), ("121212", ()),
])
def test_new_pin_problems(pin: str, reasons: tuple[str, ...]) -> None:
    assert pr.new_pin_problems(clear(pin)) == reasons


def test_encrypted_pins_are_judged_by_the_card() -> None:
    assert pr.new_pin_problems(PinBlock(encrypted_hex="AB" * 8)) == ()


@pytest.mark.parametrize(("a", "b", "same"), [
    (clear("135790"), clear("135790"), True), (clear("135790"), clear("135791"), False),
    (clear("135790"), PinBlock("0A1B"), False), (PinBlock("0A1B"), PinBlock("0A1B"), True),
    (PinBlock("0A1B"), PinBlock("0A1C"), False), (PinBlock(None), PinBlock(None), False),
    (PinBlock("0A1B", clear_pin="135790"), PinBlock("0A1B"), False),  # one clear entry: the clear digits decide
])
def test_same_pin(a: PinBlock, b: PinBlock, same: bool) -> None:
    assert pr.same_pin(a, b) is same


@pytest.mark.parametrize(("status", "blocked", "reasons"), [
    ("normal", False, ()), ("normal", True, ()),  # online the central's status decides
    ("loss_reported", False, ("reason.card_loss_reported",)), ("cancelled", False, ("reason.card_cancelled",)),
    ("suspended", True, ("reason.card_suspended",)),
    (None, False, ()), (None, True, ("reason.card_blocked_locally",)),  # offline: the kiosk's block list
])
def test_pin_change_problems(status: str | None, blocked: bool, reasons: tuple[str, ...]) -> None:
    assert pr.pin_change_problems(status, blocked_locally=blocked) == reasons
