"""Card insertion/removal events for one reader: a thread blocked in SCardGetStatusChange.

It owns its own PC/SC context (pcsc-lite serialises calls per context, so sharing the
command context would stall commands behind the wait). It survives pcscd restarts and reader
replugs by re-establishing the context; while pcscd is down no events are reported.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable

from smartcard import scard

from hal.sscard.pcsc_transport import choose_reader

log = logging.getLogger(__name__)

SCARD_E_TIMEOUT = 0x8010000A
SCARD_E_CANCELLED = 0x80100002
POLL_MS = 500  # upper bound on how long stop() and a reader replug wait


class CardMonitor:
    def __init__(self, reader_pattern: str | None, on_change: Callable[[bool], None]) -> None:
        self._pattern = reader_pattern
        self._on_change = on_change
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._context: int | None = None
        self.present: bool | None = None  # None until the first state is known

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="pcsc-card-monitor", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 2.0) -> None:
        self._stop.set()
        context = self._context
        if context is not None:
            # Wakes the blocked SCardGetStatusChange; the context may already be gone with pcscd.
            with contextlib.suppress(Exception):
                scard.SCardCancel(context)
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._watch()
            except Exception:  # never let the monitor die; pcscd may be restarting
                log.exception("card monitor error")
            self._release()
            self._stop.wait(0.2)

    def _release(self) -> None:
        context, self._context = self._context, None
        if context is not None:
            with contextlib.suppress(Exception):
                scard.SCardReleaseContext(context)

    def _watch(self) -> None:
        hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hresult != scard.SCARD_S_SUCCESS:
            return
        self._context = int(context)
        hresult, names = scard.SCardListReaders(self._context, [])
        reader = choose_reader(self._pattern, list(names or [])) if hresult == 0 else None
        if reader is None:
            return
        current = scard.SCARD_STATE_UNAWARE
        while not self._stop.is_set():
            hresult, states = scard.SCardGetStatusChange(self._context, POLL_MS, [(reader, current)])
            if hresult == SCARD_E_TIMEOUT:
                continue
            if hresult != scard.SCARD_S_SUCCESS or not states:
                return  # cancelled, pcscd gone or reader gone: re-establish
            state = int(states[0][1])
            if state & (scard.SCARD_STATE_UNKNOWN | scard.SCARD_STATE_UNAVAILABLE):
                return
            current = state & ~scard.SCARD_STATE_CHANGED
            self._report(bool(state & scard.SCARD_STATE_PRESENT))

    def _report(self, present: bool) -> None:
        if present == self.present:
            return
        first = self.present is None
        self.present = present
        if first and not present:
            return  # an empty reader at start is not an event
        try:
            self._on_change(present)
        except Exception:
            log.exception("card event callback failed")
