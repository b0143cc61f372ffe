"""OnScreenPinPad: the weaker mode, fed by the UI thread, read by the worker thread."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from hal.interfaces import PinPad
from hal.pinpad.onscreen import WEAK_MODE_NOTE, OnScreenPinPad
from hal.status import DeviceError, DeviceState
from hal.types import PinEntryEvent, PinEntryEventKind

K = PinEntryEventKind


def drain(pad: OnScreenPinPad) -> list[PinEntryEvent]:
    out: list[PinEntryEvent] = []
    while (event := pad.next_event(0.05)) is not None:
        out.append(event)
    return out


def test_it_says_it_is_the_weaker_mode() -> None:
    pad = OnScreenPinPad()
    as_interface: PinPad = pad
    assert as_interface.secure is False
    assert pad.status().last_error == WEAK_MODE_NOTE and "weaker" in (OnScreenPinPad.__doc__ or "").lower()
    pad.open()
    assert pad.status().state is DeviceState.ONLINE


def test_same_events_as_the_pad_and_a_clear_pin_block(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    pad = OnScreenPinPad()
    pad.start_entry(6, 6, 30)
    assert pad.status().state is DeviceState.BUSY
    for key in "1357924":  # the 7th digit is beyond the maximum
        pad.press(key)
    pad.press("backspace")
    pad.press("8")
    pad.press("enter")
    events = drain(pad)
    assert [(e.kind, e.digits_entered) for e in events][-3:] == [(K.BACKSPACE, 5), (K.DIGIT, 6), (K.ENTER, 6)]
    assert len(events) == 9
    block = pad.get_pin_block("6214830100000000123")
    assert block.clear_pin == "135798" and block.encrypted_hex is None and block.format == "clear"
    assert "135798" not in repr(block) and "135798" not in caplog.text
    with pytest.raises(DeviceError):
        pad.get_pin_block("6214830100000000123")  # handed over once, then wiped


def test_enter_below_minimum_and_clear() -> None:
    pad = OnScreenPinPad()
    pad.start_entry(4, 6, 30)
    for key in ["1", "2", "enter", "clear", "3"]:
        pad.press(key)
    assert [(e.kind, e.digits_entered) for e in drain(pad)] == [
        (K.DIGIT, 1), (K.DIGIT, 2), (K.CLEAR, 0), (K.DIGIT, 1),
    ]  # fmt: skip


def test_cancel_key_and_cancel_call_wipe() -> None:
    pad = OnScreenPinPad()
    pad.start_entry(4, 4, 30)
    pad.press("1")
    pad.press("cancel")
    assert [e.kind for e in drain(pad)] == [K.DIGIT, K.CANCEL]
    pad.press("2")  # not active any more: ignored
    assert drain(pad) == []
    pad.start_entry(4, 4, 30)
    for key in "1234":
        pad.press(key)
    pad.press("enter")
    pad.cancel()
    with pytest.raises(DeviceError):
        pad.get_pin_block("6214830100000000123")


def test_inactivity_timeout() -> None:
    pad = OnScreenPinPad()
    pad.start_entry(4, 4, 0.2)
    pad.press("1")
    start = time.monotonic()
    events = [pad.next_event(1.0), pad.next_event(1.0)]
    assert [e.kind if e else None for e in events] == [K.DIGIT, K.TIMEOUT]
    assert time.monotonic() - start < 0.9  # 0.2 s idle limit, generous for a loaded machine
    pad.press("2")
    assert pad.next_event(0.05) is None


def test_keys_from_another_thread_wake_the_worker() -> None:
    pad = OnScreenPinPad()
    pad.start_entry(4, 4, 30)
    threading.Timer(0.05, pad.press, args=("5",)).start()
    assert pad.next_event(1.0) == PinEntryEvent(K.DIGIT, 1)


def test_bad_key_and_bad_lengths() -> None:
    pad = OnScreenPinPad()
    with pytest.raises(ValueError):
        pad.press("x")
    with pytest.raises(ValueError):
        pad.start_entry(2, 6, 30)
