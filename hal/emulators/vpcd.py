"""The card side of vsmartcard's vpcd: a TCP client that pcscd sees as a card in a virtual reader.

Wire protocol: every message is a 2-byte big-endian length + payload. A 1-byte payload is a
control code (0 power off, 1 power on, 2 reset, 4 get ATR — only 4 is answered, with the ATR);
a longer payload is a command APDU answered with the response APDU. Closing the socket is a
card removal. Runs in a daemon thread of the test process; every control method is thread-safe.

Fault injection (one-shot, armed by the test): pull the card mid-APDU, stay mute, answer with
garbage or an absurd length.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import struct
import threading
import time
from typing import Protocol

log = logging.getLogger(__name__)

VPCD_HOST = "127.0.0.1"
VPCD_PORT_0 = 0x8C7B  # 35963: "Virtual PCD 00 00"
VPCD_PORT_1 = VPCD_PORT_0 + 1  # 35964: "Virtual PCD 00 01"
READER_0 = "Virtual PCD 00 00"
READER_1 = "Virtual PCD 00 01"

CTRL_POWER_OFF = 0
CTRL_POWER_ON = 1
CTRL_RESET = 2
CTRL_GET_ATR = 4
CONNECT_RETRY_S = 0.02
# pcscd polls vpcd every 400 ms: a card back within one poll is never seen as removed, and pcscd
# then keeps the slot "empty" for good. A hand can't do that either, so a card stays out this long.
MIN_OUT_S = 0.5


class ApduCard(Protocol):
    """A chip the link can carry: an ATR and one APDU in, one response APDU out."""

    atr: bytes

    def process(self, command: bytes) -> bytes: ...

    def power(self, on: bool) -> None:
        """Power on/off/reset: volatile state (selection, authentication) is lost."""
        ...


class VpcdLink:
    """Connects ``card`` to the vpcd reader on ``port`` and keeps it connected while inserted."""

    def __init__(self, card: ApduCard | None = None, *, port: int = VPCD_PORT_0,
                 host: str = VPCD_HOST, quickack: bool = True) -> None:
        self.host = host
        self.quickack = quickack  # False only to measure the delayed-ACK stall (bench)
        self.port = port
        self._card = card
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._inserted = card is not None
        self._running = False
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._connected = threading.Event()
        self._unmute = threading.Event()
        # One-shot faults: the INS they wait for (None = any APDU).
        self._pull_on: tuple[int | None] | None = None
        self._mute_on: tuple[int | None] | None = None
        self._garbage: tuple[int | None, bytes] | None = None
        self.commands: list[bytes] = []  # every command APDU received (test inspection only)
        self.connections = 0  # how many times the card (re)connected to vpcd
        self._out_since = 0.0  # monotonic time of the last disconnect

    # -- life cycle ------------------------------------------------------------------------------
    def start(self) -> VpcdLink:
        with self._lock:
            if self._running:
                return self
            self._running = True
        self._thread = threading.Thread(target=self._run, name=f"vpcd-card-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 2.0) -> None:
        with self._changed:
            self._running = False
            self._inserted = False
            self._changed.notify_all()
        self._unmute.set()
        self._close_socket()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    # -- steering --------------------------------------------------------------------------------
    @property
    def card(self) -> ApduCard | None:
        return self._card

    @property
    def inserted(self) -> bool:
        return self._inserted

    def insert(self, card: ApduCard | None = None) -> None:
        """Insert ``card`` (or put the last one back); pcscd sees it within ~0.5 s."""
        with self._changed:
            if card is not None:
                self._card = card
            if self._card is None:
                raise ValueError("no card to insert")
            self._inserted = True
            self._changed.notify_all()

    def replace_card(self, card: ApduCard) -> None:
        """Swap the chip behind the contacts without a removal pcscd could see (test speed-up:
        a real swap costs ~0.8 s of pcscd polling). The new chip starts powered and unselected."""
        with self._lock:
            card.power(True)
            self._card = card

    def clear_faults(self) -> None:
        """Disarm every pending fault, release a muted command, forget the command log."""
        with self._lock:
            self._pull_on = self._mute_on = None
            self._garbage = None
            self.commands.clear()
        self._unmute.set()

    def remove(self) -> None:
        """Pull the card (close the socket); pcscd notices within ~0.4 s."""
        with self._changed:
            self._inserted = False
            self._changed.notify_all()
        self._unmute.set()
        self._close_socket()

    def wait_connected(self, timeout_s: float = 5.0) -> bool:
        """True once the card's TCP connection to vpcd is up (pcscd may still be polling)."""
        return self._connected.wait(timeout_s)

    def pull_during_next_apdu(self, ins: int | None = None) -> None:
        """The next command (with this INS) is received, never answered, and the card is pulled."""
        with self._lock:
            self._pull_on = (ins,)

    def mute_next_apdu(self, ins: int | None = None) -> None:
        """The next command (with this INS) is never answered until ``unmute()`` or ``remove()``."""
        with self._lock:
            self._mute_on = (ins,)
            self._unmute.clear()

    def unmute(self) -> None:
        self._unmute.set()

    def garbage_next_response(self, raw: bytes, ins: int | None = None) -> None:
        """Answer the next command (with this INS) with ``raw``; the chip never sees the command."""
        with self._lock:
            self._garbage = (ins, raw)

    def absurd_length_next_response(self, ins: int | None = None) -> None:
        """Answer the next command (with this INS) with a 65,535-byte frame (more than any reader
        accepts)."""
        self.garbage_next_response(bytes(range(256)) * 255 + bytes(range(255)), ins)

    # -- thread ----------------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._changed:
                while self._running and not self._inserted:
                    self._changed.wait(0.5)
                if not self._running:
                    return
            sock = self._connect()
            if sock is None:
                continue
            try:
                self._serve(sock)
            except (OSError, EOFError):
                pass  # pcscd went away or the test pulled the card
            finally:
                self._connected.clear()
                self._close_socket()

    def _connect(self) -> socket.socket | None:
        """Retry until pcscd's vpcd listens; None if the card was pulled meanwhile."""
        out_for = time.monotonic() - self._out_since
        if out_for < MIN_OUT_S:
            time.sleep(MIN_OUT_S - out_for)
        while self._running and self._inserted:
            try:
                sock = socket.create_connection((self.host, self.port), timeout=1.0)
            except OSError:
                time.sleep(CONNECT_RETRY_S)
                continue
            sock.settimeout(None)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                if not (self._running and self._inserted):
                    sock.close()
                    return None
                self._sock = sock
                self.connections += 1
            self._connected.set()
            return sock
        return None

    def _close_socket(self) -> None:
        with self._lock:
            sock, self._sock = self._sock, None
        if sock is not None:
            self._out_since = time.monotonic()
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _serve(self, sock: socket.socket) -> None:
        while True:
            payload = _recv_frame(sock, self.quickack)
            card = self._card
            if card is None:
                return
            if len(payload) == 1:
                if payload[0] == CTRL_GET_ATR:
                    _send_frame(sock, card.atr)
                elif payload[0] in (CTRL_POWER_ON, CTRL_RESET):
                    card.power(True)
                elif payload[0] == CTRL_POWER_OFF:
                    card.power(False)
                continue
            self.commands.append(payload)
            fault, raw = self._take_fault(payload)
            if fault == "pull":
                with self._changed:
                    self._inserted = False
                self._close_socket()
                return
            if fault == "mute":
                self._unmute.wait()
                if not self._inserted:
                    return
            if fault == "garbage":
                _send_frame(sock, raw)
                continue
            _send_frame(sock, card.process(payload))

    def _take_fault(self, command: bytes) -> tuple[str, bytes]:
        ins = command[1] if len(command) > 1 else None
        with self._lock:
            if self._pull_on is not None and self._pull_on[0] in (None, ins):
                self._pull_on = None
                return "pull", b""
            if self._mute_on is not None and self._mute_on[0] in (None, ins):
                self._mute_on = None
                return "mute", b""
            if self._garbage is not None and self._garbage[0] in (None, ins):
                raw = self._garbage[1]
                self._garbage = None
                return "garbage", raw
        return "", b""


def _recv_exact(sock: socket.socket, n: int, quickack: bool) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("vpcd closed the connection")
        buf += chunk
        if quickack:
            # vpcd writes length and payload separately: without QUICKACK every APDU stalls 40 ms.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
    return buf


def _recv_frame(sock: socket.socket, quickack: bool = True) -> bytes:
    (length,) = struct.unpack(">H", _recv_exact(sock, 2, quickack))
    return _recv_exact(sock, length, quickack) if length else b""


def _send_frame(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(struct.pack(">H", len(payload) & 0xFFFF) + payload)
