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
