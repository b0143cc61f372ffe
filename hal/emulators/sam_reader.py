"""Test emulator: a SAM ID card reader on a pty, speaking the frames of ``hal.idreader.sam_frames``.

Control it from the test thread::

    with SamReaderEmulator(str(tmp_path / "idreader")) as sam:
        sam.insert_card(sample_id_card())
        sam.inject(SamFault.BAD_CHECKSUM, command=SamCommand.READ_TEXT_PHOTO)
        sam.unplug(); sam.replug()
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from enum import StrEnum

from hal.emulators.pty_pair import PtyEmulator
from hal.idreader.sam_frames import (
    ADDITIONAL_ADDRESS_LEN,
    FIND_OK_DATA,
    PHOTO_LEN,
    SELECT_OK_DATA,
    FrameFault,
    SamCommand,
    SamFrame,
    SamFrameParser,
    Sw3,
    encode_read_data,
    encode_response,
    parse_command,
)
from hal.idreader.text_block import encode_text_block, id_number_check_char
from hal.types import IdCardData

SAMPLE_WLT = bytes((i * 37 + 11) & 0xFF for i in range(PHOTO_LEN))
SAMPLE_SAM_ID = bytes.fromhex("0501000020101010000012345678901A")


def sample_id_card(
    name: str = "林小明",
    *,
    sex_code: str = "1",
    ethnicity_code: str = "01",
    birth_date: dt.date = dt.date(1990, 1, 1),
    address: str = "福建省福州市鼓楼区五四路100号",
    sequence: str = "123",
    issuer: str = "福州市公安局鼓楼分局",
    valid_from: dt.date = dt.date(2015, 6, 1),
    valid_until: dt.date | None = dt.date(2035, 6, 1),
    photo_wlt: bytes = SAMPLE_WLT,
) -> IdCardData:
    """A valid test card (region 350102 = Fuzhou Gulou); the ID number's check character is right."""
    first17 = "350102" + birth_date.strftime("%Y%m%d") + sequence
    return IdCardData(
        name=name,
        sex_code=sex_code,
        ethnicity_code=ethnicity_code,
        birth_date=birth_date,
        address=address,
        id_number=first17 + id_number_check_char(first17),
        issuer=issuer,
        valid_from=valid_from,
        valid_until=valid_until,
        photo_wlt=photo_wlt,
    )


class SamFault(StrEnum):
    BAD_CHECKSUM = "bad_checksum"  # answer with a wrong CHK
    TRUNCATED = "truncated"  # send only the first half of the answer
    GARBAGE_BEFORE = "garbage_before"  # noise bytes before a good answer
    SW3 = "sw3"  # answer with the given SW3 and no data
    MUTE = "mute"  # do not answer at all


@dataclass
class _PendingFault:
    fault: SamFault
    command: SamCommand | None
    times: int
    sw3: int
    garbage: bytes


class SamReaderEmulator(PtyEmulator):
    def __init__(self, link_path: str, card: IdCardData | None = None) -> None:
        self._lock = threading.Lock()
        self._parser = SamFrameParser()
        self._text: bytes | None = None
        self._photo = SAMPLE_WLT
        self._additional_address: str | None = None
        self._found = False
        self._selected = False
        self._faults: list[_PendingFault] = []
        self.sam_id = SAMPLE_SAM_ID
        self.commands: list[SamCommand | None] = []  # every command received, in order
        self.rx_errors = 0  # garbled command frames received
        if card is not None:
            self.insert_card(card)
        super().__init__(link_path)

    # -- control (test thread) ------------------------------------------------------------

    @property
    def card_present(self) -> bool:
        return self._text is not None

    def insert_card(self, card: IdCardData | None = None) -> None:
        card = card or sample_id_card()
        self.insert_raw(encode_text_block(card), card.photo_wlt or SAMPLE_WLT)

    def insert_raw(self, text_block: bytes, photo_wlt: bytes = SAMPLE_WLT) -> None:
        """A card whose text block is given byte for byte (malformed-card tests)."""
        with self._lock:
            self._text, self._photo = text_block, photo_wlt
            self._found = self._selected = False

    def remove_card(self) -> None:
        with self._lock:
            self._text = None
            self._found = self._selected = False

    def set_additional_address(self, address: str | None) -> None:
        with self._lock:
            self._additional_address = address

    def inject(
        self,
        fault: SamFault,
        *,
        command: SamCommand | None = None,
        times: int = 1,
        sw3: Sw3 | int = Sw3.UNRECOGNISED_ERROR,
        garbage: bytes = b"\x00\xff\xaa\xaa\x13\x37garbage\xaa\xaa\xaa",
    ) -> None:
        """Apply ``fault`` to the next ``times`` answers (to ``command`` only, if given)."""
        with self._lock:
            self._faults.append(_PendingFault(fault, command, times, int(sw3), garbage))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    # -- the device -----------------------------------------------------------------------

    def on_data(self, data: bytes) -> None:
        for event in self._parser.feed(data):
            if isinstance(event, SamFrame):
                self._answer(event)
            elif event.fault is not FrameFault.DISCARDED:
                self.rx_errors += 1
                self.send(encode_response(Sw3.CHECKSUM_ERROR))

    def _answer(self, frame: SamFrame) -> None:
        cmd, para, _ = parse_command(frame)
        command = SamCommand.from_code(cmd, para)
        with self._lock:
            self.commands.append(command)
            answer = self._respond(command)
            fault = self._take_fault(command)
        if fault is None:
            self.send(answer)
        elif fault.fault is SamFault.BAD_CHECKSUM:
            self.send(answer[:-1] + bytes([answer[-1] ^ 0x5A]))
        elif fault.fault is SamFault.TRUNCATED:
            self.send(answer[: max(8, len(answer) // 2)])
        elif fault.fault is SamFault.GARBAGE_BEFORE:
            self.send(fault.garbage + answer)
        elif fault.fault is SamFault.SW3:
            self.send(encode_response(fault.sw3))
        # MUTE: nothing

    def _take_fault(self, command: SamCommand | None) -> _PendingFault | None:
        for pending in self._faults:
            if pending.command is None or pending.command is command:
                pending.times -= 1
                if pending.times <= 0:
                    self._faults.remove(pending)
                return pending
        return None

    def _respond(self, command: SamCommand | None) -> bytes:
        present = self._text is not None
        if command in (SamCommand.RESET, SamCommand.STATUS):
            return encode_response(Sw3.OK)
        if command is SamCommand.READ_SAM_ID:
            return encode_response(Sw3.OK, self.sam_id)
        if command is SamCommand.FIND_CARD:
            self._found, self._selected = present, False
            return encode_response(Sw3.FIND_OK, FIND_OK_DATA) if present else encode_response(Sw3.FIND_FAILED)
        if command is SamCommand.SELECT_CARD:
            self._selected = present and self._found
            return encode_response(Sw3.OK, SELECT_OK_DATA) if self._selected else encode_response(
                Sw3.SELECT_FAILED
            )
        if command in (SamCommand.READ_TEXT_PHOTO, SamCommand.READ_TEXT_PHOTO_FINGERPRINT):
            if not (present and self._selected) or self._text is None:
                return encode_response(Sw3.READ_FAILED)
            fingerprint = bytes(1024) if command is SamCommand.READ_TEXT_PHOTO_FINGERPRINT else None
            return encode_response(Sw3.OK, encode_read_data(self._text, self._photo, fingerprint))
        if command is SamCommand.READ_ADDITIONAL_ADDRESS:
            if not (present and self._selected):
                return encode_response(Sw3.READ_FAILED)
            if self._additional_address is None:
                return encode_response(Sw3.ITEM_EMPTY)
            raw = self._additional_address.encode("utf-16-le")[:ADDITIONAL_ADDRESS_LEN]
            padding = " ".encode("utf-16-le") * ((ADDITIONAL_ADDRESS_LEN - len(raw)) // 2)
            return encode_response(Sw3.OK, raw + padding)
        return encode_response(Sw3.COMMAND_ERROR)
