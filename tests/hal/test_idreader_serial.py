"""SamSerialIdReader through pyserial → pty → SamReaderEmulator, with every fault."""

from __future__ import annotations

import errno
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import serial

from hal.emulators.sam_reader import SamFault, SamReaderEmulator, sample_id_card
from hal.idreader.sam_frames import SamCommand, SamProtocolError, SamResultError, Sw3, Sw3Kind
from hal.idreader.sam_serial import SamSerialIdReader
from hal.idreader.serial_link import SerialLink
from hal.idreader.text_block import IdTextError, TextFields, encode_text_fields, fields_from_card
from hal.interfaces import IdCardReader
from hal.status import Action, DeviceError, DeviceState, DeviceTimeout, DeviceUnavailable, Media

RESPONSE_TIMEOUT = 0.25


@pytest.fixture
def sam(tmp_path: Path) -> Iterator[SamReaderEmulator]:
    with SamReaderEmulator(str(tmp_path / "idreader")) as emulator:
        yield emulator


@pytest.fixture
def reader(sam: SamReaderEmulator) -> Iterator[SamSerialIdReader]:
    driver = SamSerialIdReader(sam.path, response_timeout_s=RESPONSE_TIMEOUT, poll_interval_s=0.02)
    yield driver
    driver.close()


class UpperBmpDecoder:
    """A stand-in WLT plug-in (the real one is the vendor's licensed library)."""

    def decode(self, wlt: bytes) -> bytes | None:
        return b"BM" + wlt[:10]


class BrokenDecoder:
    def decode(self, wlt: bytes) -> bytes | None:
        raise RuntimeError("licence file missing")


def test_full_read_cycle(sam: SamReaderEmulator, reader: SamSerialIdReader) -> None:
    as_interface: IdCardReader = reader  # mypy checks the driver against the protocol
    assert as_interface is reader
    reader.open()
    assert reader.status().state is DeviceState.ONLINE
    card = sample_id_card()
    sam.insert_card(card)
    got = reader.read_card(1.0)
    assert got is not None
    assert (got.name, got.id_number, got.valid_until) == (card.name, card.id_number, card.valid_until)
    assert len(got.photo_wlt) == 1024 and got.photo_bmp is None
    assert sam.commands[-3:] == [SamCommand.FIND_CARD, SamCommand.SELECT_CARD, SamCommand.READ_TEXT_PHOTO]
    status = reader.status()
    assert status.media is Media.PRESENT and status.counters["cards_read"] == 1


def test_no_card_polls_until_timeout_then_none(sam: SamReaderEmulator, reader: SamSerialIdReader) -> None:
    start = time.monotonic()
    assert reader.read_card(0.2) is None
    assert 0.2 <= time.monotonic() - start < 1.0
    assert sam.commands.count(SamCommand.FIND_CARD) >= 3  # it kept polling
    assert reader.status().media is Media.NOT_PRESENT
    assert reader.card_present() is False


def test_card_placed_while_polling(sam: SamReaderEmulator, reader: SamSerialIdReader) -> None:
    threading.Timer(0.15, sam.insert_card).start()
    got = reader.read_card(2.0)
    assert got is not None and reader.card_present() is True


def test_changqi_and_rare_characters_over_the_wire(sam: SamReaderEmulator, reader: SamSerialIdReader) -> None:
    sam.insert_card(sample_id_card("龚䶮", valid_until=None, sex_code="2", ethnicity_code="22"))
    got = reader.read_card(1.0)
    assert got is not None
    assert (got.name, got.valid_until, got.sex_code, got.ethnicity_code) == ("龚䶮", None, "2", "22")


def test_fingerprint_read_command(sam: SamReaderEmulator) -> None:
    driver = SamSerialIdReader(sam.path, response_timeout_s=RESPONSE_TIMEOUT, read_fingerprint=True)
    sam.insert_card()
    assert driver.read_card(1.0) is not None
    assert sam.commands[-1] is SamCommand.READ_TEXT_PHOTO_FINGERPRINT
    driver.close()


@pytest.mark.parametrize("fault", [SamFault.BAD_CHECKSUM, SamFault.TRUNCATED, SamFault.GARBAGE_BEFORE])
@pytest.mark.parametrize("command", [SamCommand.FIND_CARD, SamCommand.READ_TEXT_PHOTO])
def test_one_garbled_answer_is_retried(
    sam: SamReaderEmulator, reader: SamSerialIdReader, fault: SamFault, command: SamCommand
) -> None:
    sam.insert_card()
    sam.inject(fault, command=command)
    assert reader.read_card(2.0) is not None
    if fault is not SamFault.GARBAGE_BEFORE:
        assert reader.status().counters["errors"] == 0  # recovered inside one exchange
        assert sam.commands.count(command) == 2


@pytest.mark.parametrize(
    ("fault", "code"), [(SamFault.BAD_CHECKSUM, "sam_bad_checksum"), (SamFault.TRUNCATED, "sam_truncated_frame")]
)
def test_persistently_garbled_answers_raise_a_protocol_error(
    sam: SamReaderEmulator, reader: SamSerialIdReader, fault: SamFault, code: str
) -> None:
    sam.insert_card()
    sam.inject(fault, command=SamCommand.READ_TEXT_PHOTO, times=10)
    with pytest.raises(SamProtocolError) as info:
        reader.read_card(2.0)
    assert info.value.code == code
    assert sam.commands.count(SamCommand.READ_TEXT_PHOTO) == 3  # 1 + 2 retries, bounded
    assert reader.status().last_error == code
    sam.clear_faults()
    assert reader.read_card(1.0) is not None
    assert reader.status().last_error is None


def test_mute_reader_times_out_and_recovers(sam: SamReaderEmulator, reader: SamSerialIdReader) -> None:
    sam.inject(SamFault.MUTE, times=1)
    start = time.monotonic()
    with pytest.raises(DeviceTimeout):
        reader.read_card(1.0)
    assert time.monotonic() - start < RESPONSE_TIMEOUT * 4
    status = reader.status()
    assert status.state is DeviceState.OFFLINE and status.action is Action.SUSPEND
    sam.insert_card()
    assert reader.read_card(1.0) is not None
    assert reader.status().state is DeviceState.ONLINE


ERROR_SW3 = [s for s in Sw3 if s.info.kind is not Sw3Kind.SUCCESS]


@pytest.mark.parametrize("sw3", ERROR_SW3, ids=lambda s: s.name)
def test_every_sw3_code_on_find(sam: SamReaderEmulator, reader: SamSerialIdReader, sw3: Sw3) -> None:
    sam.insert_card()
    sam.inject(SamFault.SW3, sw3=sw3, command=SamCommand.FIND_CARD, times=1000)
    kind = sw3.info.kind
    if kind is Sw3Kind.NO_CARD:
        assert reader.read_card(0.1) is None
        return
    if kind is Sw3Kind.CARD_RETRY:  # a card being placed: keep polling, then give up with its code
        with pytest.raises(SamResultError) as info:
            reader.read_card(0.1)
        assert reader.status().media is Media.ENTERING
    else:
        with pytest.raises(SamResultError) as info:
            reader.read_card(1.0)
    assert info.value.code == sw3.info.code
    assert info.value.action is sw3.info.action
    assert reader.status().last_error == sw3.info.code
    if kind is Sw3Kind.FRAME_REJECTED:
        assert sam.commands.count(SamCommand.FIND_CARD) == 3  # resent, bounded
    if sw3.info.action is Action.MAINTENANCE:
        assert reader.status().state is DeviceState.HARDWARE_ERROR


@pytest.mark.parametrize("sw3", [Sw3.SELECT_FAILED, Sw3.READ_FAILED])
def test_card_moved_between_steps_is_retried(sam: SamReaderEmulator, reader: SamSerialIdReader, sw3: Sw3) -> None:
    sam.insert_card()
    command = SamCommand.SELECT_CARD if sw3 is Sw3.SELECT_FAILED else SamCommand.READ_TEXT_PHOTO
    sam.inject(SamFault.SW3, sw3=sw3, command=command, times=2)
    assert reader.read_card(2.0) is not None
    assert sam.commands.count(command) == 3


def test_card_removed_mid_cycle_gives_none(sam: SamReaderEmulator, reader: SamSerialIdReader) -> None:
    sam.insert_card()
    sam.inject(SamFault.SW3, sw3=Sw3.READ_FAILED, command=SamCommand.READ_TEXT_PHOTO)
    sam.remove_card()
    assert reader.read_card(0.1) is None


def test_unknown_sw3_is_a_typed_error(sam: SamReaderEmulator, reader: SamSerialIdReader) -> None:
    sam.inject(SamFault.SW3, sw3=0x77, command=SamCommand.FIND_CARD)
    with pytest.raises(SamResultError) as info:
        reader.read_card(0.5)
    assert info.value.code == "sam_unknown_sw3"


def test_unplug_and_replug_at_the_same_path(sam: SamReaderEmulator, reader: SamSerialIdReader) -> None:
    sam.insert_card()
    assert reader.read_card(1.0) is not None
    sam.unplug()
    assert not os.path.exists(sam.path)
    with pytest.raises(DeviceUnavailable):
        reader.read_card(0.5)
    status = reader.status()
    assert status.state is DeviceState.POWER_OFF and status.action is Action.MAINTENANCE
    with pytest.raises(DeviceUnavailable):  # still gone: reopening fails cleanly
        reader.card_present()
    sam.replug()
    got = reader.read_card(1.0)  # same driver object: no app restart
    assert got is not None
    status = reader.status()
    assert status.state is DeviceState.ONLINE and status.counters["reconnects"] == 1


def test_unplug_mid_read(sam: SamReaderEmulator, reader: SamSerialIdReader) -> None:
    reader.open()
    sam.insert_card()
    sam.inject(SamFault.MUTE, command=SamCommand.READ_TEXT_PHOTO)
    threading.Timer(0.05, sam.unplug).start()
    with pytest.raises(DeviceUnavailable):
        reader.read_card(2.0)
    sam.replug()
    assert reader.read_card(1.0) is not None


def test_open_without_a_port(tmp_path: Path) -> None:
    driver = SamSerialIdReader(str(tmp_path / "nothing"))
    assert driver.status().state is DeviceState.POWER_OFF
    with pytest.raises(DeviceUnavailable):
        driver.open()


def test_modem_lines_raise_enotty_on_a_pty_and_the_link_tolerates_it(sam: SamReaderEmulator) -> None:
    port = serial.Serial(sam.path, 115200)
    with pytest.raises(OSError) as info:
        port.dtr = True
    assert info.value.errno == errno.ENOTTY
    port.close()
    link = SerialLink(sam.path, 115200, "test")
    link.open()  # sets DTR/RTS; the ENOTTY is ignored
    assert link.is_open
    link.close()


def test_bad_text_block_is_a_typed_error(sam: SamReaderEmulator, reader: SamSerialIdReader) -> None:
    base = fields_from_card(sample_id_card())
    evil = TextFields(**{**base.__dict__, "name": "张\u202e三"})
    sam.insert_raw(encode_text_fields(evil))
    with pytest.raises(IdTextError) as info:
        reader.read_card(1.0)
    assert info.value.code == "id_text_bad_character"
    status = reader.status()
    assert status.state is DeviceState.ONLINE and status.action is Action.CLEAR


def test_wlt_decoder_plugin_by_dotted_path(sam: SamReaderEmulator) -> None:
    driver = SamSerialIdReader(sam.path, wlt_decoder=f"{__name__}:UpperBmpDecoder")
    sam.insert_card()
    got = driver.read_card(1.0)
    assert got is not None and got.photo_bmp == b"BM" + got.photo_wlt[:10]
    driver.close()


def test_failing_wlt_decoder_means_no_photo(sam: SamReaderEmulator) -> None:
    driver = SamSerialIdReader(sam.path, wlt_decoder=BrokenDecoder())
    sam.insert_card()
    got = driver.read_card(1.0)
    assert got is not None and got.photo_bmp is None
    driver.close()


@pytest.mark.parametrize("path", ["nowhere_module_xyz:Decoder", "json:loads", "nodots"])
def test_bad_wlt_plugin_configuration(path: str) -> None:
    with pytest.raises(DeviceError) as info:
        SamSerialIdReader("/dev/null", wlt_decoder=path)
    assert info.value.code in ("wlt_decoder_unavailable", "wlt_decoder_config")


def test_sam_id_reset_and_additional_address(sam: SamReaderEmulator, reader: SamSerialIdReader) -> None:
    assert reader.read_sam_id() == sam.sam_id.hex().upper()
    reader.reset_sam()
    sam.insert_card()
    assert reader.read_card(1.0) is not None
    assert reader.read_additional_address() is None
    sam.set_additional_address("福州市仓山区新地址1号")
    assert reader.read_card(1.0) is not None
    assert reader.read_additional_address() == "福州市仓山区新地址1号"


def test_additional_address_with_a_bidi_override_is_refused(sam: SamReaderEmulator,
                                                            reader: SamSerialIdReader) -> None:
    """The 追加地址 is card text like the address: a crafted card cannot smuggle U+202E in."""
    sam.insert_card()
    sam.set_additional_address("福州市\u202e号1址地")
    assert reader.read_card(1.0) is not None
    with pytest.raises(IdTextError) as info:
        reader.read_additional_address()
    assert info.value.code == "id_text_bad_character"
