"""Test emulator: a Honeywell-style serial QR scanner on a pty, speaking hal.scanner.honeywell_commands.

A tester holds a code in front of it (``present``): while a serial-trigger window is open the
scanner sends the text + suffix once and closes the window (manual trigger mode), or at once in
presentation mode. ``present_damaged`` holds a code that never decodes: the window runs out
and, with the no-read message on, ``NR`` is sent. ``mute`` stops it answering menu commands.
"""

from __future__ import annotations

import threading
import time

from hal.emulators.pty_pair import PtyEmulator
from hal.scanner import honeywell_commands as hw

REVISION = "EMU-1950g FW 1.00"
_KNOWN = {hw.TRIGGER_MODE, hw.TRIGGER_TIMEOUT, hw.SUFFIX_ALL, hw.SUFFIX_CLEAR, hw.SUFFIX_ENABLE,
          hw.NO_READ_MESSAGE, hw.REVISION}


class HoneywellScannerEmulator(PtyEmulator):
    def __init__(self, link_path: str) -> None:
        self._lock = threading.Lock()
        self._rx = b""
        self.settings: dict[str, str] = {hw.TRIGGER_MODE: "0", hw.TRIGGER_TIMEOUT: "30000", hw.SUFFIX_ENABLE: "1",
                                         hw.NO_READ_MESSAGE: "0"}
        self.suffix = b"\r\n"  # factory setting differs from the driver's, on purpose
        self.window_until: float | None = None
        self.triggers = 0
        self.held: bytes | None = None  # payload of the code held in front of the window
        self.damaged = False
        self.muted = False
        self.sent_codes = 0
        super().__init__(link_path)

    # -- tester's controls ----------------------------------------------------------------------
    def present(self, text: str) -> None:
        self.present_bytes(text.encode("utf-8"))

    def present_bytes(self, payload: bytes) -> None:
        with self._lock:
            self.held, self.damaged = payload, False
        self._maybe_send()

    def present_damaged(self) -> None:
        with self._lock:
            self.held, self.damaged = None, True

    def take_away(self) -> None:
        with self._lock:
            self.held, self.damaged = None, False

    def mute(self, on: bool = True) -> None:
        self.muted = on

    @property
    def armed(self) -> bool:
        return self.window_until is not None

    # -- the wire -------------------------------------------------------------------------------
    def on_data(self, data: bytes) -> None:
        with self._lock:
            self._rx += data
        while self._one_command():
            pass
        self._maybe_send()

    def on_tick(self) -> None:
        send_nr = False
        with self._lock:
            if self.window_until is not None and time.monotonic() >= self.window_until:
                self.window_until = None
                send_nr = self.settings.get(hw.NO_READ_MESSAGE) == "1"
        if send_nr:
            self.send(hw.NO_READ + self._suffix())

    def _one_command(self) -> bool:
        with self._lock:
            start = self._rx.find(bytes([hw.SYN]))
            if start < 0:
                self._rx = b""
                return False
            rx = self._rx = self._rx[start:]
            if len(rx) < 3:
                return False
            head = rx[:3]
            if head == hw.TRIGGER_ON:
                self._rx = rx[3:]
                self.triggers += 1
                timeout_ms = int(self.settings.get(hw.TRIGGER_TIMEOUT, "0") or 0)
                self.window_until = time.monotonic() + (timeout_ms / 1000 if timeout_ms else 1e9)
                return True
            if head == hw.TRIGGER_OFF:
                self._rx = rx[3:]
                self.window_until = None
                return True
            if head != hw.MENU_PREFIX:
                self._rx = rx[1:]
                return True
            ends = [i for i in (rx.find(s, 3) for s in hw.STORAGE) if i >= 0]
            if not ends:
                return False
            end = min(ends) + 1
            body, self._rx = rx[3:end], rx[end:]
            reply = self._menu(body)
        if reply and not self.muted:
            self.send(reply)
        return True

    def _menu(self, body: bytes) -> bytes:
        req = hw.parse_menu_request(body)
        if req is None:
            return b""
        if req.command not in _KNOWN:
            return hw.encode_menu_reply(req, hw.Status.ENQ)
        if req.data == "?":
            value = REVISION if req.command == hw.REVISION else self.settings.get(req.command, "")
            return hw.encode_menu_reply(req, hw.Status.ACK, value)
        if req.command == hw.SUFFIX_CLEAR:
            self.suffix = b""
        elif req.command == hw.SUFFIX_ALL:
            if not req.data.startswith(hw.ALL_SYMBOLOGIES) or len(req.data) % 2:
                return hw.encode_menu_reply(req, hw.Status.NAK)
            try:
                self.suffix = bytes.fromhex(req.data[2:])
            except ValueError:
                return hw.encode_menu_reply(req, hw.Status.NAK)
        elif req.command == hw.REVISION:
            return hw.encode_menu_reply(req, hw.Status.NAK)  # read only
        elif not req.data.isdigit():
            return hw.encode_menu_reply(req, hw.Status.NAK)
        else:
            self.settings[req.command] = req.data
        return hw.encode_menu_reply(req, hw.Status.ACK)

    def _suffix(self) -> bytes:
        return self.suffix if self.settings.get(hw.SUFFIX_ENABLE) == "1" else b""

    def _maybe_send(self) -> None:
        with self._lock:
            presentation = self.settings.get(hw.TRIGGER_MODE) == "3"
            if self.held is None or not (presentation or self.window_until is not None):
                return
            payload, self.held = self.held, None
            self.window_until = None  # a good read closes the window
            self.sent_codes += 1
        self.send(payload + self._suffix())
