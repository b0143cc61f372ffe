"""Test emulator: a ZT588 encrypted PIN pad on a pty, speaking ``hal.pinpad.zt588_frames``.

Keys (documented test keys, never used outside tests and the demo):
- master key, index 0: ``TEST_MASTER_KEY`` (2-key 3DES)
- working PIN key, index 1: ``TEST_PIN_KEY`` (2-key 3DES), preloaded unless ``keys_loaded=False``.
The PIN block is ISO 9564 format 0 with the PAN, encrypted 3DES-ECB under the working key;
``decrypt_pin_block`` plays the issuer HSM in tests.

Entry timeout: the pad sends the EE frame after ``timeout`` seconds without a key press.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from enum import StrEnum

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, modes

from hal.emulators.pty_pair import PtyEmulator
from hal.pinpad.iso9564 import MAX_PIN, MIN_PIN, PinBlockError, decode_format0, format0_block
from hal.pinpad.zt588_frames import (
    GARBLED_CMD,
    KEY_BYTES,
    MASKED_DIGIT,
    Control,
    Key,
    PadCommand,
    PadError,
    PadFrame,
    PadFrameError,
    PinFormat,
    Zt588Parser,
    encode_response,
    parse_request,
)

TEST_MASTER_KEY = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
TEST_PIN_KEY = bytes.fromhex("89ABCDEF0123456776543210FEDCBA98")
MASTER_INDEX = 0
PIN_KEY_INDEX = 1
USER_INFO = "ZT588-EMU SN00000001"
_KEY_NAMES = {"enter": Key.ENTER, "cancel": Key.CANCEL, "backspace": Key.BACKSPACE, "clear": Key.CLEAR}


def _3des(key: bytes, data: bytes, encrypt: bool) -> bytes:
    if len(key) == 16:  # 2-key 3DES is K1 K2 K1; cryptography wants the 24 bytes spelled out
        key = key + key[:8]
    cipher = Cipher(TripleDES(key), modes.ECB())
    op = cipher.encryptor() if encrypt else cipher.decryptor()
    return op.update(data) + op.finalize()


def key_check_value(key: bytes) -> str:
    return _3des(key, bytes(8), True)[:3].hex().upper()


def encrypt_under(key: bytes, data: bytes) -> bytes:
    """3DES-ECB; used by tests to wrap a working key under the master key."""
    return _3des(key, data, True)


def decrypt_pin_block(encrypted_hex: str, pan: str, key: bytes = TEST_PIN_KEY) -> str:
    """The HSM's side, for tests: decrypt and unpack a format-0 block. PinBlockError if wrong."""
    return decode_format0(_3des(key, bytes.fromhex(encrypted_hex), False), pan)


class PadFault(StrEnum):
    BAD_CHECKSUM = "bad_checksum"
    TRUNCATED = "truncated"
    GARBAGE_BEFORE = "garbage_before"
    ERROR = "error"  # answer with the given E0-EF code
    MUTE = "mute"


@dataclass
class _PendingFault:
    fault: PadFault
    command: PadCommand | None
    times: int
    error: PadError
    garbage: bytes


class Zt588PadEmulator(PtyEmulator):
    def __init__(self, link_path: str, *, keys_loaded: bool = True) -> None:
        self._lock = threading.Lock()
        self._parser = Zt588Parser()
        self._keys: dict[int, bytes] = (
            {MASTER_INDEX: TEST_MASTER_KEY, PIN_KEY_INDEX: TEST_PIN_KEY} if keys_loaded else {}
        )
        self._faults: list[_PendingFault] = []
        self._pin: list[str] = []
        self._entry_key: int | None = None
        self._entering = False
        self._entered = False
        self._key_test = False
        self._min_len, self._max_len = MIN_PIN, MAX_PIN
        self._timeout_s = 30.0
        self._last_key = 0.0
        self.requests: list[str] = []  # command letters received (never the key material)
        self.rx_errors = 0
        super().__init__(link_path)

    # -- control (test thread) ------------------------------------------------------------

    @property
    def entering(self) -> bool:
        return self._entering

    @property
    def key_test(self) -> bool:
        return self._key_test

    @property
    def limits(self) -> tuple[int, int, float]:
        """(min length, max length, timeout s) as last set by the driver."""
        return self._min_len, self._max_len, self._timeout_s

    def press(self, key: str) -> None:
        """A key press: "0".."9", "enter", "cancel", "backspace", "clear"."""
        with self._lock:
            out = self._key(key)
        if out:
            self.send(out)

    def type_pin(self, pin: str, enter: bool = True) -> None:
        for digit in pin:
            self.press(digit)
        if enter:
            self.press("enter")

    def expire_now(self) -> None:
        """Act as if the entry timeout just elapsed."""
        with self._lock:
            self._last_key = 0.0
            self._timeout_s = 0.0

    def send_raw(self, data: bytes) -> None:
        self.send(data)

    def inject(
        self,
        fault: PadFault,
        *,
        command: PadCommand | None = None,
        times: int = 1,
        error: PadError = PadError.E0,
        garbage: bytes = b"\x02\x39\x39zz\x03\x00noise",
    ) -> None:
        with self._lock:
            self._faults.append(_PendingFault(fault, command, times, error, garbage))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    # -- keys -----------------------------------------------------------------------------

    def _key(self, key: str) -> bytes:
        is_digit = len(key) == 1 and key.isdigit()
        named = _KEY_NAMES.get(key)
        if not is_digit and named is None:
            raise ValueError(f"unknown key {key!r}")
        if self._key_test:
            return key.encode() if is_digit else bytes([KEY_BYTES[named]]) if named else b""
        if not self._entering:
            return b""  # input is off
        self._last_key = time.monotonic()
        if is_digit:
            if len(self._pin) >= self._max_len:
                return b""
            self._pin.append(key)
            return bytes([MASKED_DIGIT])
        if named is Key.ENTER:
            if len(self._pin) < self._min_len:
                return b""
            self._entering, self._entered = False, True
        elif named is Key.BACKSPACE:
            if self._pin:
                self._pin.pop()
        elif named is Key.CLEAR:
            self._pin.clear()
        elif named is Key.CANCEL:
            self._pin.clear()
            self._entering = False
        assert named is not None
        return bytes([KEY_BYTES[named]])

    def on_tick(self) -> None:
        with self._lock:
            expired = self._entering and time.monotonic() - self._last_key >= self._timeout_s
            if expired:
                self._entering = False
                self._pin.clear()
        if expired:
            self.send(encode_response(PadCommand.START_PIN.value, PadError.EE))

    # -- requests -------------------------------------------------------------------------

    def on_data(self, data: bytes) -> None:
        for item in self._parser.feed(data):
            if isinstance(item, PadFrame):
                self._answer(item)
            elif isinstance(item, PadFrameError):
                self.rx_errors += 1
                self.send(encode_response(GARBLED_CMD, PadError.E6))
            # bare bytes from the host mean nothing to a pad

    def _answer(self, frame: PadFrame) -> None:
        command, args = parse_request(frame)
        with self._lock:
            self.requests.append(frame.text[:1])
            letter = frame.text[:1] or GARBLED_CMD
            error, data = self._handle(command, args)
            answer = encode_response(letter, error, data)
            fault = self._take_fault(command)
        if fault is None:
            self.send(answer)
        elif fault.fault is PadFault.BAD_CHECKSUM:
            self.send(answer[:-2] + (b"00" if answer[-2:] != b"00" else b"11"))
        elif fault.fault is PadFault.TRUNCATED:
            self.send(answer[: max(4, len(answer) // 2)])
        elif fault.fault is PadFault.GARBAGE_BEFORE:
            self.send(fault.garbage + answer)
        elif fault.fault is PadFault.ERROR:
            self.send(encode_response(letter, fault.error))

    def _take_fault(self, command: PadCommand | None) -> _PendingFault | None:
        for pending in self._faults:
            if pending.command is None or pending.command is command:
                pending.times -= 1
                if pending.times <= 0:
                    self._faults.remove(pending)
                return pending
        return None

    def _handle(self, command: PadCommand | None, args: str) -> tuple[PadError | None, str]:
        if command is PadCommand.USER_INFO:
            return None, USER_INFO
        if command is PadCommand.SCANCODE_TABLE:
            return None, ""
        if command is PadCommand.CONTROL:
            return self._control(args), ""
        if command is PadCommand.START_PIN:
            return self._start_pin(args), ""
        if command is PadCommand.GET_PIN_BLOCK:
            return self._pin_block(args)
        if command is PadCommand.LOAD_PLAIN_KEY:
            return self._load_key(args, encrypted=False)
        if command is PadCommand.LOAD_ENCRYPTED_KEY:
            return self._load_key(args, encrypted=True)
        if command is PadCommand.AUTHENTICATE:
            master = self._keys.get(MASTER_INDEX)
            if master is None:
                return PadError.E1, ""
            try:
                return None, _3des(master, bytes.fromhex(args), True).hex().upper()
            except ValueError:
                return PadError.E5, ""
        return PadError.E0, ""

    def _control(self, args: str) -> PadError | None:
        if args == Control.RESET.value or args == Control.INPUT_OFF.value:
            self._entering = self._entered = self._key_test = False
            self._pin.clear()
        elif args in (Control.INPUT_ON.value, Control.BEEP.value):
            pass
        elif args == Control.KEY_TEST_ON.value:
            self._entering, self._entered, self._key_test = False, False, True
            self._pin.clear()
        elif args == Control.KEY_TEST_OFF.value:
            self._key_test = False
        elif args.startswith(Control.TIMEOUT.value) and args[1:].isdigit() and len(args) == 4:
            self._timeout_s = float(int(args[1:]))
        elif args.startswith(Control.LENGTH.value) and args[1:].isdigit() and len(args) == 5:
            lo, hi = int(args[1:3]), int(args[3:5])
            if not MIN_PIN <= lo <= hi <= MAX_PIN:
                return PadError.E5
            self._min_len, self._max_len = lo, hi
        else:
            return PadError.E5
        return None

    def _start_pin(self, args: str) -> PadError | None:
        if len(args) != 2 or args[0] != PinFormat.ISO0.value:
            return PadError.E5  # this emulator implements format 0 only
        if MASTER_INDEX not in self._keys:
            return PadError.E1
        index = int(args[1], 16)
        if index not in self._keys or index == MASTER_INDEX:
            return PadError.E2
        self._pin.clear()
        self._entry_key = index
        self._entering, self._entered, self._key_test = True, False, False
        self._last_key = time.monotonic()
        return None

    def _pin_block(self, pan12: str) -> tuple[PadError | None, str]:
        if not self._entered or self._entry_key is None:
            return PadError.E9, ""
        if len(self._pin) < self._min_len:
            return PadError.E8, ""
        try:
            # pan12 is already the 12 account digits: add a dummy check character
            block = format0_block("".join(self._pin), pan12 + "0")
        except PinBlockError:
            return PadError.EA, ""
        # like the pad, keep the PIN until a new entry, input off or reset: the host may re-read
        return None, _3des(self._keys[self._entry_key], block, True).hex().upper()

    def _load_key(self, args: str, encrypted: bool) -> tuple[PadError | None, str]:
        try:
            if encrypted:
                master, index, key = int(args[0], 16), int(args[1], 16), bytes.fromhex(args[2:])
                if master not in self._keys:
                    return PadError.E1, ""
                key = _3des(self._keys[master], key, False)
            else:
                index, key = int(args[0], 16), bytes.fromhex(args[1:])
        except (ValueError, IndexError):
            return PadError.E5, ""
        if len(key) not in (16, 24):
            return PadError.E5, ""
        self._keys[index] = key
        return None, key_check_value(key)

