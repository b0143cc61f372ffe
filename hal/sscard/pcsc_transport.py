"""One PC/SC reader and the card in it, through pyscard's ``smartcard.scard`` (→ libpcsclite → pcscd).

Every PC/SC return code is translated here: "no card" / "card pulled" become ``CardAbsent``
(the driver turns it into a result), pcscd or reader gone become ``DeviceUnavailable``, a card
that does not answer within the command timeout becomes ``DeviceTimeout``, anything else a
``DeviceError``. No pyscard exception leaves this module.

pcscd has no transmit timeout for a mute card (vpcd waits forever), so every call that talks to
the card runs on a worker thread and is abandoned after ``command_timeout_s``: the context it
used is dropped with it, and the next call starts a fresh one.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import queue
import re
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from smartcard import scard

from hal.sscard import apdu
from hal.sscard.errors import CardAbsent, CardDataError, CardProtocolError, ReaderMissing
from hal.status import Action, DeviceError, DeviceTimeout, DeviceUnavailable

log = logging.getLogger(__name__)

T = TypeVar("T")

# PC/SC return codes (winscard.h), grouped by what recovers from them.
_SERVICE_GONE = frozenset(
    {
        0x8010001D,  # SCARD_E_NO_SERVICE
        0x8010001E,  # SCARD_E_SERVICE_STOPPED
        0x80100003,  # SCARD_E_INVALID_HANDLE (context died with pcscd)
        0x80100004,  # SCARD_E_INVALID_PARAMETER (stale handle after restart)
    }
)
_READER_GONE = frozenset(
    {
        0x8010002E,  # SCARD_E_NO_READERS_AVAILABLE
        0x80100009,  # SCARD_E_UNKNOWN_READER
        0x80100017,  # SCARD_E_READER_UNAVAILABLE
    }
)
_NO_CARD = frozenset(
    {
        0x8010000C,  # SCARD_E_NO_SMARTCARD
        0x80100069,  # SCARD_W_REMOVED_CARD
        0x80100067,  # SCARD_W_UNPOWERED_CARD
    }
)
_CARD_COMM = frozenset(
    {
        0x80100016,  # SCARD_E_NOT_TRANSACTED
        0x80100013,  # SCARD_F_COMM_ERROR
        0x80100066,  # SCARD_W_UNRESPONSIVE_CARD
        0x80100068,  # SCARD_W_RESET_CARD
        0x8010000F,  # SCARD_E_PROTO_MISMATCH
        0x80100069,  # SCARD_W_REMOVED_CARD
        0x8010000C,  # SCARD_E_NO_SMARTCARD
    }
)
SCARD_E_TIMEOUT = 0x8010000A
SCARD_E_SHARING_VIOLATION = 0x8010000B

_STATE_PRESENT = scard.SCARD_STATE_PRESENT
_STATE_EMPTY = scard.SCARD_STATE_EMPTY
MAX_CHAINED_RESPONSES = 64  # 61xx chains longer than this are a broken card


def pcsc_code(hresult: int) -> str:
    return f"0x{hresult & 0xFFFFFFFF:08X}"


def reader_matches(pattern: str | None, name: str) -> bool:
    """A reader name matches a pattern as a case-insensitive regex, or as a substring."""
    if not pattern:
        return True
    try:
        return re.search(pattern, name, re.IGNORECASE) is not None
    except re.error:
        return pattern.lower() in name.lower()


def choose_reader(pattern: str | None, names: list[str]) -> str | None:
    for name in names:
        if reader_matches(pattern, name):
            return name
    return None


def _list_readers(context: int) -> tuple[int, list[str]]:
    hresult, names = scard.SCardListReaders(context, [])
    return int(hresult), list(names or [])


def _connect(context: int, reader: str) -> tuple[int, int, int]:
    hresult, card, protocol = scard.SCardConnect(
        context, reader, scard.SCARD_SHARE_SHARED, scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1
    )
    return int(hresult), int(card), int(protocol)


def _STOP() -> None:
    """Sentinel job that ends a worker thread."""


class _Worker:
    """A daemon thread running one call at a time; a stuck call is abandoned, never joined."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[tuple[Callable[[], Any], queue.SimpleQueue[Any]]] = (
            queue.SimpleQueue()
        )
        self.stuck = False
        threading.Thread(target=self._run, name="pcsc-worker", daemon=True).start()

    def stop(self) -> None:
        """Let the thread end once its queue is empty (it is never joined: it may be stuck)."""
        self._jobs.put((_STOP, queue.SimpleQueue()))

    def _run(self) -> None:
        while True:
            fn, reply = self._jobs.get()
            if fn is _STOP:
                return
            try:
                reply.put((True, fn()))
            except BaseException as exc:  # handed back to the caller's thread
                reply.put((False, exc))
            if self.stuck:
                return  # the caller gave up on us; a fresh worker serves the next call

    def call(self, fn: Callable[[], T], timeout_s: float) -> T:
        reply: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._jobs.put((fn, reply))
        try:
            ok, value = reply.get(timeout=timeout_s)
        except queue.Empty:
            self.stuck = True
            raise DeviceTimeout(f"no answer within {timeout_s:.1f} s") from None
        if ok:
            return value  # type: ignore[no-any-return]
        raise value


class PcscTransport:
    """The reader chosen by ``reader_pattern`` and the card in it.

    Not thread-safe by itself: the driver serialises calls.
    """

    def __init__(
        self,
        reader_pattern: str | None = None,
        *,
        command_timeout_s: float = 5.0,
        removal_grace_s: float = 1.0,
    ) -> None:
        self.reader_pattern = reader_pattern
        self.command_timeout_s = command_timeout_s
        self.removal_grace_s = removal_grace_s
        self.reader: str | None = None
        self.atr: bytes = b""
        self._context: int | None = None
        self._card: int | None = None
        self._protocol = 0
        self._worker: _Worker | None = None  # started on the first call
        self.stuck = False  # a command timed out and may still hold the reader

    # -- context and reader ----------------------------------------------------------------------
    def _call(self, fn: Callable[[], T], timeout_s: float | None = None) -> T:
        if self._worker is None or self._worker.stuck:
            self._worker = _Worker()
        try:
            return self._worker.call(fn, timeout_s if timeout_s is not None else self.command_timeout_s)
        except DeviceTimeout:
            # The context is owned by the stuck call now (pcsc-lite locks it for the duration).
            self._context = None
            self._card = None
            self.stuck = True
            raise
        except DeviceError:
            raise
        except Exception as exc:  # pyscard raises for bad arguments and on a dead library
            raise DeviceError("pcsc_error", type(exc).__name__) from None

    def _establish(self) -> int:
        if self._context is not None:
            return self._context

        def establish() -> int:
            hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
            if hresult != scard.SCARD_S_SUCCESS:
                raise DeviceUnavailable(f"pcscd not reachable ({pcsc_code(hresult)})")
            return int(context)

        self._context = self._call(establish)
        return self._context

    def _drop_context(self) -> None:
        context, self._context, self._card = self._context, None, None
        if context is not None:
            with contextlib.suppress(DeviceError):
                self._call(lambda: scard.SCardReleaseContext(context), 1.0)

    def list_readers(self) -> list[str]:
        """Reader names; DeviceUnavailable when pcscd is down (one retry on a stale context)."""
        for attempt in range(2):
            context = self._establish()

            hresult, names = self._call(functools.partial(_list_readers, context))
            if hresult == scard.SCARD_S_SUCCESS:
                return names
            if hresult in _READER_GONE:
                return []
            if hresult in _SERVICE_GONE and attempt == 0:
                self._context = None  # pcscd restarted: a new context may work
                continue
            self._context = None
            raise DeviceUnavailable(f"pcscd: list readers failed ({pcsc_code(hresult)})")
        raise DeviceUnavailable("pcscd not reachable")

    def find_reader(self) -> str:
        names = self.list_readers()
        chosen = choose_reader(self.reader_pattern, names)
        if chosen is None:
            self.reader = None
            raise ReaderMissing(f"no PC/SC reader matches {self.reader_pattern!r}")
        if chosen != self.reader:
            log.info("pcsc reader selected: %s", chosen)
        self.reader = chosen
        return chosen

    def _reader_state(self, timeout_ms: int, current: int) -> int:
        """SCardGetStatusChange on our reader; returns the event state bits (0 on timeout)."""
        reader = self.reader or self.find_reader()
        context = self._establish()

        def status_change() -> tuple[int, int]:
            hresult, states = scard.SCardGetStatusChange(context, timeout_ms, [(reader, current)])
            if hresult == scard.SCARD_S_SUCCESS and states:
                return int(hresult), int(states[0][1])
            return int(hresult), 0

        hresult, state = self._call(status_change, timeout_ms / 1000 + self.command_timeout_s)
        if hresult in (scard.SCARD_S_SUCCESS, SCARD_E_TIMEOUT):
            return state
        self._classify_context_failure(hresult)
        raise DeviceError("pcsc_error", f"status change {pcsc_code(hresult)}")

    def _classify_context_failure(self, hresult: int) -> None:
        if hresult in _SERVICE_GONE:
            self._context = None
            self._card = None
            raise DeviceUnavailable(f"pcscd went away ({pcsc_code(hresult)})")
        if hresult in _READER_GONE:
            self._card = None
            self.reader = None
            raise ReaderMissing(f"reader unplugged ({pcsc_code(hresult)})")

    def card_present(self) -> bool:
        self.find_reader()
        return bool(self._reader_state(0, scard.SCARD_STATE_UNAWARE) & _STATE_PRESENT)

    def wait_for_state(self, present: bool, timeout_s: float) -> bool:
        """Block until a card is (or is not) in the reader; False when the timeout passes."""
        self.find_reader()
        deadline = time.monotonic() + timeout_s
        current = scard.SCARD_STATE_UNAWARE
        while True:
            state = self._reader_state(0, scard.SCARD_STATE_UNAWARE)
            if bool(state & _STATE_PRESENT) == present:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            current = state & ~scard.SCARD_STATE_CHANGED
            # Short slices keep us responsive to a pcscd restart.
            self._reader_state(int(min(remaining, 0.5) * 1000) or 1, current)

    # -- card ------------------------------------------------------------------------------------
    @property
    def connected(self) -> bool:
        return self._card is not None

    def connect(self) -> bytes:
        """Power the card and return its ATR; CardAbsent(False) when there is none."""
        if self._card is not None:
            return self.atr
        for attempt in range(2):
            reader = self.find_reader()
            context = self._establish()

            hresult, card, protocol = self._call(functools.partial(_connect, context, reader))
            if hresult == scard.SCARD_S_SUCCESS:
                self._card, self._protocol = card, protocol
                self.stuck = False
                self.atr = self._read_atr()
                return self.atr
            if hresult in _NO_CARD:
                raise CardAbsent(removed=False)
            if hresult in _SERVICE_GONE and attempt == 0:
                self._context = None
                continue
            if hresult == SCARD_E_SHARING_VIOLATION:
                raise DeviceError("reader_busy", "another application holds the card", Action.RESET)
            self._classify_context_failure(hresult)
            raise DeviceError("card_connect_failed", pcsc_code(hresult), Action.CLEAR)
        raise DeviceUnavailable("pcscd not reachable")

    def alive(self) -> bool:
        """Whether our card handle still reaches the same card (not pulled or reset since)."""
        card = self._card
        if card is None:
            return False

        def status() -> int:
            return int(scard.SCardStatus(card)[0])

        hresult = self._call(status)
        if hresult == scard.SCARD_S_SUCCESS:
            return True
        if hresult in _SERVICE_GONE:
            self._context = None
        self.disconnect(reset=False)
        return False

    def _read_atr(self) -> bytes:
        card = self._card

        def status() -> bytes:
            result = scard.SCardStatus(card)
            hresult, atr = int(result[0]), result[-1]
            return bytes(atr) if hresult == scard.SCARD_S_SUCCESS else b""

        return self._call(status)

    def disconnect(self, reset: bool = True) -> None:
        """Release the card; ``reset`` drops its security state (no one rides on our external
        authentication) — pointless, and noisy in pcscd, for a card already gone."""
        card, self._card = self._card, None
        self.atr = b""
        disposition = scard.SCARD_RESET_CARD if reset else scard.SCARD_LEAVE_CARD
        if card is not None and not self.stuck:
            with contextlib.suppress(DeviceError):
                self._call(lambda: scard.SCardDisconnect(card, disposition), 1.0)

    def close(self) -> None:
        self.disconnect()
        if not self.stuck:
            self._drop_context()
        self._context = None
        if self._worker is not None:
            self._worker.stop()
            self._worker = None

    def transmit(self, command: bytes) -> bytes:
        """One command APDU → the raw response APDU (data + SW1 SW2)."""
        if self._card is None:
            self.connect()
        card, protocol = self._card, self._protocol

        def transmit() -> tuple[int, bytes]:
            hresult, response = scard.SCardTransmit(card, protocol, list(command))
            return int(hresult), bytes(response or b"")

        hresult, response = self._call(transmit)
        if hresult == scard.SCARD_S_SUCCESS and len(response) >= 2:
            return response
        # vpcd reports a dropped card as an empty success first, then as NOT_TRANSACTED.
        if hresult in _SERVICE_GONE or hresult in _READER_GONE:
            self._classify_context_failure(hresult)
        self.disconnect(reset=False)
        if hresult == scard.SCARD_S_SUCCESS or hresult in _CARD_COMM:
            if self._card_gone_within(self.removal_grace_s):
                raise CardAbsent(removed=True)
            if hresult == scard.SCARD_S_SUCCESS:
                raise CardDataError(f"response too short ({len(response)} bytes)")
            raise DeviceError("card_comm_error", pcsc_code(hresult), Action.CLEAR)
        raise DeviceError("pcsc_error", f"transmit {pcsc_code(hresult)}")

    def _card_gone_within(self, grace_s: float) -> bool:
        """pcscd notices a pulled card within ~0.4 s: wait that long before calling it a fault."""
        try:
            return self.wait_for_state(present=False, timeout_s=grace_s)
        except DeviceUnavailable:
            return False

    def exchange(self, command: bytes) -> tuple[bytes, int]:
        """Send a command, follow 61xx with GET RESPONSE and 6Cxx with a resend; → (data, SW)."""
        data, sw = apdu.split_response(self.transmit(command))
        collected = b""
        resent = False
        for _ in range(MAX_CHAINED_RESPONSES):
            status = apdu.classify_sw(sw)
            if status.kind is apdu.SwKind.WRONG_LE and not resent and status.count is not None:
                resent = True
                data, sw = apdu.split_response(self.transmit(apdu.with_le(command, status.count)))
            elif status.kind is apdu.SwKind.MORE_DATA and status.count is not None:
                collected += data
                data, sw = apdu.split_response(self.transmit(apdu.get_response(status.count)))
            else:
                return collected + data, sw
        raise CardProtocolError("endless 61xx/6Cxx chain", sw)
