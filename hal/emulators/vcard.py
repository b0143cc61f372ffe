"""A virtual social security card and a virtual PSAM, for tests through pyscard → pcscd → vpcd.

The chip logic is pure (``process(apdu) -> response``) and speaks the bytes of
``hal.sscard.apdu``; ``VirtualCardSlot`` puts a chip on a vpcd reader (see ``vpcd.py``).

Test-key scheme (specified in docs/chip-test-keys.md so central_sim can reimplement it
without importing hal): HMAC-SHA256 and AES-128 under two public TEST keys.
These keys protect nothing; production cards use the issuer's SM4/3DES keys in a PSAM/HSM.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from hal.emulators.vpcd import READER_0, READER_1, VPCD_PORT_0, VPCD_PORT_1, VpcdLink
from hal.sscard import apdu
from hal.sscard.apdu import SwKind
from hal.types import CardPersonalisation

__all__ = [
    "READER_0", "READER_1", "TEST_AUTH_KEY", "TEST_CARD_KEY", "VPCD_PORT_0", "VPCD_PORT_1",
    "VirtualPsam", "VirtualSsCard", "VpcdLink", "build_reload_apdu", "build_reset_apdu",
    "external_auth_cryptogram", "sample_personalisation",
]

TEST_CARD_KEY = b"SSCARD-TEST-KEY1"  # PIN reload/unblock MAC + encryption (card ↔ central HSM)
TEST_AUTH_KEY = b"SSCARD-AUTH-KEY1"  # RKSSSE external authentication (card ↔ PSAM / HSM)
INITIAL_PIN = "888888"  # regulation art. 32
MAX_PIN_TRIES = 6  # regulation art. 32



def _with_tck(atr: bytes) -> bytes:
    """Append the ATR check byte (XOR of T0..last), required once T=1 is offered."""
    tck = 0
    for byte in atr[1:]:
        tck ^= byte
    return atr + bytes([tck])


# 3B | T0 (TD1, k historical bytes) | TD1 = T=0, TD2 follows | TD2 = T=1 | historical | TCK
ATR_SSCARD = _with_tck(bytes.fromhex("3B898001") + b"SSCARD300")
ATR_PSAM = _with_tck(bytes.fromhex("3B888001") + b"PSAMTEST")


# --- the test-key scheme (docs/chip-test-keys.md) ---------------------------------------------


def _hmac(key: bytes, *parts: bytes) -> bytes:
    return hmac.new(key, b"".join(parts), hashlib.sha256).digest()


def external_auth_cryptogram(auth_key: bytes, challenge: bytes, key_ref: int) -> bytes:
    """16 bytes = HMAC-SHA256(auth_key, "EXT-AUTH" | key_ref | challenge)[:16]."""
    return _hmac(auth_key, b"EXT-AUTH", bytes([key_ref]), challenge)[:16]


def reset_session_key(card_key: bytes, challenge: bytes) -> bytes:
    """16 bytes = HMAC-SHA256(card_key, "PIN-RESET" | challenge)[:16]."""
    return _hmac(card_key, b"PIN-RESET", challenge)[:16]


def _pin_plain_block(new_pin: str) -> bytes:
    bcd = apdu.pin_bcd(new_pin)
    return (bytes([len(new_pin)]) + bcd).ljust(apdu.UNBLOCK_BLOCK_LEN, b"\xff")


def _aes_ecb(key: bytes, block: bytes, encrypt: bool) -> bytes:
    cipher = Cipher(algorithms.AES(key), modes.ECB())
    op = cipher.encryptor() if encrypt else cipher.decryptor()
    return op.update(block) + op.finalize()


def build_reset_apdu(card_key: bytes, challenge: bytes, new_pin: str) -> bytes:
    """The HSM's PIN UNBLOCK command that sets ``new_pin`` and resets the retry counter.

    ``84 24 00 01 14 | E | MAC`` with SK = reset_session_key(card_key, challenge),
    E = AES-128-ECB(SK, len(pin) | BCD(pin, F-padded) | FF…FF to 16 bytes),
    MAC = HMAC-SHA256(SK, 84 24 00 01 14 | E)[:4].
    """
    if len(challenge) != apdu.CHALLENGE_LEN:
        raise ValueError("challenge must be 8 bytes")
    session = reset_session_key(card_key, challenge)
    block = _aes_ecb(session, _pin_plain_block(new_pin), encrypt=True)
    mac = _hmac(session, apdu.PIN_UNBLOCK_HEADER, block)[: apdu.MAC_LEN]
    return apdu.pin_unblock(block, mac)


def build_reload_apdu(card_key: bytes, challenge: bytes, new_pin: str) -> bytes:
    """RELOAD PIN ``80 5E 00 00 Lc | BCD(pin) | MAC``; MAC = HMAC-SHA256(SK, header+Lc | BCD)[:4]."""
    session = reset_session_key(card_key, challenge)
    bcd = apdu.pin_bcd(new_pin)
    header = apdu.reload_pin(new_pin, b"\x00" * apdu.MAC_LEN)[:5]
    return apdu.reload_pin(new_pin, _hmac(session, header, bcd)[: apdu.MAC_LEN])


# --- sample data ------------------------------------------------------------------------------


def sample_personalisation(**overrides: object) -> CardPersonalisation:
    """A made-up Fuzhou holder (valid check digit, no real person)."""
    values: dict[str, object] = {
        "card_id_code": "350100D156000005A1B2C3D4E5F60718",
        "card_type": "3",
        "spec_version": "3.00",
        "issue_date": dt.date(2024, 5, 20),
        "expiry_date": dt.date(2034, 5, 20),
        "card_no": "A12345678",
        "ssn": "350102199003070012",
        "name": "林小明",
        "sex": "1",
        "ethnicity": "01",
        "birth_place": "350102",
        "birth_date": dt.date(1990, 3, 7),
        "initial_pin": INITIAL_PIN,
    }
    values.update(overrides)
    return CardPersonalisation(**values)  # type: ignore[arg-type]


# --- helpers ----------------------------------------------------------------------------------


def _sw(kind: SwKind) -> bytes:
    return apdu.SW_BY_KIND[kind].to_bytes(2, "big")


def _sw_raw(sw1: int, sw2: int) -> bytes:
    return bytes([sw1, sw2 & 0xFF])


OK = _sw(SwKind.OK)


@dataclass
class _Command:
    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes
    le: int | None  # None: no Le field; 0 means 256

    @classmethod
    def parse(cls, raw: bytes) -> _Command | None:
        if len(raw) < 4:
            return None
        cla, ins, p1, p2 = raw[:4]
        body = raw[4:]
        if not body:
            return cls(cla, ins, p1, p2, b"", None)
        if len(body) == 1:
            return cls(cla, ins, p1, p2, b"", body[0])
        lc = body[0]
        if lc == 0 or len(body) not in (1 + lc, 2 + lc):
            return None
        le = body[1 + lc] if len(body) == 2 + lc else None
        return cls(cla, ins, p1, p2, body[1 : 1 + lc], le)


class _ChipBase:
    """Le handling shared by the virtual chips: 6Cxx and 61xx on demand."""

    atr: bytes

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.force_61xx = False  # every data response comes as 61xx + GET RESPONSE
        self.force_6cxx = False  # every data response first answers 6Cxx (wrong Le)
        self._pending = b""
        self._last_6c: bytes | None = None

    def _respond(self, cmd: _Command, raw: bytes, data: bytes) -> bytes:
        if cmd.le is not None and cmd.le != 0 and cmd.le < len(data):
            return _sw_raw(0x6C, len(data))
        if self.force_6cxx and data:
            header = raw[:4]
            if self._last_6c != header:
                self._last_6c = header
                return _sw_raw(0x6C, len(data))
            self._last_6c = None
        if self.force_61xx and data:
            self._pending = data
            return _sw_raw(0x61, len(data))
        return data + OK

    def _get_response(self, cmd: _Command) -> bytes:
        if not self._pending:
            return _sw(SwKind.CONDITIONS_NOT_SATISFIED)
        want = cmd.le or 256
        chunk, self._pending = self._pending[:want], self._pending[want:]
        if self._pending:
            return chunk + _sw_raw(0x61, len(self._pending))
        return chunk + OK


_Handler = Callable[["VirtualSsCard", _Command, bytes, "bytes | None"], bytes]


class VirtualSsCard(_ChipBase):
    """A social security chip: SSSE with EF05/EF06, PIN, challenge, external authentication.

    ``generation`` 3 cards require external authentication 0A before EF06 reads and 04 before
    any write; generation 2 cards accept writes only while blank (no PIN installed).
    """

    def __init__(
        self,
        *,
        generation: int = 2,
        pin: str | None = INITIAL_PIN,
        tries_left: int = MAX_PIN_TRIES,
        app_blocked: bool = False,
        card_key: bytes = TEST_CARD_KEY,
        auth_key: bytes = TEST_AUTH_KEY,
        atr: bytes = ATR_SSCARD,
    ) -> None:
        super().__init__()
        self.atr = atr
        self.generation = generation
        self.pin = pin
        self.tries_left = tries_left
        self.app_blocked = app_blocked
        self.card_key = card_key
        self.auth_key = auth_key
        self.records: dict[tuple[int, int], bytes] = {}  # (fid, tag) → tag|len|value
        self.refuse_initial_pin = True  # cards refuse changing (back) to the initial PIN
        self._app_selected = False
        self._ef: int | None = None
        self._challenge: bytes | None = None
        self._authorised: set[int] = set()

    def __repr__(self) -> str:
        return f"VirtualSsCard(generation={self.generation}, <personal data>)"

    # -- constructors ----------------------------------------------------------------------------
    @classmethod
    def personalised(cls, data: CardPersonalisation | None = None, **kwargs: object) -> VirtualSsCard:
        data = data or sample_personalisation()
        card = cls(pin=data.initial_pin, **kwargs)  # type: ignore[arg-type]
        card.write_personalisation(data)
        return card

    @classmethod
    def blank(cls, **kwargs: object) -> VirtualSsCard:
        return cls(pin=None, **kwargs)  # type: ignore[arg-type]

    @classmethod
    def locked(cls, data: CardPersonalisation | None = None, **kwargs: object) -> VirtualSsCard:
        card = cls.personalised(data, **kwargs)
        card.tries_left = 0
        return card

    def write_personalisation(self, data: CardPersonalisation) -> None:
        """Write the records directly (what a factory-personalised card holds)."""
        head, tail = apdu.split_name(data.name)
        with self.lock:
            for item in apdu.CARD_ITEMS:
                if item.tag == apdu.TAG_NAME:
                    value = head
                elif item.tag == apdu.TAG_NAME_EXT:
                    value = tail
                else:
                    value = apdu.encode_item(item, getattr(data, item.field))
                self.records[(item.fid, item.tag)] = apdu.build_record(item.tag, value)

    def set_raw_item(self, tag: int, value: bytes | None) -> None:
        """Put raw bytes in an item (None deletes the record), e.g. an undecodable name."""
        fid = apdu.ITEM_BY_TAG[tag].fid
        with self.lock:
            if value is None:
                self.records.pop((fid, tag), None)
            else:
                self.records[(fid, tag)] = apdu.build_record(tag, value)

    def item_value(self, tag: int) -> bytes | None:
        record = self.records.get((apdu.ITEM_BY_TAG[tag].fid, tag))
        return None if record is None else record[2:]

    # -- ApduCard ---------------------------------------------------------------------------------
    def power(self, on: bool) -> None:
        with self.lock:
            self._app_selected = False
            self._ef = None
            self._challenge = None
            self._authorised.clear()
            self._pending = b""
            self._last_6c = None

    def process(self, command: bytes) -> bytes:
        with self.lock:
            cmd = _Command.parse(command)
            if cmd is None:
                return _sw(SwKind.WRONG_LENGTH)
            challenge, self._challenge = self._challenge, None  # a challenge is good for one command
            if cmd.ins == apdu.INS_GET_RESPONSE and cmd.cla == apdu.CLA_ISO:
                self._challenge = challenge
                return self._get_response(cmd)
            self._pending = b""
            handler = self._HANDLERS.get((cmd.cla, cmd.ins))
            if handler is None:
                known_cla = cmd.cla in (apdu.CLA_ISO, apdu.CLA_PROPRIETARY, apdu.CLA_SECURE)
                return _sw(SwKind.INS_NOT_SUPPORTED if known_cla else SwKind.CLA_NOT_SUPPORTED)
            return handler(self, cmd, command, challenge)

    # -- commands --------------------------------------------------------------------------------
    def _select(self, cmd: _Command, raw: bytes, challenge: bytes | None) -> bytes:
        if cmd.p1 == apdu.P1_SELECT_BY_NAME:
            if cmd.data != apdu.SSSE_AID:
                return _sw(SwKind.FILE_NOT_FOUND)
            self._app_selected = True
            self._ef = None
            flag = apdu.TAG_ALGORITHM_FLAG.to_bytes(2, "big") + b"\x03\x86\x01\x01"
            fci = b"\x6f" + bytes([4 + len(cmd.data) + len(flag)]) + b"\x84" + bytes([len(cmd.data)])
            fci += cmd.data + b"\xa5" + bytes([len(flag)]) + flag
            return self._respond(cmd, raw, fci)
        if cmd.p1 in (apdu.P1_SELECT_EF, 0x00) and len(cmd.data) == 2:
            fid = int.from_bytes(cmd.data, "big")
            if not self._app_selected or fid not in (apdu.EF05, apdu.EF06):
                return _sw(SwKind.FILE_NOT_FOUND)
            self._ef = fid
            return OK
        return _sw(SwKind.BAD_P1P2)

    def _read_record(self, cmd: _Command, raw: bytes, challenge: bytes | None) -> bytes:
        if self._ef is None:
            return _sw(SwKind.CONDITIONS_NOT_SATISFIED)
        if cmd.p2 & 0x07 != 0:
            return _sw(SwKind.BAD_P1P2)  # only "by record identifier" is implemented
        if self.generation >= 3 and self._ef == apdu.EF06 and apdu.AUTH_READ not in self._authorised:
            return _sw(SwKind.SECURITY_NOT_SATISFIED)
        record = self.records.get((self._ef, cmd.p1))
        if record is None:
            return _sw(SwKind.RECORD_NOT_FOUND)
        return self._respond(cmd, raw, record)

    def _update_record(self, cmd: _Command, raw: bytes, challenge: bytes | None) -> bytes:
        if self._ef is None:
            return _sw(SwKind.CONDITIONS_NOT_SATISFIED)
        if not self._may_write():
            return _sw(SwKind.SECURITY_NOT_SATISFIED)
        item = apdu.ITEM_BY_TAG.get(cmd.p1)
        if item is None or item.fid != self._ef:
            return _sw(SwKind.RECORD_NOT_FOUND)
        if len(cmd.data) != item.record_len or cmd.data[0] != item.tag or cmd.data[1] != item.length:
            return _sw(SwKind.WRONG_LENGTH)
        self.records[(self._ef, item.tag)] = cmd.data
        return OK

    def _may_write(self) -> bool:
        if self.generation >= 3:
            return apdu.AUTH_WRITE in self._authorised
        return self.pin is None or apdu.AUTH_WRITE in self._authorised

    def _install_pin(self, cmd: _Command, raw: bytes, challenge: bytes | None) -> bytes:
        if self.pin is not None:
            return _sw(SwKind.CONDITIONS_NOT_SATISFIED)
        if not self._may_write():
            return _sw(SwKind.SECURITY_NOT_SATISFIED)
        pin = apdu.decode_pin_bcd(cmd.data)
        if pin is None:
            return _sw(SwKind.WRONG_LENGTH)
        self.pin, self.tries_left = pin, MAX_PIN_TRIES
        return OK

    def _pin_state_error(self) -> bytes | None:
        if not self._app_selected:
            return _sw(SwKind.CONDITIONS_NOT_SATISFIED)
        if self.app_blocked:
            return _sw(SwKind.APP_BLOCKED)
        if self.pin is None:
            return _sw(SwKind.REFERENCE_DATA_INVALID)
        return None

    def _check_pin(self, given: str | None) -> bytes | None:
        """None if right; else the SW (tries left or locked) after counting the failure."""
        if self.tries_left <= 0:
            return _sw(SwKind.PIN_LOCKED)
        if given is not None and hmac.compare_digest(given, self.pin or ""):
            self.tries_left = MAX_PIN_TRIES
            return None
        self.tries_left -= 1
        return _sw_raw(0x63, 0xC0 | self.tries_left)

    def _verify(self, cmd: _Command, raw: bytes, challenge: bytes | None) -> bytes:
        error = self._pin_state_error()
        if error is not None:
            return error
        if not cmd.data:
            # No data: ask for the counter (ISO 7816-4).
            return _sw(SwKind.PIN_LOCKED) if self.tries_left <= 0 else _sw_raw(0x63, 0xC0 | self.tries_left)
        return self._check_pin(apdu.decode_pin_bcd(cmd.data)) or OK

    def _change_or_reload(self, cmd: _Command, raw: bytes, challenge: bytes | None) -> bytes:
        error = self._pin_state_error()
        if error is not None:
            return error
        if cmd.p1 == apdu.P1_CHANGE_PIN:
            if apdu.CHANGE_PIN_SEPARATOR not in cmd.data:
                return _sw(SwKind.WRONG_LENGTH)
            at = cmd.data.index(apdu.CHANGE_PIN_SEPARATOR)
            old, new = apdu.decode_pin_bcd(cmd.data[:at]), apdu.decode_pin_bcd(cmd.data[at + 1 :])
            wrong = self._check_pin(old)
            if wrong is not None:
                return wrong
            if new is None:
                return _sw(SwKind.WRONG_LENGTH)
            if self.refuse_initial_pin and new == INITIAL_PIN:
                return _sw(SwKind.CONDITIONS_NOT_SATISFIED)
            self.pin = new
            return OK
        if cmd.p1 == apdu.P1_RELOAD_PIN:
            if challenge is None:
                return _sw(SwKind.CONDITIONS_NOT_SATISFIED)
            bcd, mac = cmd.data[: -apdu.MAC_LEN], cmd.data[-apdu.MAC_LEN :]
            session = reset_session_key(self.card_key, challenge)
            if not hmac.compare_digest(_hmac(session, raw[:5], bcd)[: apdu.MAC_LEN], mac):
                return _sw(SwKind.BAD_MAC)
            pin = apdu.decode_pin_bcd(bcd)
            if pin is None:
                return _sw(SwKind.REFERENCE_DATA_INVALID)
            self.pin, self.tries_left = pin, MAX_PIN_TRIES
            return OK
        return _sw(SwKind.BAD_P1P2)

    def _unblock(self, cmd: _Command, raw: bytes, challenge: bytes | None) -> bytes:
        if self.app_blocked:
            return _sw(SwKind.APP_BLOCKED)
        if cmd.p1 != 0x00 or cmd.p2 != 0x01:
            return _sw(SwKind.BAD_P1P2)
        if len(cmd.data) != apdu.UNBLOCK_BLOCK_LEN + apdu.MAC_LEN:
            return _sw(SwKind.WRONG_LENGTH)
        if challenge is None:
            return _sw(SwKind.CONDITIONS_NOT_SATISFIED)
        block, mac = cmd.data[: apdu.UNBLOCK_BLOCK_LEN], cmd.data[apdu.UNBLOCK_BLOCK_LEN :]
        session = reset_session_key(self.card_key, challenge)
        if not hmac.compare_digest(_hmac(session, apdu.PIN_UNBLOCK_HEADER, block)[: apdu.MAC_LEN], mac):
            return _sw(SwKind.BAD_MAC)
        plain = _aes_ecb(session, block, encrypt=False)
        length = plain[0]
        pin = apdu.decode_pin_bcd(plain[1 : 1 + (length + 1) // 2]) if 1 <= length <= 12 else None
        if pin is None or len(pin) != length:
            return _sw(SwKind.REFERENCE_DATA_INVALID)
        self.pin, self.tries_left = pin, MAX_PIN_TRIES
        return OK

    def _get_challenge(self, cmd: _Command, raw: bytes, challenge: bytes | None) -> bytes:
        if cmd.le not in (0, apdu.CHALLENGE_LEN):
            return _sw_raw(0x6C, apdu.CHALLENGE_LEN)
        fresh = os.urandom(apdu.CHALLENGE_LEN)
        self._challenge = fresh
        return self._respond(cmd, raw, fresh)

    def _external_auth(self, cmd: _Command, raw: bytes, challenge: bytes | None) -> bytes:
        if cmd.p2 not in (apdu.AUTH_READ, apdu.AUTH_WRITE, apdu.AUTH_UNBLOCK):
            return _sw(SwKind.KEY_NOT_FOUND)
        if len(cmd.data) != apdu.CRYPTOGRAM_LEN:
            return _sw(SwKind.WRONG_LENGTH)
        if challenge is None:
            return _sw(SwKind.CONDITIONS_NOT_SATISFIED)
        expected = external_auth_cryptogram(self.auth_key, challenge, cmd.p2)
        if not hmac.compare_digest(expected, cmd.data):
            return _sw(SwKind.BAD_MAC)
        self._authorised.add(cmd.p2)
        return OK

    _HANDLERS: ClassVar[dict[tuple[int, int], _Handler]] = {
        (apdu.CLA_ISO, apdu.INS_SELECT): _select,
        (apdu.CLA_ISO, apdu.INS_READ_RECORD): _read_record,
        (apdu.CLA_ISO, apdu.INS_UPDATE_RECORD): _update_record,
        (apdu.CLA_ISO, apdu.INS_VERIFY): _verify,
        (apdu.CLA_PROPRIETARY, apdu.INS_CHANGE_RELOAD_PIN): _change_or_reload,
        (apdu.CLA_SECURE, apdu.INS_PIN_UNBLOCK): _unblock,
        (apdu.CLA_ISO, apdu.INS_GET_CHALLENGE): _get_challenge,
        (apdu.CLA_ISO, apdu.INS_EXTERNAL_AUTH): _external_auth,
        (apdu.CLA_PROPRIETARY, apdu.INS_INSTALL_PIN): _install_pin,
    }


class VirtualPsam(_ChipBase):
    """A PSAM holding the RKSSSE test key: ``80 FA 00 <key ref> 08 <challenge> 10`` → cryptogram."""

    def __init__(self, auth_key: bytes = TEST_AUTH_KEY, atr: bytes = ATR_PSAM) -> None:
        super().__init__()
        self.atr = atr
        self.auth_key = auth_key
        self.computations = 0

    def power(self, on: bool) -> None:
        with self.lock:
            self._pending = b""

    def process(self, command: bytes) -> bytes:
        with self.lock:
            cmd = _Command.parse(command)
            if cmd is None:
                return _sw(SwKind.WRONG_LENGTH)
            if (cmd.cla, cmd.ins) == (apdu.CLA_ISO, apdu.INS_GET_RESPONSE):
                return self._get_response(cmd)
            if (cmd.cla, cmd.ins) != (apdu.CLA_PROPRIETARY, apdu.INS_PSAM_COMPUTE):
                return _sw(SwKind.INS_NOT_SUPPORTED)
            if cmd.p2 not in (apdu.AUTH_READ, apdu.AUTH_WRITE, apdu.AUTH_UNBLOCK):
                return _sw(SwKind.KEY_NOT_FOUND)
            if len(cmd.data) != apdu.CHALLENGE_LEN:
                return _sw(SwKind.WRONG_LENGTH)
            self.computations += 1
            return self._respond(cmd, command, external_auth_cryptogram(self.auth_key, cmd.data, cmd.p2))


def main(argv: list[str] | None = None) -> int:
    """``python -m hal.emulators.vcard``: put a virtual card (and a PSAM) into a running pcscd's
    vpcd readers until Ctrl-C, e.g. to try ``kiosk hal probe card-reader --driver pcsc`` by hand."""
    import argparse
    import time

    parser = argparse.ArgumentParser(prog="python -m hal.emulators.vcard", description=main.__doc__)
    parser.add_argument("--generation", type=int, default=2, choices=(2, 3))
    parser.add_argument("--blank", action="store_true", help="an unpersonalised card (for the encoder)")
    parser.add_argument("--locked", action="store_true", help="a card whose PIN is locked")
    parser.add_argument("--psam", action="store_true", help="also a PSAM on Virtual PCD 00 01")
    args = parser.parse_args(argv)
    if args.blank:
        chip = VirtualSsCard.blank(generation=args.generation)
    elif args.locked:
        chip = VirtualSsCard.locked(generation=args.generation)
    else:
        chip = VirtualSsCard.personalised(generation=args.generation)
    links = [VpcdLink(chip, port=VPCD_PORT_0).start()]
    if args.psam:
        links.append(VpcdLink(VirtualPsam(), port=VPCD_PORT_1).start())
    print("virtual card inserted (Ctrl-C to remove)", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        for link in links:
            link.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
