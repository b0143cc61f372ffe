"""ISO 9564-1 format 0 PIN blocks (the clear 8 bytes that a pad or an HSM encrypts).

PIN field: ``0 | L | PIN digits | F padding`` (16 nibbles); PAN field: ``0000`` + the 12
rightmost account digits excluding the check character. Block = PIN field XOR PAN field.
The kiosk itself never builds a block from a real PIN in secure mode: the pad does. This module
serves the pad emulator, the HSM side of the reference central, and tests.
"""

from __future__ import annotations

MIN_PIN = 4
MAX_PIN = 12


class PinBlockError(ValueError):
    """The PIN, the PAN or a decrypted block is malformed (message never contains the PIN)."""


def pan_digits(pan: str) -> str:
    """The 12 account digits used by format 0: drop the check character, take the 12 rightmost.

    An 18-character SSN ending in "X" works: the X is the check character and is dropped.
    """
    body = pan.strip()[:-1]
    digits = body[-12:]
    if len(digits) != 12 or not digits.isdigit() or not digits.isascii():
        raise PinBlockError("the PAN needs at least 12 digits before its check character")
    return digits


def pin_field(pin: str) -> bytes:
    if not (MIN_PIN <= len(pin) <= MAX_PIN and pin.isdigit() and pin.isascii()):
        raise PinBlockError(f"a PIN is {MIN_PIN}-{MAX_PIN} digits")
    nibbles = f"0{len(pin):X}{pin}".ljust(16, "F")
    return bytes.fromhex(nibbles)


def pan_field(pan: str) -> bytes:
    return bytes.fromhex("0000" + pan_digits(pan))


def format0_block(pin: str, pan: str) -> bytes:
    return bytes(a ^ b for a, b in zip(pin_field(pin), pan_field(pan), strict=True))


def decode_format0(block: bytes, pan: str) -> str:
    """The PIN inside a clear format-0 block; PinBlockError if the block is not one."""
    if len(block) != 8:
        raise PinBlockError("a format 0 block is 8 bytes")
    nibbles = bytes(a ^ b for a, b in zip(block, pan_field(pan), strict=True)).hex().upper()
    if nibbles[0] != "0":
        raise PinBlockError("not a format 0 block")
    length = int(nibbles[1], 16)
    pin, pad = nibbles[2 : 2 + length], nibbles[2 + length :]
    if not (MIN_PIN <= length <= MAX_PIN) or not pin.isdigit() or pad != "F" * len(pad):
        raise PinBlockError("malformed format 0 block (wrong PAN or key?)")
    return pin
