"""PIN rules of the social security application (regulation art. 32), in one place.

Initial PIN 888888; the card locks after 6 wrong tries; a new PIN must be 6 digits and may
be neither the initial PIN nor trivial (one digit repeated, or a run up or down). The
clear digits are only ever seen inside a weak-mode ``PinBlock`` (simulator / on-screen pad):
with an encrypting pad the card and the central HSM enforce the same rule.
"""

from __future__ import annotations

import itertools

from hal.types import PinBlock

INITIAL_PIN = "888888"  # art. 32 (the six-tries lock is the card's own counter)
PIN_LENGTH = 6
# Art. 33: a card reported lost is frozen, a cancelled one (or one lapsed by a replacement) is void.
NO_PIN_CHANGE = ("loss_reported", "cancelled", "suspended")


def _trivial(pin: str) -> bool:
    if len(set(pin)) == 1:
        return True
    steps = {(int(b) - int(a)) % 10 for a, b in itertools.pairwise(pin)}
    return steps in ({1}, {9})  # 123456, 345678, 654321, 890123 …


def new_pin_problems(pin: PinBlock) -> tuple[str, ...]:
    """Reason keys why ``pin`` may not become the new PIN (all of them), () when acceptable."""
    clear = pin.clear_pin
    if clear is None:  # encrypted: only the card / HSM can judge it
        return ()
    if len(clear) != PIN_LENGTH or not clear.isdigit():
        return ("reason.pin_format",)
    if clear == INITIAL_PIN:
        return ("reason.pin_is_initial",)
    if _trivial(clear):
        return ("reason.pin_trivial",)
    return ()


def pin_change_problems(status: str | None, *, blocked_locally: bool) -> tuple[str, ...]:
    """Why a card's PIN may not be changed: its status at the central (online; None when unknown) and the
    kiosk's own block list (a loss reported here, not yet confirmed)."""
    reasons = []
    if status in NO_PIN_CHANGE:
        reasons.append(f"reason.card_{status}")
    if blocked_locally and status is None:
        reasons.append("reason.card_blocked_locally")
    return tuple(reasons)


def same_pin(a: PinBlock, b: PinBlock) -> bool:
    """The two entries of a new PIN agree (ISO 9564 format 0 blocks are deterministic per PAN)."""
    if a.clear_pin is not None or b.clear_pin is not None:
        return a.clear_pin == b.clear_pin
    return a.encrypted_hex is not None and a.encrypted_hex == b.encrypted_hex
