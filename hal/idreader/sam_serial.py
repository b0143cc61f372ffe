"""Real driver: a second-generation ID card reader speaking the SAM serial protocol over pyserial."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from hal.idreader.sam_frames import (
    ADDITIONAL_ADDRESS_LEN,
    FrameFault,
    SamCommand,
    SamFrame,
    SamFrameParser,
    SamProtocolError,
    SamResponse,
    SamResultError,
    Sw3,
    Sw3Kind,
    encode_command,
    parse_read_data,
    parse_response,
)
from hal.idreader.serial_link import SerialLink
from hal.idreader.text_block import decode_additional_address, decode_text_block
from hal.idreader.wlt import WltDecoder, decode_photo, load_wlt_decoder
from hal.status import (
    Action,
    DeviceError,
    DeviceState,
    DeviceStatus,
    DeviceTimeout,
    DeviceUnavailable,
    Media,
)
from hal.types import IdCardData

log = logging.getLogger(__name__)
T = TypeVar("T")


class SamSerialIdReader:
    """``hal.interfaces.IdCardReader`` over a UART (or USB-serial) SAM.

    Every call is blocking and bounded. ``read_card`` polls find → select → read until a card
    is read or ``timeout_s`` passes (then None). A port that vanished raises
    ``DeviceUnavailable``; the next call reopens it, so a replugged reader works again.
    """

    def __init__(
        self,
        port: str,
        baud: int = 115200,
        *,
        name: str = "id_reader",
        response_timeout_s: float = 2.0,
        poll_interval_s: float = 0.2,
        retries: int = 2,
        wlt_decoder: WltDecoder | str | None = None,
        read_fingerprint: bool = False,
    ) -> None:
        self.name = name
        self._link = SerialLink(port, baud, "SAM ID reader")
        self._parser = SamFrameParser()
        self._response_timeout_s = response_timeout_s
        self._poll_interval_s = poll_interval_s
        self._retries = retries
        self._decoder = load_wlt_decoder(wlt_decoder) if isinstance(wlt_decoder, str) else wlt_decoder
        self.decodes_photos = self._decoder is not None  # the kiosk's face check compares locally only then
        self._read_command = (
            SamCommand.READ_TEXT_PHOTO_FINGERPRINT if read_fingerprint else SamCommand.READ_TEXT_PHOTO
        )
        self._op_lock = threading.Lock()
        self._state = DeviceState.OFFLINE
        self._media = Media.UNKNOWN
        self._last_error: str | None = None
        self._action = Action.NONE
        self._counters = {"cards_read": 0, "errors": 0, "reconnects": 0}
        self._was_unplugged = False

    # -- Device ---------------------------------------------------------------------------

    def open(self) -> None:
        with self._op_lock:
            self._guarded(lambda: self._expect_ok(self._transact(SamCommand.STATUS)))

    def close(self) -> None:
        with self._op_lock:
            self._link.close()
            self._set_state(DeviceState.OFFLINE, None, Action.NONE)

    def status(self) -> DeviceStatus:
        state = self._state
        if not self._link.is_open and not self._link.path_exists():
            state = DeviceState.POWER_OFF
        action = Action.MAINTENANCE if state is DeviceState.POWER_OFF else self._action
        return DeviceStatus(
            state=state,
            media=self._media,
            counters=dict(self._counters),
            last_error=self._last_error,
            action=action,
        )

    # -- IdCardReader ---------------------------------------------------------------------

    def read_card(self, timeout_s: float) -> IdCardData | None:
        deadline = time.monotonic() + timeout_s
        with self._op_lock:
            return self._guarded(lambda: self._poll_read(deadline))

    def card_present(self) -> bool:
        """One find-card exchange. Note: real SAMs may answer 'no card' for a card that was just
        read until it is lifted and placed again (the card halts after a read)."""
        with self._op_lock:
            return self._guarded(self._find_card) is True

    # -- extras for the maintenance screen ------------------------------------------------

    def read_sam_id(self) -> str:
        """The SAM's identity (hex), shown to the technician."""
        with self._op_lock:
            resp = self._guarded(lambda: self._expect_ok(self._transact(SamCommand.READ_SAM_ID)))
            return resp.data.hex().upper()

    def reset_sam(self) -> None:
        with self._op_lock:
            self._guarded(lambda: self._expect_ok(self._transact(SamCommand.RESET)))

    def read_additional_address(self) -> str | None:
        """The 追加地址 of the card just read (None if the card has none). Call after read_card."""
        def read() -> SamResponse | None:
            resp = self._transact(SamCommand.READ_ADDITIONAL_ADDRESS)
            return None if self._kind(resp) is Sw3Kind.ITEM_EMPTY else self._expect_ok(resp)

        with self._op_lock:
            resp = self._guarded(read)
        if resp is None:
            return None
        return decode_additional_address(resp.data, ADDITIONAL_ADDRESS_LEN)

    # -- the read cycle -------------------------------------------------------------------

    def _poll_read(self, deadline: float) -> IdCardData | None:
        self._set_state(DeviceState.BUSY, self._last_error, self._action)
        while True:
            retry = self._find()
            if retry is None:
                card, retry = self._select_and_read()
                if card is not None:
                    self._counters["cards_read"] += 1
                    return card
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                if retry is not None and self._kind(retry) is Sw3Kind.CARD_RETRY:
                    raise SamResultError(self._sw3(retry))  # a card is there but never read cleanly
                return None
            time.sleep(min(self._poll_interval_s, remaining))

    def _find_card(self) -> bool:
        return self._find() is None

    def _find(self) -> SamResponse | None:
        """None when a card was found, else the answer that says why not (no card / retry)."""
        resp = self._transact(SamCommand.FIND_CARD)
        kind = self._kind(resp)
        if kind is Sw3Kind.NO_CARD:
            self._media = Media.NOT_PRESENT
            return resp
        if kind is Sw3Kind.CARD_RETRY:
            self._media = Media.ENTERING
            return resp
        self._expect_ok(resp)
        self._media = Media.PRESENT
        return None

    def _select_and_read(self) -> tuple[IdCardData | None, SamResponse | None]:
        resp = self._transact(SamCommand.SELECT_CARD)
        if self._kind(resp) in (Sw3Kind.CARD_RETRY, Sw3Kind.NO_CARD):
            return None, resp
        self._expect_ok(resp)
        resp = self._transact(self._read_command)
        if self._kind(resp) in (Sw3Kind.CARD_RETRY, Sw3Kind.NO_CARD):
            return None, resp
        self._expect_ok(resp)
        with_fp = self._read_command is SamCommand.READ_TEXT_PHOTO_FINGERPRINT
        blocks = parse_read_data(resp.data, with_fingerprint=with_fp)
        photo_bmp = decode_photo(self._decoder, blocks.photo)
        return decode_text_block(blocks.text, blocks.photo, photo_bmp), None

    # -- one exchange ---------------------------------------------------------------------

    @staticmethod
    def _kind(resp: SamResponse) -> Sw3Kind | None:
        sw3 = resp.known_sw3
        return None if sw3 is None else sw3.info.kind

    @staticmethod
    def _sw3(resp: SamResponse) -> Sw3 | int:
        sw3 = resp.known_sw3
        return sw3 if sw3 is not None else resp.sw3

    def _expect_ok(self, resp: SamResponse) -> SamResponse:
        if self._kind(resp) is not Sw3Kind.SUCCESS:
            raise SamResultError(self._sw3(resp))
        return resp

    def _transact(self, command: SamCommand, data: bytes = b"") -> SamResponse:
        """Send a command and return the answer, resending on a garbled exchange."""
        if not self._link.is_open:
            self._link.open()
            if self._was_unplugged:
                self._counters["reconnects"] += 1
                self._was_unplugged = False
        frame = encode_command(command, data)
        last: DeviceError = DeviceTimeout("SAM did not answer")
        for _ in range(self._retries + 1):
            self._link.discard_input()
            self._parser.reset()
            self._link.write(frame)
            try:
                resp = self._await_response()
            except SamProtocolError as exc:
                last = exc
                continue
            if self._kind(resp) is Sw3Kind.FRAME_REJECTED:
                last = SamResultError(self._sw3(resp))
                continue
            return resp
        raise last

    def _await_response(self) -> SamResponse:
        deadline = time.monotonic() + self._response_timeout_s
        corrupt = False
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                if corrupt:
                    raise SamProtocolError("sam_bad_checksum", "corrupted answer")
                if self._parser.pending:
                    raise SamProtocolError("sam_truncated_frame", f"{self._parser.pending} bytes")
                raise DeviceTimeout("SAM did not answer")
            for event in self._parser.feed(self._link.read_some(remaining)):
                if isinstance(event, SamFrame):
                    return parse_response(event)
                if event.fault in (FrameFault.BAD_CHECKSUM, FrameFault.BAD_LENGTH):
                    corrupt = True
            if corrupt and not self._parser.pending:
                raise SamProtocolError("sam_bad_checksum", "corrupted answer")

    # -- status bookkeeping ---------------------------------------------------------------

    def _guarded(self, op: Callable[[], T]) -> T:
        try:
            result = op()
        except DeviceUnavailable as exc:
            self._was_unplugged = True
            self._media = Media.UNKNOWN
            self._record(DeviceState.POWER_OFF, exc)
            raise
        except DeviceTimeout as exc:
            self._record(DeviceState.OFFLINE, exc)
            raise
        except SamResultError as exc:
            maintenance = exc.action is Action.MAINTENANCE
            self._record(DeviceState.HARDWARE_ERROR if maintenance else DeviceState.ONLINE, exc)
            raise
        except DeviceError as exc:
            card_problem = exc.action is Action.CLEAR
            self._record(DeviceState.ONLINE if card_problem else DeviceState.HARDWARE_ERROR, exc)
            raise
        self._set_state(DeviceState.ONLINE, None, Action.NONE)
        return result

    def _record(self, state: DeviceState, exc: DeviceError) -> None:
        self._counters["errors"] += 1
        self._set_state(state, exc.code, exc.action)

    def _set_state(self, state: DeviceState, last_error: str | None, action: Action) -> None:
        if (state, last_error) != (self._state, self._last_error) and state is not DeviceState.BUSY:
            log.info("%s: %s%s", self.name, state.value, f" ({last_error})" if last_error else "")
        self._state, self._last_error, self._action = state, last_error, action
