"""Real driver: a Honeywell-style QR scanner on a serial port (USB-CDC or RS-232) through pyserial.

Bytes: hal.scanner.honeywell_commands. At open the driver puts the scanner in serial-trigger mode
with a known suffix, so where the data ends never depends on how the scanner was set up before.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from hal.idreader.serial_link import SerialLink
from hal.scanner import honeywell_commands as hw
from hal.scanner.types import MAX_CODE_CHARS, Scan, ScanOutcome, decoded_text
from hal.status import Action, DeviceError, DeviceState, DeviceStatus, DeviceTimeout, DeviceUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")

TRIGGER_WINDOW_MS = 30_000  # the scanner's own window; the driver re-arms before it closes
REARM_MARGIN_S = 2.0


class ScannerRefused(DeviceError):
    def __init__(self, command: str, status: hw.Status) -> None:
        super().__init__("scanner_refused", f"{command}: {status.name}", Action.MAINTENANCE)


class HoneywellSerialScanner:
    """``hal.scanner.types.Scanner`` for a Honeywell-style serial scanner."""

    def __init__(self, port: str, baud: int = 115200, *, name: str = "scanner", suffix: str = "cr",
                 response_timeout_s: float = 1.0) -> None:
        if suffix not in hw.SUFFIXES:
            raise ValueError(f"suffix must be one of {sorted(hw.SUFFIXES)}")
        self.name = name
        self._link = SerialLink(port, baud, "QR scanner")
        self._suffix = hw.SUFFIXES[suffix]
        self._response_timeout_s = response_timeout_s
        self._lock = threading.RLock()
        self._buffer = b""
        self._armed_at: float | None = None
        self._configured = False
        self._state = DeviceState.OFFLINE
        self._last_error: str | None = None
        self._action = Action.NONE
        self._counters = {"scans": 0, "unreadable": 0, "errors": 0, "reconnects": 0}
        self._was_unplugged = False
        self.revision = ""

    # -- Device ---------------------------------------------------------------------------------
    def open(self) -> None:
        with self._lock:
            self._guarded(self._ensure_configured)

    def close(self) -> None:
        with self._lock:
            if self._armed_at is not None and self._link.is_open:
                with contextlib.suppress(DeviceError):  # closing anyway
                    self._link.write(hw.TRIGGER_OFF)
            self._link.close()
            self._armed_at = None
            self._configured = False
            self._set_state(DeviceState.OFFLINE, None, Action.NONE)

    def status(self) -> DeviceStatus:
        state = self._state
        if not self._link.is_open and not self._link.path_exists():
            state = DeviceState.POWER_OFF
        return DeviceStatus(state=state, counters=dict(self._counters), last_error=self._last_error,
                            action=Action.MAINTENANCE if state is DeviceState.POWER_OFF else self._action)

    # -- Scanner --------------------------------------------------------------------------------
    def read_code(self, timeout_s: float) -> Scan | None:
        deadline = time.monotonic() + timeout_s
        with self._lock:
            return self._guarded(lambda: self._read(deadline))

    def stop(self) -> None:
        with self._lock:
            if self._armed_at is None:
                return
            self._armed_at = None
            try:
                self._guarded(lambda: self._link.write(hw.TRIGGER_OFF))
            except DeviceError as exc:  # a vanished scanner is reported by status()
                log.info("%s: disarm not sent (%s)", self.name, exc.code)

    # -- maintenance ----------------------------------------------------------------------------
    def query(self, tag_subtag: str) -> str:
        """A setting's current value (``?``), e.g. REVINF for the model and firmware."""
        with self._lock:
            return self._guarded(lambda: self._menu(tag_subtag, "?").data)

    # -- the exchange ---------------------------------------------------------------------------
    def _ensure_configured(self) -> None:
        if not self._link.is_open:
            self._link.open()
            self._buffer = b""
            self._configured = False
            self._armed_at = None
            if self._was_unplugged:
                self._counters["reconnects"] += 1
                self._was_unplugged = False
        if self._configured:
            return
        self._link.write(hw.TRIGGER_OFF)  # a window left open by a previous process
        self._menu(hw.TRIGGER_MODE, "0")
        self._menu(hw.TRIGGER_TIMEOUT, str(TRIGGER_WINDOW_MS))
        self._menu(hw.SUFFIX_CLEAR)
        self._menu(hw.SUFFIX_ALL, hw.suffix_data(self._suffix))
        self._menu(hw.SUFFIX_ENABLE, "1")
        self._menu(hw.NO_READ_MESSAGE, "1")
        self.revision = self._menu(hw.REVISION, "?").data
        self._buffer = b""  # anything scanned before we were ready belongs to nobody
        self._configured = True

    def _menu(self, tag_subtag: str, data: str = "") -> hw.MenuReply:
        self._link.write(hw.encode_menu(tag_subtag, data))
        deadline = time.monotonic() + self._response_timeout_s
        while True:
            found = hw.find_menu_reply(self._buffer)
            if found is not None:
                reply, start, end = found
                self._buffer = self._buffer[:start] + self._buffer[end:]
                if reply.command != tag_subtag:
                    continue  # a late reply to an earlier command
                if reply.status is not hw.Status.ACK:
                    raise ScannerRefused(tag_subtag, reply.status)
                return reply
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DeviceTimeout(f"QR scanner did not answer {tag_subtag}")
            self._buffer += self._link.read_some(remaining)

    def _read(self, deadline: float) -> Scan | None:
        self._ensure_configured()
        while True:
            scan = self._take_line()
            if scan is not None:
                return scan
            now = time.monotonic()
            if self._armed_at is None or now - self._armed_at > TRIGGER_WINDOW_MS / 1000 - REARM_MARGIN_S:
                self._link.write(hw.TRIGGER_ON)
                self._armed_at = now
            remaining = deadline - now
            if remaining <= 0:
                return None
            self._buffer += self._link.read_some(remaining)

    def _take_line(self) -> Scan | None:
        while True:
            end = self._buffer.find(self._suffix)
            if end < 0:
                if len(self._buffer) > MAX_CODE_CHARS * 4:  # no suffix in sight: line noise, not a code
                    self._buffer = b""
                    return self._unreadable()
                return None
            line, self._buffer = self._buffer[:end], self._buffer[end + len(self._suffix):]
            if line == hw.NO_READ:
                self._armed_at = None  # the window closed: the next read re-arms
                continue
            if not line:
                continue
            self._armed_at = None  # a good read ends the window in manual trigger mode
            scan = decoded_text(line)
            if scan.outcome is ScanOutcome.UNREADABLE:
                return self._unreadable()
            self._counters["scans"] += 1
            return scan

    def _unreadable(self) -> Scan:
        self._counters["unreadable"] += 1
        return Scan(ScanOutcome.UNREADABLE)

    # -- status bookkeeping ---------------------------------------------------------------------
    def _guarded(self, op: Callable[[], T]) -> T:
        try:
            result = op()
        except DeviceUnavailable as exc:
            self._was_unplugged = True
            self._configured = False
            self._armed_at = None
            self._record(DeviceState.POWER_OFF, exc)
            raise
        except DeviceTimeout as exc:
            self._configured = False  # not known to be set up: configure again next time
            self._record(DeviceState.OFFLINE, exc)
            raise
        except DeviceError as exc:
            self._record(DeviceState.HARDWARE_ERROR, exc)
            raise
        state = DeviceState.BUSY if self._armed_at is not None else DeviceState.ONLINE
        self._set_state(state, None, Action.NONE)
        return result

    def _record(self, state: DeviceState, exc: DeviceError) -> None:
        self._counters["errors"] += 1
        self._set_state(state, exc.code, exc.action)

    def _set_state(self, state: DeviceState, last_error: str | None, action: Action) -> None:
        if (state, last_error) != (self._state, self._last_error):
            log.info("%s: %s%s", self.name, state.value, f" ({last_error})" if last_error else "")
        self._state, self._last_error, self._action = state, last_error, action
