"""``hal.interfaces.CardReader`` for the social security chip over PC/SC (pyscard → pcscd).

Normal outcomes (no card, card pulled mid-command, wrong PIN, locked) are results; faults are
``DeviceError`` subclasses. Logs carry INS bytes, status words and codes, never card data.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from hal.sscard import apdu
from hal.sscard.errors import (
    CardAbsent,
    CardDataError,
    CardProtocolError,
    ReaderMissing,
    SecureAccessRequired,
)
from hal.sscard.pcsc_monitor import CardMonitor
from hal.sscard.pcsc_transport import PcscTransport
from hal.sscard.secure_access import NoSecureAccess, SecureAccess
from hal.status import Action, DeviceError, DeviceState, DeviceStatus, DeviceUnavailable, Media
from hal.types import (
    ApduOutcome,
    ApduResult,
    CardPersonalisation,
    PinBlock,
    PinOutcome,
    PinResult,
    SsCardData,
)

log = logging.getLogger(__name__)
T = TypeVar("T")


class PcscCardReader:
    """The social security card in the PC/SC reader whose name matches ``reader_pattern``.

    ``reader_pattern`` is a case-insensitive regex (or plain substring); None takes the first
    reader. ``secure_access`` computes 3rd-generation external authentication (default: none).
    ``command_timeout_s`` bounds every PC/SC call; ``removal_grace_s`` is how long a failed
    command waits for pcscd to report a pulled card before calling it a fault.
    """

    def __init__(
        self,
        reader_pattern: str | None = None,
        *,
        name: str = "card_reader",
        secure_access: SecureAccess | None = None,
        command_timeout_s: float = 5.0,
        removal_grace_s: float = 1.0,
    ) -> None:
        self.name = name
        self.reader_pattern = reader_pattern
        self.secure_access: SecureAccess = secure_access or NoSecureAccess()
        self._transport = PcscTransport(
            reader_pattern, command_timeout_s=command_timeout_s, removal_grace_s=removal_grace_s
        )
        self._lock = threading.RLock()
        self._selected = False  # SSSE selected on the current connection
        self._authorised: set[int] = set()  # key refs authenticated on the current connection
        self._card_id = ""  # tag 01 of the current card once known
        # The card we talked to was pulled: PIN commands answer CARD_REMOVED rather than talk to
        # whatever card is in the slot now, until read_card/personalise start a new session.
        self._card_lost = False
        self._last_error: DeviceError | None = None
        self._callbacks: list[Callable[[bool], None]] = []
        self._monitor: CardMonitor | None = None

    # -- Device ----------------------------------------------------------------------------------
    def open(self) -> None:
        with self._lock:
            self._forget_card()
            self._card_lost = False
            self._guard(self._transport.find_reader)
            if self._callbacks:
                self._start_monitor()

    def close(self) -> None:
        if self._monitor is not None:
            self._monitor.stop()
            self._monitor = None
        with self._lock:
            self._forget_card()
            self._transport.close()

    def status(self) -> DeviceStatus:
        with self._lock:
            try:
                present = self._transport.card_present()
            except DeviceError as exc:
                return self._status_for(exc)
            if self._transport.stuck:
                return DeviceStatus(
                    DeviceState.HARDWARE_ERROR,
                    Media.PRESENT if present else Media.UNKNOWN,
                    last_error="timeout",
                    action=Action.CLEAR,
                )
            last = self._last_error.code if self._last_error else None
            return DeviceStatus(
                DeviceState.ONLINE, Media.PRESENT if present else Media.NOT_PRESENT, last_error=last
            )

    @staticmethod
    def _status_for(exc: DeviceError) -> DeviceStatus:
        if isinstance(exc, ReaderMissing):
            return DeviceStatus(DeviceState.POWER_OFF, Media.UNKNOWN, last_error="reader_missing",
                                action=Action.MAINTENANCE)
        if isinstance(exc, DeviceUnavailable):
            return DeviceStatus(DeviceState.OFFLINE, Media.UNKNOWN, last_error="pcscd_unavailable",
                                action=Action.RESET)
        return DeviceStatus(DeviceState.HARDWARE_ERROR, Media.UNKNOWN, last_error=exc.code,
                            action=exc.action)

    # -- presence and events ---------------------------------------------------------------------
    def card_present(self) -> bool:
        with self._lock:
            return self._guard(self._transport.card_present)

    def wait_for_card(self, timeout_s: float) -> bool:
        with self._lock:
            return self._guard(lambda: self._transport.wait_for_state(True, timeout_s))

    def wait_for_removal(self, timeout_s: float) -> bool:
        with self._lock:
            return self._guard(lambda: self._transport.wait_for_state(False, timeout_s))

    def on_card_event(self, callback: Callable[[bool], None]) -> None:
        self._callbacks.append(callback)
        self._start_monitor()

    def _start_monitor(self) -> None:
        if self._monitor is None:
            self._monitor = CardMonitor(self.reader_pattern, self._card_event)
        self._monitor.start()

    def _card_event(self, present: bool) -> None:
        if not present:
            with self._lock:
                if self._transport.connected:
                    self._card_lost = True
                self._forget_card()
        for callback in list(self._callbacks):
            try:
                callback(present)
            except Exception:
                log.exception("card event callback failed")

    # -- reading ---------------------------------------------------------------------------------
    def read_card(self) -> SsCardData | None:
        with self._lock, self._session() as ok:
            if not ok:
                return None
            atr = self._connect(new_session=True)
            values: dict[str, str | dt.date | None] = {}
            raw_name = b""
            raw_ext = b""
            for fid in (apdu.EF05, apdu.EF06):
                self._select_ef(fid)
                for item in (i for i in apdu.CARD_ITEMS if i.fid == fid):
                    value = self._read_item(item)
                    if item.tag == apdu.TAG_NAME:
                        raw_name = value
                    elif item.tag == apdu.TAG_NAME_EXT:
                        raw_ext = value
                    else:
                        values[item.field] = apdu.decode_item(item, value)
                        if item.tag == 0x01:
                            self._card_id = _text(values[item.field])
            return SsCardData(
                atr=atr.hex().upper(),
                card_id_code=_text(values["card_id_code"]),
                card_type=_text(values["card_type"]),
                spec_version=_text(values["spec_version"]),
                issue_date=_date(values["issue_date"]),
                expiry_date=_date(values["expiry_date"]),
                card_no=_text(values["card_no"]),
                ssn=_text(values["ssn"]),
                name=apdu.join_name(raw_name, raw_ext),
                sex=_text(values["sex"]),
                ethnicity=_text(values["ethnicity"]),
                birth_place=_text(values["birth_place"]),
                birth_date=_date(values["birth_date"]),
            )
        return None  # the card was absent or pulled mid-read

    def _read_item(self, item: apdu.Item) -> bytes:
        command = apdu.read_record(item.tag, item.record_len)
        data, sw = self._authorised_exchange(command, apdu.AUTH_READ)
        if sw == apdu.SW_BY_KIND[apdu.SwKind.RECORD_NOT_FOUND] and item.tag == apdu.TAG_NAME_EXT:
            return b""  # 1st-generation cards have no name extension
        _expect_ok(sw, f"read record {item.tag:02X}")
        return apdu.parse_record(item.tag, data)

    # -- PIN -------------------------------------------------------------------------------------
    def verify_pin(self, pin: PinBlock) -> PinResult:
        clear = _clear_pin(pin)
        if clear is None:
            return PinResult(PinOutcome.REFUSED)
        return self._pin_command(lambda: apdu.verify(clear))

    def change_pin(self, old: PinBlock, new: PinBlock) -> PinResult:
        old_clear, new_clear = _clear_pin(old), _clear_pin(new)
        if old_clear is None or new_clear is None:
            return PinResult(PinOutcome.REFUSED)
        return self._pin_command(lambda: apdu.change_pin(old_clear, new_clear))

    def send_authorised_apdu(self, apdu_hex: str) -> PinResult:
        """Send the HSM-built RELOAD/UNBLOCK command as is (same connection as GET CHALLENGE)."""
        try:
            command = bytes.fromhex(apdu_hex)
        except ValueError:
            raise CardProtocolError("authorised APDU is not hex") from None
        if not 5 <= len(command) <= 261:
            raise CardProtocolError(f"authorised APDU has {len(command)} bytes")
        return self._pin_command(lambda: command)

    def _pin_command(self, build: Callable[[], bytes]) -> PinResult:
        with self._lock:
            try:
                self._connect()
                self._ensure_selected()
                _, sw = self._transport.exchange(build())
            except CardAbsent as absent:
                self._lost(absent)
                return PinResult(PinOutcome.CARD_REMOVED if absent.removed else PinOutcome.NO_CARD)
            except DeviceError as exc:
                self._fail(exc)
                raise
            result = apdu.pin_result(sw)
            log.info("pin command %s → %s", f"{build()[1]:02X}", result.outcome.value)
            return result

    def get_challenge(self) -> ApduResult:
        with self._lock:
            try:
                self._connect()
                self._ensure_selected()
                data, sw = self._transport.exchange(apdu.get_challenge())
            except CardAbsent as absent:
                self._lost(absent)
                return _absent_result(absent)
            except DeviceError as exc:
                self._fail(exc)
                raise
            if sw != apdu.SW_OK or len(data) != apdu.CHALLENGE_LEN:
                return ApduResult(ApduOutcome.FAILED, sw=f"{sw:04X}")
            return ApduResult(ApduOutcome.OK, data=data, sw=f"{sw:04X}")

    # -- personalisation -------------------------------------------------------------------------
    def personalise(self, data: CardPersonalisation) -> ApduResult:
        """Write EF05/EF06 (external authentication 04 first if the card asks) and the initial PIN."""
        try:
            records = _personalisation_records(data)
            pin_command = apdu.install_pin(data.initial_pin)
        except ValueError as exc:
            log.warning("personalisation data rejected: %s", exc)
            return ApduResult(ApduOutcome.FAILED)
        with self._lock:
            try:
                self._connect(new_session=True)
                self._card_id = data.card_id_code
                self._ensure_selected()
                for fid, tag, record in records:
                    self._select_ef(fid)
                    _, sw = self._authorised_exchange(apdu.update_record(tag, record), apdu.AUTH_WRITE)
                    if sw != apdu.SW_OK:
                        log.warning("update record %02X refused: SW %04X", tag, sw)
                        return ApduResult(ApduOutcome.FAILED, sw=f"{sw:04X}")
                _, sw = self._authorised_exchange(pin_command, apdu.AUTH_WRITE)
            except CardAbsent as absent:
                self._lost(absent)
                return _absent_result(absent)
            except DeviceError as exc:
                self._fail(exc)
                raise
            if sw != apdu.SW_OK:
                return ApduResult(ApduOutcome.FAILED, sw=f"{sw:04X}")
            return ApduResult(ApduOutcome.OK, sw=f"{sw:04X}")

    # -- internals -------------------------------------------------------------------------------
    @contextmanager
    def _session(self) -> Iterator[bool]:
        """Run a card dialogue: yields False for no card; typed errors pass, others are wrapped."""
        try:
            yield True
        except CardAbsent as absent:
            self._lost(absent)
            # read_card's contract: None for "no card", including one pulled mid-read.
            return
        except DeviceError as exc:
            self._fail(exc)
            raise

    def _guard(self, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except DeviceError as exc:
            self._fail(exc)
            raise

    def _fail(self, exc: DeviceError) -> None:
        self._last_error = exc
        log.warning("card reader %s: %s", self.name, exc.code)
        if not isinstance(exc, (CardDataError, CardProtocolError, SecureAccessRequired)):
            self._forget_card()

    def _lost(self, absent: CardAbsent) -> None:
        self._forget_card()
        if absent.removed:
            self._card_lost = True

    def _forget_card(self) -> None:
        self._selected = False
        self._authorised.clear()
        self._card_id = ""
        self._transport.disconnect()

    def _connect(self, new_session: bool = False) -> bytes:
        """Connect; ``new_session`` accepts a different card than the last one talked to."""
        if self._transport.connected and not self._transport.alive():
            self._card_lost = True
        if not self._transport.connected:
            if self._card_lost and not new_session:
                raise CardAbsent(removed=True)
            self._selected = False
            self._authorised.clear()
            self._card_id = ""
        atr = self._transport.connect()
        self._card_lost = False
        self._last_error = None
        return atr

    def _ensure_selected(self) -> None:
        if self._selected:
            return
        _, sw = self._transport.exchange(apdu.select_ssse())
        _expect_ok(sw, "select SSSE")
        self._selected = True

    def _select_ef(self, fid: int) -> None:
        self._ensure_selected()
        _, sw = self._transport.exchange(apdu.select_ef(fid))
        _expect_ok(sw, f"select {fid:04X}")

    def _authorised_exchange(self, command: bytes, key_ref: int) -> tuple[bytes, int]:
        """Exchange; on 6982 authenticate once with ``key_ref`` through secure access and retry."""
        data, sw = self._transport.exchange(command)
        if sw != apdu.SW_BY_KIND[apdu.SwKind.SECURITY_NOT_SATISFIED] or key_ref in self._authorised:
            return data, sw
        self._external_auth(key_ref)
        return self._transport.exchange(command)

    def _external_auth(self, key_ref: int) -> None:
        challenge, sw = self._transport.exchange(apdu.get_challenge())
        _expect_ok(sw, "get challenge")
        if len(challenge) != apdu.CHALLENGE_LEN:
            raise CardDataError(f"challenge has {len(challenge)} bytes")
        cryptogram = self.secure_access.cryptogram(challenge, key_ref, self._card_id_code())
        _, sw = self._transport.exchange(apdu.external_auth(key_ref, cryptogram))
        _expect_ok(sw, f"external authentication {key_ref:02X}")
        self._authorised.add(key_ref)
        log.info("external authentication %02X via %s ok", key_ref, self.secure_access.name)

    def _card_id_code(self) -> str:
        """Tag 01 of EF05, as read (or written) on this connection, for key diversification."""
        return self._card_id


def _expect_ok(sw: int, what: str) -> None:
    if sw == apdu.SW_OK:
        return
    status = apdu.classify_sw(sw)
    if status.kind is apdu.SwKind.SECURITY_NOT_SATISFIED:
        raise SecureAccessRequired(f"{what}: SW {status.hex}")
    raise CardProtocolError(f"{what}: SW {status.hex} ({status.kind.value})", sw)


def _clear_pin(pin: PinBlock) -> str | None:
    """The clear PIN of a weak-mode pad; an encrypted block needs the PSAM/HSM (not supported here)."""
    if pin.clear_pin is None:
        raise DeviceError(
            "encrypted_pin_unsupported",
            "an encrypted PIN block must be translated by the PSAM/HSM",
            Action.MAINTENANCE,
        )
    clear = pin.clear_pin
    if not clear.isascii() or not clear.isdigit() or not 1 <= len(clear) <= 12:
        return None
    return clear


def _absent_result(absent: CardAbsent) -> ApduResult:
    return ApduResult(ApduOutcome.CARD_REMOVED if absent.removed else ApduOutcome.NO_CARD)


def _text(value: str | dt.date | None) -> str:
    return value if isinstance(value, str) else ""


def _date(value: str | dt.date | None) -> dt.date | None:
    return value if isinstance(value, dt.date) else None


def _personalisation_records(data: CardPersonalisation) -> list[tuple[int, int, bytes]]:
    """(file, tag, record) for every item the kiosk writes, in file order."""
    values = dataclasses.asdict(data)
    head, tail = apdu.split_name(data.name)
    out: list[tuple[int, int, bytes]] = []
    for item in apdu.CARD_ITEMS:
        if item.tag == apdu.TAG_NAME:
            value = head
        elif item.tag == apdu.TAG_NAME_EXT:
            value = tail
        else:
            value = apdu.encode_item(item, values[item.field])
        out.append((item.fid, item.tag, apdu.build_record(item.tag, value)))
    return out
