"""Real driver: the SZZT ZT588 encrypted PIN pad over RS-232 (pyserial).

The PIN never reaches this process: the pad reports each digit as "a digit", keeps the PIN,
and hands over an ISO 9564 block encrypted under its working key. Only the issuer's HSM opens it.
"""

from __future__ import annotations

import collections
import logging
import math
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from hal.idreader.serial_link import SerialLink
from hal.pinpad.iso9564 import MAX_PIN, MIN_PIN, PinBlockError, pan_digits
from hal.pinpad.zt588_frames import (
    GARBLED_CMD,
    Control,
    Key,
    KeyPress,
    PadCommand,
    PadError,
    PadFrame,
    PadFrameError,
    PadFrameFault,
    PadResponse,
    PinFormat,
    Zt588PadError,
    Zt588Parser,
    Zt588ProtocolError,
    encode_control,
    encode_get_pin_block,
    encode_load_encrypted_key,
    encode_load_plain_key,
    encode_request,
    encode_set_length,
    encode_set_timeout,
    encode_start_pin,
    key_test_label,
    parse_response,
)
from hal.status import (
    Action,
    DeviceError,
    DeviceState,
    DeviceStatus,
    DeviceTimeout,
    DeviceUnavailable,
)
from hal.types import PinBlock, PinEntryEvent, PinEntryEventKind

log = logging.getLogger(__name__)
T = TypeVar("T")

PARTIAL_FRAME_MAX_AGE_S = 0.5
_KEY_EVENTS = {
    Key.DIGIT: PinEntryEventKind.DIGIT,
    Key.BACKSPACE: PinEntryEventKind.BACKSPACE,
    Key.CLEAR: PinEntryEventKind.CLEAR,
    Key.ENTER: PinEntryEventKind.ENTER,
    Key.CANCEL: PinEntryEventKind.CANCEL,
}
_PIN_BLOCK_HEX_LENGTHS = (16, 32)  # 3DES or AES block


class Zt588PinPad:
    """``hal.interfaces.PinPad`` for a ZT588 on a serial port. ``secure`` is True."""

    def __init__(
        self,
        port: str,
        baud: int = 9600,
        *,
        name: str = "pin_pad",
        response_timeout_s: float = 1.0,
        retries: int = 1,
        key_index: int = 1,
        pin_format: PinFormat = PinFormat.ISO0,
    ) -> None:
        self.name = name
        self._link = SerialLink(port, baud, "PIN pad")
        self._parser = Zt588Parser()
        self._response_timeout_s = response_timeout_s
        self._retries = retries
        self._key_index = key_index
        self._pin_format = pin_format
        self._lock = threading.RLock()
        self._inbox: collections.deque[KeyPress | PadResponse] = collections.deque()
        self._entering = False
        self._key_test = False
        self._digits = 0
        self._max_len = MAX_PIN
        self._state = DeviceState.OFFLINE
        self._last_error: str | None = None
        self._action = Action.NONE
        self._counters = {"entries": 0, "pin_blocks": 0, "errors": 0, "reconnects": 0}
        self._was_unplugged = False

    @property
    def secure(self) -> bool:
        return True

    # -- Device ---------------------------------------------------------------------------

    def open(self) -> None:
        """Connect and ask the pad who it is (proves it answers)."""
        self.user_info()

    def close(self) -> None:
        with self._lock:
            self._link.close()
            self._entering = self._key_test = False
            self._set_state(DeviceState.OFFLINE, None, Action.NONE)

    def status(self) -> DeviceStatus:
        state = self._state
        if not self._link.is_open and not self._link.path_exists():
            state = DeviceState.POWER_OFF
        return DeviceStatus(
            state=state,
            counters=dict(self._counters),
            last_error=self._last_error,
            action=Action.MAINTENANCE if state is DeviceState.POWER_OFF else self._action,
        )

    # -- PinPad ---------------------------------------------------------------------------

    def start_entry(self, min_len: int, max_len: int, timeout_s: float) -> None:
        if not MIN_PIN <= min_len <= max_len <= MAX_PIN:
            raise ValueError(f"PIN length must be {MIN_PIN}..{MAX_PIN} with min <= max")

        def start() -> None:
            if self._key_test:
                self._command(encode_control(Control.KEY_TEST_OFF))
                self._key_test = False
            self._command(encode_set_length(min_len, max_len))
            self._command(encode_set_timeout(math.ceil(timeout_s)))
            self._command(encode_start_pin(self._pin_format, self._key_index))
            self._inbox.clear()
            self._digits, self._max_len = 0, max_len
            self._entering = True
            self._counters["entries"] += 1

        with self._lock:
            self._guarded(start)

    def next_event(self, timeout_s: float) -> PinEntryEvent | None:
        """The next key event of the entry in progress (digit count only), or None on timeout."""
        deadline = time.monotonic() + timeout_s
        with self._lock:
            return self._guarded(lambda: self._next_entry_event(deadline))

    def get_pin_block(self, pan: str) -> PinBlock:
        """The encrypted ISO 9564 block of the PIN just entered, bound to ``pan``."""
        try:
            pan12 = pan_digits(pan)
        except PinBlockError as exc:
            raise DeviceError("zt588_bad_pan", str(exc), Action.NONE) from exc

        def fetch() -> PinBlock:
            resp = self._command(encode_get_pin_block(pan12))
            block = resp.data.strip().upper()
            valid_hex = all(c in "0123456789ABCDEF" for c in block)
            if len(block) not in _PIN_BLOCK_HEX_LENGTHS or not valid_hex:
                raise Zt588ProtocolError("zt588_bad_pin_block", f"{len(block)} characters")
            self._entering = False
            self._counters["pin_blocks"] += 1
            # the pad keeps the PIN until told otherwise (so a garbled answer can be re-read):
            # wipe it now, best effort
            try:
                self._command(encode_control(Control.INPUT_OFF))
            except DeviceError as exc:  # the block is good; the next call will notice a dead port
                log.info("%s: PIN buffer wipe not acknowledged (%s)", self.name, exc.code)
            return PinBlock(encrypted_hex=block, format=f"ISO9564-{self._pin_format.value}")

        with self._lock:
            return self._guarded(fetch)

    def cancel(self) -> None:
        """Stop entry (input off). Best effort: a vanished pad is reported by status(), not here."""
        with self._lock:
            was_entering, self._entering = self._entering, False
            self._inbox.clear()
            if not was_entering and not self._key_test:
                return
            self._key_test = False
            try:
                self._guarded(lambda: self._command(encode_control(Control.INPUT_OFF)))
            except DeviceError as exc:
                log.info("%s: cancel not acknowledged (%s)", self.name, exc.code)

    # -- maintenance ----------------------------------------------------------------------

    def user_info(self) -> str:
        with self._lock:
            return self._guarded(lambda: self._command(encode_request(PadCommand.USER_INFO)).data)

    def start_key_test(self) -> None:
        """The pad's key-test mode: every key is reported by name/digit. Never for a real PIN."""

        def start() -> None:
            self._entering = False
            self._command(encode_control(Control.KEY_TEST_ON))
            self._inbox.clear()
            self._key_test = True

        with self._lock:
            self._guarded(start)

    def next_test_key(self, timeout_s: float) -> str | None:
        """"0".."9", "enter", "cancel", "backspace", "clear" or "unknown"; None on timeout."""
        deadline = time.monotonic() + timeout_s
        with self._lock:
            if not self._key_test:
                raise DeviceError("zt588_not_in_key_test", "start_key_test() first", Action.NONE)
            return self._guarded(lambda: self._next_test_key(deadline))

    def stop_key_test(self) -> None:
        with self._lock:
            if self._key_test:
                self._key_test = False
                self._guarded(lambda: self._command(encode_control(Control.KEY_TEST_OFF)))

    def authenticate(self, challenge: bytes) -> bytes:
        """Command ':': the pad encrypts ``challenge`` (8 bytes) under its master key, so the host
        (or the HSM behind it) can check it talks to the pad it loaded keys into."""
        if len(challenge) != 8:
            raise ValueError("the challenge is 8 bytes")
        frame = encode_request(PadCommand.AUTHENTICATE, challenge.hex().upper())
        with self._lock:
            answer = self._guarded(lambda: self._command(frame).data)
        try:
            return bytes.fromhex(answer)
        except ValueError:
            raise Zt588ProtocolError("zt588_bad_auth_answer", "not hex") from None

    def load_plain_key(self, index: int, key: bytes) -> str:
        """Load a (master) key in clear — key ceremony only. Returns the pad's check value."""
        with self._lock:
            return self._guarded(lambda: self._command(encode_load_plain_key(index, key)).data)

    def load_encrypted_key(self, master_index: int, work_index: int, encrypted_key: bytes) -> str:
        """Load a working key encrypted under a master key. Returns the check value."""
        with self._lock:
            frame = encode_load_encrypted_key(master_index, work_index, encrypted_key)
            return self._guarded(lambda: self._command(frame).data)

    # -- events ---------------------------------------------------------------------------

    def _next_entry_event(self, deadline: float) -> PinEntryEvent | None:
        while True:
            while self._inbox:
                event = self._entry_event(self._inbox.popleft())
                if event is not None:
                    return event
            if not self._pump(deadline):
                return None

    def _entry_event(self, item: KeyPress | PadResponse) -> PinEntryEvent | None:
        if not self._entering:
            return None  # stray keys while no entry is running mean nothing
        if isinstance(item, PadResponse):
            if item.command == PadCommand.START_PIN.value and item.error is not None:
                self._entering = False
                timed_out = item.error is PadError.EE
                end = PinEntryEventKind.TIMEOUT if timed_out else PinEntryEventKind.CANCEL
                return PinEntryEvent(end, self._digits)
            return None
        kind = _KEY_EVENTS.get(item.key)
        if kind is None:
            return None
        if kind is PinEntryEventKind.DIGIT:
            self._digits = min(self._digits + 1, self._max_len)
        elif kind is PinEntryEventKind.BACKSPACE:
            self._digits = max(0, self._digits - 1)
        elif kind is PinEntryEventKind.CLEAR:
            self._digits = 0
        elif kind is PinEntryEventKind.CANCEL:
            self._entering = False
        return PinEntryEvent(kind, self._digits)

    def _next_test_key(self, deadline: float) -> str | None:
        while True:
            while self._inbox:
                item = self._inbox.popleft()
                if isinstance(item, KeyPress):
                    return key_test_label(item.code)
            if not self._pump(deadline):
                return None

    def _pump(self, deadline: float) -> bool:
        """Read once into the inbox; False when the deadline passed with nothing new."""
        remaining = deadline - time.monotonic()
        data = self._link.read_some(max(0.0, remaining))
        # a frame start that never completed must not swallow the key presses that follow it
        self._parser.expire_partial(PARTIAL_FRAME_MAX_AGE_S)
        if not data:
            return remaining > 0 and time.monotonic() < deadline
        for item in self._parser.feed(data):
            if isinstance(item, KeyPress):
                self._inbox.append(item)
            elif isinstance(item, PadFrame):
                try:
                    self._inbox.append(parse_response(item))
                except Zt588ProtocolError as exc:
                    log.info("%s: ignored a malformed unsolicited frame (%s)", self.name, exc.code)
        return True

    # -- one exchange ---------------------------------------------------------------------

    def _command(self, frame: bytes) -> PadResponse:
        """Send a request; return its answer (keys arriving meanwhile go to the inbox)."""
        if not self._link.is_open:
            self._link.open()
            self._parser.reset()
            if self._was_unplugged:
                self._counters["reconnects"] += 1
                self._was_unplugged = False
        letter = chr(frame[4])  # STX + 3 length digits, then the command letter
        last: DeviceError = DeviceTimeout("PIN pad did not answer")
        for _ in range(self._retries + 1):
            self._link.write(frame)
            try:
                resp = self._await_response(letter)
            except Zt588ProtocolError as exc:
                last = exc
                continue
            if resp.error in (PadError.E6, PadError.E7):  # the pad got our frame garbled
                last = Zt588PadError(resp.error)
                continue
            if resp.error is not None:
                raise Zt588PadError(resp.error)
            return resp
        raise last

    def _await_response(self, letter: str) -> PadResponse:
        deadline = time.monotonic() + self._response_timeout_s
        corrupt = False
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                if corrupt or self._parser.pending:
                    self._parser.reset()
                    raise Zt588ProtocolError("zt588_bad_frame", "corrupted or truncated answer")
                raise DeviceTimeout("PIN pad did not answer")
            for item in self._parser.feed(self._link.read_some(remaining)):
                if isinstance(item, KeyPress):
                    self._inbox.append(item)
                elif isinstance(item, PadFrameError):
                    corrupt = corrupt or item.fault is not PadFrameFault.EXPIRED
                else:
                    resp = parse_response(item)
                    if resp.command in (letter, GARBLED_CMD):
                        return resp
                    self._inbox.append(resp)  # unsolicited, e.g. the EE entry timeout
            if corrupt and not self._parser.pending:
                raise Zt588ProtocolError("zt588_bad_frame", "corrupted answer")

    # -- status bookkeeping ---------------------------------------------------------------

    def _guarded(self, op: Callable[[], T]) -> T:
        try:
            result = op()
        except DeviceUnavailable as exc:
            self._was_unplugged = True
            self._entering = self._key_test = False
            self._record(DeviceState.POWER_OFF, exc)
            raise
        except DeviceTimeout as exc:
            self._record(DeviceState.OFFLINE, exc)
            raise
        except DeviceError as exc:
            broken = exc.action is Action.MAINTENANCE
            self._record(DeviceState.HARDWARE_ERROR if broken else DeviceState.ONLINE, exc)
            raise
        busy = self._entering or self._key_test
        self._set_state(DeviceState.BUSY if busy else DeviceState.ONLINE, None, Action.NONE)
        return result

    def _record(self, state: DeviceState, exc: DeviceError) -> None:
        self._counters["errors"] += 1
        self._set_state(state, exc.code, exc.action)

    def _set_state(self, state: DeviceState, last_error: str | None, action: Action) -> None:
        if (state, last_error) != (self._state, self._last_error):
            log.info("%s: %s%s", self.name, state.value, f" ({last_error})" if last_error else "")
        self._state, self._last_error, self._action = state, last_error, action
