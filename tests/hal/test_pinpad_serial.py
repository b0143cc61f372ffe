"""Zt588PinPad through pyserial → pty → Zt588PadEmulator, with every fault."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hal.emulators.zt588_pad import (
    TEST_MASTER_KEY,
    TEST_PIN_KEY,
    PadFault,
    Zt588PadEmulator,
    decrypt_pin_block,
    encrypt_under,
    key_check_value,
)
from hal.interfaces import PinPad
from hal.pinpad.iso9564 import PinBlockError
from hal.pinpad.zt588_frames import PadCommand, PadError, Zt588PadError, Zt588ProtocolError
from hal.pinpad.zt588_serial import Zt588PinPad
from hal.status import Action, DeviceError, DeviceState, DeviceTimeout, DeviceUnavailable
from hal.types import PinEntryEvent, PinEntryEventKind

PAN = "6214830100000000123"
K = PinEntryEventKind


@pytest.fixture
def emu(tmp_path: Path) -> Iterator[Zt588PadEmulator]:
    with Zt588PadEmulator(str(tmp_path / "pinpad")) as emulator:
        yield emulator


@pytest.fixture
def pad(emu: Zt588PadEmulator) -> Iterator[Zt588PinPad]:
    driver = Zt588PinPad(emu.path, response_timeout_s=0.25)
    yield driver
    driver.close()


def events_until_end(pad: Zt588PinPad, limit_s: float = 3.0, idle_s: float = 1.0) -> list[PinEntryEvent]:
    out: list[PinEntryEvent] = []
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        event = pad.next_event(idle_s)
        if event is None:
            break
        out.append(event)
        if event.kind in (K.ENTER, K.CANCEL, K.TIMEOUT):
            break
    return out


def test_secure_entry_gives_counts_only_and_an_encrypted_block(emu: Zt588PadEmulator, pad: Zt588PinPad) -> None:
    as_interface: PinPad = pad
    assert as_interface.secure is True
    pad.open()
    assert pad.status().state is DeviceState.ONLINE
    pad.start_entry(6, 6, 30)
    assert emu.entering and emu.limits == (6, 6, 30.0)
    assert pad.status().state is DeviceState.BUSY
    emu.type_pin("271828")
    events = events_until_end(pad)
    assert [(e.kind, e.digits_entered) for e in events] == [(K.DIGIT, n) for n in range(1, 7)] + [(K.ENTER, 6)]
    assert all(set(vars(e)) == {"kind", "digits_entered"} for e in events)  # no room for a digit
    block = pad.get_pin_block(PAN)
    assert block.clear_pin is None and block.format == "ISO9564-0"
    assert block.encrypted_hex is not None and len(block.encrypted_hex) == 16
    assert "271828" not in block.encrypted_hex and "271828" not in repr(block)
    assert decrypt_pin_block(block.encrypted_hex, PAN) == "271828"  # the HSM's side
    with pytest.raises(PinBlockError):
        decrypt_pin_block(block.encrypted_hex, "6214830199999999993")  # bound to the PAN
    assert pad.status().state is DeviceState.ONLINE and pad.status().counters["pin_blocks"] == 1


def test_backspace_clear_and_the_length_limits(emu: Zt588PadEmulator, pad: Zt588PinPad) -> None:
    pad.start_entry(4, 6, 30)
    for key in ["1", "2", "backspace", "3", "clear", "4", "5", "6", "7", "8", "9", "0"]:
        emu.press(key)
    emu.press("enter")
    events = events_until_end(pad)
    counts = [(e.kind, e.digits_entered) for e in events]
    assert counts[:5] == [(K.DIGIT, 1), (K.DIGIT, 2), (K.BACKSPACE, 1), (K.DIGIT, 2), (K.CLEAR, 0)]
    assert counts[-1] == (K.ENTER, 6)  # the 7th digit was ignored by the pad
    assert decrypt_pin_block(pad.get_pin_block(PAN).encrypted_hex or "", PAN) == "456789"


def test_enter_below_the_minimum_is_ignored_by_the_pad(emu: Zt588PadEmulator, pad: Zt588PinPad) -> None:
    pad.start_entry(6, 6, 30)
    emu.type_pin("123")
    events = events_until_end(pad, idle_s=0.3)
    assert [e.kind for e in events] == [K.DIGIT] * 3
    with pytest.raises(Zt588PadError) as info:
        pad.get_pin_block(PAN)  # entry not finished
    assert info.value.code == "zt588_no_pin"


def test_cancel_key_on_the_pad(emu: Zt588PadEmulator, pad: Zt588PinPad) -> None:
    pad.start_entry(6, 6, 30)
    emu.press("1")
    emu.press("cancel")
    assert [e.kind for e in events_until_end(pad)] == [K.DIGIT, K.CANCEL]
    assert not emu.entering


def test_driver_cancel_switches_input_off(emu: Zt588PadEmulator, pad: Zt588PinPad) -> None:
    pad.start_entry(6, 6, 30)
    emu.press("1")
    pad.cancel()
    assert not emu.entering
    emu.press("2")  # input off: nothing reaches the driver
    assert pad.next_event(0.1) is None
    assert pad.status().state is DeviceState.ONLINE


def test_entry_timeout_ee(emu: Zt588PadEmulator, pad: Zt588PinPad) -> None:
    pad.start_entry(6, 6, 1)
    emu.press("1")
    start = time.monotonic()
    events = events_until_end(pad, idle_s=2.0)
    assert [(e.kind, e.digits_entered) for e in events] == [(K.DIGIT, 1), (K.TIMEOUT, 1)]
    assert 0.8 < time.monotonic() - start < 2.5
    assert not emu.entering


def test_forced_timeout_while_a_command_is_in_flight_is_queued(emu: Zt588PadEmulator, pad: Zt588PinPad) -> None:
    pad.start_entry(6, 6, 30)
    emu.expire_now()
    time.sleep(0.1)
    assert pad.user_info()  # the EE frame arrives unsolicited; it is kept for next_event
    assert [e.kind for e in events_until_end(pad)] == [K.TIMEOUT]


def test_next_event_without_keys_returns_none(pad: Zt588PinPad) -> None:
    pad.start_entry(4, 6, 30)
    start = time.monotonic()
    assert pad.next_event(0.1) is None
    assert time.monotonic() - start < 0.6


def test_master_key_required_e1(tmp_path: Path) -> None:
    with Zt588PadEmulator(str(tmp_path / "blank"), keys_loaded=False) as emu:
        pad = Zt588PinPad(emu.path, response_timeout_s=0.25)
        with pytest.raises(Zt588PadError) as info:
            pad.start_entry(6, 6, 30)
        assert info.value.code == "zt588_master_key_required" and info.value.error is PadError.E1
        status = pad.status()
        assert status.state is DeviceState.HARDWARE_ERROR and status.action is Action.MAINTENANCE
        # key ceremony: plain master key, then the working key encrypted under it
        assert pad.load_plain_key(0, TEST_MASTER_KEY) == key_check_value(TEST_MASTER_KEY)
        kcv = pad.load_encrypted_key(0, 1, encrypt_under(TEST_MASTER_KEY, TEST_PIN_KEY))
        assert kcv == key_check_value(TEST_PIN_KEY)
        pad.start_entry(4, 4, 30)
        emu.type_pin("0000")
        assert events_until_end(pad)[-1].kind is K.ENTER
        assert decrypt_pin_block(pad.get_pin_block(PAN).encrypted_hex or "", PAN) == "0000"
        pad.close()


@pytest.mark.parametrize("fault", [PadFault.BAD_CHECKSUM, PadFault.TRUNCATED, PadFault.GARBAGE_BEFORE])
def test_one_garbled_answer_is_retried(emu: Zt588PadEmulator, pad: Zt588PinPad, fault: PadFault) -> None:
    pad.start_entry(4, 4, 30)
    emu.type_pin("1234")
    assert events_until_end(pad)[-1].kind is K.ENTER
    emu.inject(fault, command=PadCommand.GET_PIN_BLOCK)
    block = pad.get_pin_block(PAN)
    assert decrypt_pin_block(block.encrypted_hex or "", PAN) == "1234"
    reads = 1 if fault is PadFault.GARBAGE_BEFORE else 2  # noise before a good answer needs no re-read
    assert emu.requests[-reads - 1 :] == ["7"] * reads + ["5"]  # then the pad's PIN buffer is wiped
    with pytest.raises(Zt588PadError):
        pad.get_pin_block(PAN)


@pytest.mark.parametrize("fault", [PadFault.BAD_CHECKSUM, PadFault.TRUNCATED])
def test_persistently_garbled_answers_raise(emu: Zt588PadEmulator, pad: Zt588PinPad, fault: PadFault) -> None:
    emu.inject(fault, times=10)
    with pytest.raises(Zt588ProtocolError) as info:
        pad.user_info()
    assert info.value.code == "zt588_bad_frame"
    assert emu.requests.count("3") == 2  # 1 + 1 retry, bounded
    emu.clear_faults()
    assert pad.user_info()


def test_mute_pad_times_out_and_recovers(emu: Zt588PadEmulator, pad: Zt588PinPad) -> None:
    emu.inject(PadFault.MUTE, times=1)
    with pytest.raises(DeviceTimeout):
        pad.start_entry(4, 6, 30)
    assert pad.status().state is DeviceState.OFFLINE
    pad.start_entry(4, 6, 30)
    assert pad.status().state is DeviceState.BUSY


@pytest.mark.parametrize("error", list(PadError), ids=lambda e: e.name)
def test_every_error_code(emu: Zt588PadEmulator, pad: Zt588PinPad, error: PadError) -> None:
    emu.inject(PadFault.ERROR, error=error, times=5)
    with pytest.raises(Zt588PadError) as info:
        pad.user_info()
    assert info.value.code == error.info.code and info.value.action is error.info.action
    assert pad.status().last_error == error.info.code
    expected_tries = 2 if error in (PadError.E6, PadError.E7) else 1  # "you sent garbage": resend
    assert emu.requests.count("3") == expected_tries


def test_stray_bytes_between_entries_are_ignored(emu: Zt588PadEmulator, pad: Zt588PinPad) -> None:
    pad.start_entry(4, 4, 30)
    emu.send_raw(b"\x7e\x02\x39")  # an unknown key and the start of a frame that never completes
    assert pad.next_event(0.7) is None  # the driver waits past the partial-frame limit meanwhile
    emu.type_pin("9999")
    assert [e.kind for e in events_until_end(pad)][-1] is K.ENTER


def test_unplug_mid_entry_and_replug(emu: Zt588PadEmulator, pad: Zt588PinPad) -> None:
    pad.start_entry(4, 4, 30)
    emu.press("1")
    assert pad.next_event(0.5) == PinEntryEvent(K.DIGIT, 1)
    threading.Timer(0.05, emu.unplug).start()
    with pytest.raises(DeviceUnavailable):
        pad.next_event(2.0)
    assert not os.path.exists(emu.path)
    status = pad.status()
    assert status.state is DeviceState.POWER_OFF and status.action is Action.MAINTENANCE
    pad.cancel()  # best effort, must not raise
    with pytest.raises(DeviceUnavailable):
        pad.start_entry(4, 4, 30)
    emu.replug()
    pad.start_entry(4, 4, 30)  # same driver object, no app restart
    emu.type_pin("4321")
    assert events_until_end(pad)[-1] == PinEntryEvent(K.ENTER, 4)
    assert decrypt_pin_block(pad.get_pin_block(PAN).encrypted_hex or "", PAN) == "4321"
    assert pad.status().counters["reconnects"] == 1


def test_key_test_mode_reports_keys_and_never_yields_a_pin(emu: Zt588PadEmulator, pad: Zt588PinPad) -> None:
    pad.start_key_test()
    assert emu.key_test
    for key in ["7", "enter", "backspace", "clear", "cancel"]:
        emu.press(key)
    got = [pad.next_test_key(0.5) for _ in range(5)]
    assert got == ["7", "enter", "backspace", "clear", "cancel"]
    assert pad.next_test_key(0.05) is None
    with pytest.raises(Zt588PadError):
        pad.get_pin_block(PAN)  # key test never produces a PIN block
    pad.stop_key_test()
    assert not emu.key_test
    with pytest.raises(DeviceError):
        pad.next_test_key(0.05)


def test_start_entry_leaves_key_test_mode(emu: Zt588PadEmulator, pad: Zt588PinPad) -> None:
    pad.start_key_test()
    pad.start_entry(4, 4, 30)
    assert emu.entering and not emu.key_test
    emu.press("5")
    assert pad.next_event(0.5) == PinEntryEvent(K.DIGIT, 1)


def test_bad_arguments(pad: Zt588PinPad) -> None:
    with pytest.raises(ValueError):
        pad.start_entry(3, 6, 30)
    with pytest.raises(ValueError):
        pad.start_entry(6, 4, 30)
    with pytest.raises(DeviceError) as info:
        pad.get_pin_block("12")
    assert info.value.code == "zt588_bad_pan"


def test_no_port(tmp_path: Path) -> None:
    pad = Zt588PinPad(str(tmp_path / "none"))
    assert pad.status().state is DeviceState.POWER_OFF
    with pytest.raises(DeviceUnavailable):
        pad.open()


def test_authenticate_proves_the_master_key(pad: Zt588PinPad) -> None:
    challenge = bytes.fromhex("0102030405060708")
    assert pad.authenticate(challenge) == encrypt_under(TEST_MASTER_KEY, challenge)
    with pytest.raises(ValueError):
        pad.authenticate(b"short")
