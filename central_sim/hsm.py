"""The central HSM side of PIN reset, for cards personalised with the public TEST key.

Same algorithm as docs/chip-test-keys.md (implemented card-side in hal/emulators/vcard.py;
central_sim must not import hal). Production HSMs hold the issuer's SM4/3DES keys instead.
  SK   = HMAC-SHA256(card_key, "PIN-RESET" | challenge)[:16]
  E    = AES-128-ECB(SK, len(pin) | BCD(pin, F-padded) | FF… to 16 bytes)
  MAC  = HMAC-SHA256(SK, 84 24 00 01 14 | E)[:4]
  APDU = 84 24 00 01 14 | E | MAC            (PIN UNBLOCK: sets the PIN, resets the retry counter)
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

TEST_CARD_KEY = b"SSCARD-TEST-KEY1"  # public test key: protects nothing
CHALLENGE_LEN = 8
BLOCK_LEN = 16
MAC_LEN = 4
UNBLOCK_HEADER = bytes([0x84, 0x24, 0x00, 0x01, BLOCK_LEN + MAC_LEN])


def _hmac(key: bytes, *parts: bytes) -> bytes:
    return hmac.new(key, b"".join(parts), hashlib.sha256).digest()


def session_key(card_key: bytes, challenge: bytes) -> bytes:
    return _hmac(card_key, b"PIN-RESET", challenge)[:16]


def pin_bcd(pin: str) -> bytes:
    if not pin.isascii() or not pin.isdigit() or not 1 <= len(pin) <= 12:
        raise ValueError("a PIN is 1-12 decimal digits")
    return bytes.fromhex(pin + "F" * (len(pin) % 2))


def build_reset_apdu(challenge: bytes, new_pin: str, card_key: bytes = TEST_CARD_KEY) -> bytes:
    if len(challenge) != CHALLENGE_LEN:
        raise ValueError("the card challenge is 8 bytes")
    sk = session_key(card_key, challenge)
    plain = (bytes([len(new_pin)]) + pin_bcd(new_pin)).ljust(BLOCK_LEN, b"\xff")
    enc = Cipher(algorithms.AES(sk), modes.ECB()).encryptor()
    block = enc.update(plain) + enc.finalize()
    return UNBLOCK_HEADER + block + _hmac(sk, UNBLOCK_HEADER, block)[:MAC_LEN]


# --- PIN blocks from the encrypted PIN pad --------------------------------------------------------
# The ZT588 test emulator's working PIN key (hal/emulators/zt588_pad.py, a documented public TEST key);
# the pad sends ISO 9564 format 0 bound to the PAN (the SSN = ID number), 3DES-ECB under this key.
TEST_PIN_KEY = bytes.fromhex("89ABCDEF0123456776543210FEDCBA98")


def _pan_field(pan: str) -> bytes:
    digits = pan.strip()[:-1][-12:]  # drop the check character, keep the 12 rightmost digits
    if len(digits) != 12 or not digits.isdigit():
        raise ValueError("the PAN needs 12 digits before its check character")
    return bytes.fromhex("0000" + digits)


def open_pin_block(encrypted: bytes, pan: str, key: bytes = TEST_PIN_KEY) -> str | None:
    """The PIN inside an encrypted format-0 block, or None when the block does not open (wrong key/PAN)."""
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES

    if len(encrypted) != 8:
        return None
    dec = Cipher(TripleDES(key + key[:8]), modes.ECB()).decryptor()  # 2-key 3DES as K1 K2 K1
    clear = dec.update(encrypted) + dec.finalize()
    try:
        nibbles = bytes(a ^ b for a, b in zip(clear, _pan_field(pan), strict=True)).hex().upper()
    except ValueError:
        return None
    length = int(nibbles[1], 16)
    pin, pad = nibbles[2 : 2 + length], nibbles[2 + length :]
    if nibbles[0] != "0" or not 4 <= length <= 12 or not pin.isdigit() or pad != "F" * len(pad):
        return None
    return pin
