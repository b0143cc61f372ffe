"""Card issuer driver: an Evolis printer over USB (printer class, bulk endpoints) via pyusb.

The encoder's PC/SC reader is a separate ``CardReader``; this driver only moves and
prints cards. Each escape command is one bulk OUT write and one bulk IN reply, both
bounded by a timeout. Faults in replies become ``DeviceError``s (see
``evolis_commands.FAULTS``); an unplugged printer becomes ``DeviceUnavailable`` and the
next call re-finds it, so a replug needs no restart.
"""

from __future__ import annotations

import logging
import os
import threading
from enum import StrEnum
from typing import Any

from hal.issuer import evolis_commands as ev
from hal.issuer.card_face import render_card_face
from hal.issuer.counters import CounterStore
from hal.issuer.usb_link import UsbPrinterLink
from hal.status import (
    Action,
    DeviceError,
    DeviceState,
    DeviceStatus,
    DeviceTimeout,
    DeviceUnavailable,
    Media,
    Supply,
)
from hal.types import CardFace

log = logging.getLogger(__name__)

EVOLIS_VENDOR_ID = 0x0F49
# cards_retained: lifetime; retain_bin: cards in the bin now (no level sensor: counted, staff reset it)
COUNTER_KEYS = ("cards_fed", "cards_printed", "cards_ejected", "cards_rejected", "cards_retained", "retain_bin",
                "jams")


class CardPosition(StrEnum):
    NONE = "none"
    CONTACT = "contact"
    PRINTED = "printed"  # at the print position after a job
    BEZEL = "bezel"  # waiting for the citizen
    RETAINED = "retained"  # not taken: retracted into the retain bin
    JAMMED = "jammed"


class EvolisUsbIssuer:
    """``hal.interfaces.CardIssuer`` for Evolis printers speaking escape commands."""

    def __init__(
        self,
        counters_path: str | os.PathLike[str],
        *,
        vendor_id: int = EVOLIS_VENDOR_ID,
        product_id: int | None = None,
        serial_number: str | None = None,
        backend: Any = None,
        timeout_s: float = 5.0,
        print_timeout_s: float = 30.0,
        move_timeout_s: float = 15.0,
        ribbon_low_fraction: float = 0.1,
        retain_bin_capacity: int = 20,
        retain_bin_near_full: int = 16,
        name: str = "card_issuer",
    ) -> None:
        self.name = name
        self.print_timeout_s = print_timeout_s
        self.move_timeout_s = move_timeout_s
        self.ribbon_low_fraction = ribbon_low_fraction
        self.retain_bin_capacity = retain_bin_capacity
        self.retain_bin_near_full = retain_bin_near_full
        self._link = UsbPrinterLink(vendor_id, product_id, backend=backend, serial_number=serial_number,
                                    timeout_s=timeout_s, label="card printer")
        self._counters = CounterStore(counters_path, COUNTER_KEYS)
        self._lock = threading.RLock()
        self._position = CardPosition.NONE
        self._initialised = False
        self._stale_reply = False
        self._last_error: DeviceError | None = None
        self.firmware: str | None = None

    # -- Device ----------------------------------------------------------------------
    def open(self) -> None:
        with self._lock:
            self._link.open()
            if not self._initialised:
                self._initialise()

    def _initialise(self) -> None:
        self.firmware = self._exchange(ev.FIRMWARE)
        for setup in (ev.ERRORS_TO_SOFTWARE, ev.REJECT_BOX_MODE, ev.INSERT_FROM_FEEDER):
            ev.check(self._exchange(setup))
        self._initialised = True
        log.info("card printer ready (firmware %s)", self.firmware)

    def close(self) -> None:
        with self._lock:
            self._link.close()
            self._initialised = False

    @property
    def counters(self) -> dict[str, int]:
        return self._counters.snapshot()

    @property
    def position(self) -> CardPosition:
        return self._position

    # -- transport ---------------------------------------------------------------------
    def _exchange(self, text: str, timeout_s: float | None = None, payload: bytes | None = None) -> str:
        """One command, one reply. Drops the link state on unplug so the next call reconnects."""
        try:
            if self._stale_reply:
                self._link.drain()
                self._stale_reply = False
            self._link.write(ev.download_k_panel(payload) if payload is not None else ev.command(text),
                             timeout_s)
            return ev.decode_reply(self._link.read(4096, timeout_s))
        except DeviceTimeout:
            self._stale_reply = True  # a late reply must not be taken for the next command's
            raise
        except DeviceUnavailable:
            self._initialised = False
            raise

    def _run(self, text: str, timeout_s: float | None = None, payload: bytes | None = None) -> str:
        """Open if needed, send, and raise the mapped fault for an error reply."""
        self.open()
        answer = self._exchange(text, timeout_s, payload)
        fault = ev.fault_for(answer)
        if fault is not None:
            if fault.jammed and self._position != CardPosition.JAMMED:  # count each jam once
                self._position = CardPosition.JAMMED
                self._counters.add("jams")
            err = ev.as_error(fault)
            self._last_error = err
            log.warning("card printer refused %s: %s", text, fault.code)
            raise err
        return answer

    # -- CardIssuer --------------------------------------------------------------------
    def feed_to_contact(self) -> None:
        with self._lock:
            if self._position in (CardPosition.CONTACT, CardPosition.PRINTED):
                raise DeviceError("card_inside", "a card is already in the printer", Action.RESET)
            self._run(ev.INSERT_FROM_FEEDER)
            self._run(ev.TO_CONTACT_STATION, self.move_timeout_s)
            self._position = CardPosition.CONTACT
            self._last_error = None
            self._counters.add("cards_fed")

    def print_face(self, face: CardFace) -> None:
        panel = ev.k_panel_from_image(render_card_face(face))
        with self._lock:
            if self._position not in (CardPosition.CONTACT, CardPosition.PRINTED):
                raise DeviceError("no_card_inside", "no card to print on", Action.RESET)
            for step in ev.PRINT_JOB_HEADER:
                self._run(step)
            self._run(ev.BITMAP_PREFIX, self.print_timeout_s, payload=panel)
            self._run(ev.JOB_END, self.print_timeout_s)
            self._position = CardPosition.PRINTED
            self._counters.add("cards_printed")

    def eject_to_bezel(self) -> None:
        with self._lock:
            self._run(ev.EJECT_TO_BEZEL, self.move_timeout_s)
            self._position = CardPosition.BEZEL
            self._counters.add("cards_ejected")

    def eject_to_reject(self) -> None:
        with self._lock:
            self._run(ev.EJECT_TO_REJECT, self.move_timeout_s)
            self._position = CardPosition.NONE
            self._counters.add("cards_rejected")

    def retract(self) -> None:
        """Pull a card not taken back from the bezel into the retain bin (the counter is the bin level)."""
        with self._lock:
            self._run(ev.RETRACT_TO_BIN, self.move_timeout_s)
            self._position = CardPosition.RETAINED
            self._counters.add("cards_retained")
            self._counters.add("retain_bin")

    def retain_bin_emptied(self) -> None:
        """Staff emptied the retain bin: its level goes back to zero (the lifetime counter stays)."""
        with self._lock:
            self._counters.reset("retain_bin")

    def card_taken(self) -> bool:
        with self._lock:
            if self._position == CardPosition.RETAINED:
                return False  # the printer took it back
            waiting = ev.parse_flag(self._run(ev.BEZEL_CARD))
            if not waiting and self._position == CardPosition.BEZEL:
                self._position = CardPosition.NONE
            return not waiting

    def reset(self) -> None:
        """Software reset (``Srs``) then health check (``Rok``); clears a jam once staff removed the card."""
        with self._lock:
            self._run(ev.RESET, self.move_timeout_s)
            self._initialised = False
            self._run(ev.HEALTH)
            self._position = CardPosition.NONE
            self._last_error = None

    # -- status ------------------------------------------------------------------------
    def status(self) -> DeviceStatus:
        with self._lock:
            try:
                return self._status()
            except DeviceUnavailable:
                try:  # the printer may be back on a new address: one fresh attempt
                    return self._status()
                except DeviceUnavailable as exc:
                    return self._down(DeviceState.POWER_OFF, exc)
            except DeviceTimeout as exc:
                return self._down(DeviceState.OFFLINE, exc)
            except DeviceError as exc:
                return self._down(DeviceState.HARDWARE_ERROR, exc)

    def _down(self, state: DeviceState, exc: DeviceError) -> DeviceStatus:
        return DeviceStatus(state=state, media=Media.UNKNOWN, counters=self.counters, last_error=exc.code,
                            action=exc.action)

    def _status(self) -> DeviceStatus:
        self.open()
        health = self._exchange(ev.HEALTH)
        fault = ev.fault_for(health)
        empty = ev.parse_flag(self._exchange(ev.FEEDER_EMPTY))
        near = ev.parse_flag(self._exchange(ev.FEEDER_NEAR_EMPTY))
        reject_full = ev.parse_flag(self._exchange(ev.REJECT_BOX_FULL))
        ribbon_left = ev.parse_count(self._exchange(ev.RIBBON_COUNT))
        ribbon_qty = ev.parse_count(self._exchange(ev.RIBBON_CAPACITY))
        bezel = ev.parse_flag(self._exchange(ev.BEZEL_CARD))
        supplies = {
            "blank_cards": Supply.OUT if empty else Supply.LOW if near else Supply.OK,
            "ribbon": self._ribbon_supply(ribbon_left, ribbon_qty),
            "reject_box": Supply.OUT if reject_full else Supply.OK,
            "retain_bin": self._retain_supply(),
        }
        if self._position == CardPosition.BEZEL and not bezel:
            self._position = CardPosition.NONE
        media = self._media(fault, bezel)
        state, last_error, action = DeviceState.ONLINE, None, Action.NONE
        if fault is not None:
            state = DeviceState.HARDWARE_ERROR
            last_error, action = fault.code, fault.action
            if fault.jammed:
                self._position = CardPosition.JAMMED
        elif self._position == CardPosition.JAMMED:  # Rok clean again: staff cleared it
            self._position = CardPosition.NONE
            media = self._media(None, bezel)
        elif self._last_error is not None:
            last_error, action = self._last_error.code, self._last_error.action
        if state == DeviceState.ONLINE and Supply.OUT in supplies.values():
            action = Action.CLEAR
        return DeviceStatus(state=state, media=media, supplies=supplies, counters=self.counters,
                            last_error=last_error, action=action)

    def _ribbon_supply(self, left: int, capacity: int) -> Supply:
        if left <= 0:
            return Supply.OUT
        if capacity <= 0:
            return Supply.UNKNOWN
        return Supply.LOW if left <= max(1, round(capacity * self.ribbon_low_fraction)) else Supply.OK

    def _retain_supply(self) -> Supply:
        level = self._counters.snapshot().get("retain_bin", 0)
        if level >= self.retain_bin_capacity:
            return Supply.OUT
        return Supply.LOW if level >= self.retain_bin_near_full else Supply.OK

    def _media(self, fault: ev.PrinterFault | None, bezel: bool) -> Media:
        if (fault is not None and fault.jammed) or self._position == CardPosition.JAMMED:
            return Media.JAMMED
        if self._position in (CardPosition.CONTACT, CardPosition.PRINTED):
            return Media.PRESENT
        if bezel:
            return Media.ENTERING  # in the exit slot, waiting for the citizen
        if self._position == CardPosition.RETAINED:
            return Media.RETAINED
        return Media.NOT_PRESENT
