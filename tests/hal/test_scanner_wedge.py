"""Keyboard-wedge scanner: keycode → text decoding from real evdev InputEvent streams, and the
evdev driver with its exclusive grab through /dev/uinput where this machine has it.

This machine (a container) has no usable /dev/uinput (no uinput module: ENODEV), so the uinput
tests are skipped here and run where it exists; the decoding is tested with InputEvent objects."""

from __future__ import annotations

import select
import time
from collections.abc import Iterator
from pathlib import Path

import evdev
import pytest
from evdev import InputEvent, ecodes

from hal.emulators.wedge_scanner import WedgeScannerEmulator, uinput_usable
from hal.scanner.evdev_wedge import EvdevWedgeScanner
from hal.scanner.hid_keymap import WedgeDecoder, key_strokes
from hal.scanner.types import Scan, Scanner, ScanOutcome
from hal.status import DeviceState, DeviceUnavailable

K = ecodes
T0 = 1_700_000_000.0


def events(strokes: list[tuple[int, int]], start: float = T0, step: float = 0.002) -> list[InputEvent]:
    out = []
    t = start
    for code, value in strokes:
        sec, usec = int(t), round((t - int(t)) * 1e6)
        out.append(InputEvent(sec, usec, ecodes.EV_KEY, code, value))
        out.append(InputEvent(sec, usec, ecodes.EV_SYN, ecodes.SYN_REPORT, 0))
        t += step
    return out


def decode(evts: list[InputEvent], decoder: WedgeDecoder | None = None) -> list[Scan]:
    d = decoder or WedgeDecoder()
    return [s for s in (d.feed(e) for e in evts) if s is not None]


def test_a_hand_typed_stream_with_shift_decodes() -> None:
    down, up = 1, 0
    strokes = [(K.KEY_LEFTSHIFT, down), (K.KEY_E, down), (K.KEY_E, up), (K.KEY_LEFTSHIFT, up),
               (K.KEY_S, down), (K.KEY_S, up), (K.KEY_1, down), (K.KEY_1, up),
               (K.KEY_RIGHTSHIFT, down), (K.KEY_SEMICOLON, down), (K.KEY_SEMICOLON, up),
               (K.KEY_SLASH, down), (K.KEY_SLASH, up), (K.KEY_RIGHTSHIFT, up),
               (K.KEY_MINUS, down), (K.KEY_MINUS, up), (K.KEY_DOT, down), (K.KEY_DOT, up),
               (K.KEY_ENTER, down), (K.KEY_ENTER, up)]
    assert [(s.outcome, s.text) for s in decode(events(strokes))] == [(ScanOutcome.CODE, "Es1:?-.")]


def test_every_printable_ascii_character_round_trips() -> None:
    text = "".join(chr(c) for c in range(0x20, 0x7F))
    assert [s.text for s in decode(events(key_strokes(text)))] == [text]


def test_two_codes_in_a_row() -> None:
    evts = events(key_strokes("ESSC1.aa") + key_strokes("ESSC1.bb"))
    assert [s.text for s in decode(evts)] == ["ESSC1.aa", "ESSC1.bb"]


def test_autorepeat_and_other_event_types_are_ignored() -> None:
    evts = events([(K.KEY_A, 1), (K.KEY_A, 2), (K.KEY_A, 2), (K.KEY_A, 0), (K.KEY_ENTER, 1)])
    evts.insert(1, InputEvent(int(T0), 0, ecodes.EV_MSC, ecodes.MSC_SCAN, 0x70004))
    assert [s.text for s in decode(evts)] == ["a"]


def test_an_unmapped_key_makes_the_line_unreadable() -> None:
    evts = events([(K.KEY_A, 1), (K.KEY_A, 0), (K.KEY_F5, 1), (K.KEY_F5, 0), (K.KEY_ENTER, 1)])
    assert [s.outcome for s in decode(evts)] == [ScanOutcome.UNREADABLE]


def test_a_slow_stray_key_before_a_scan_is_not_part_of_it() -> None:
    stray = events([(K.KEY_X, 1), (K.KEY_X, 0)], start=T0)
    scan = events(key_strokes("ESSC1.ok"), start=T0 + 3.0)
    assert [s.text for s in decode(stray + scan)] == ["ESSC1.ok"]


def test_enter_alone_yields_nothing() -> None:
    assert decode(events([(K.KEY_ENTER, 1), (K.KEY_ENTER, 0)])) == []


def test_a_character_no_wedge_can_type_is_refused_by_the_emulator_side() -> None:
    with pytest.raises(ValueError):
        key_strokes("电子")


def test_missing_device_is_power_off(tmp_path: Path) -> None:
    scanner = EvdevWedgeScanner(str(tmp_path / "event-kbd"))
    assert scanner.status().state is DeviceState.POWER_OFF
    with pytest.raises(DeviceUnavailable):
        scanner.read_code(0.1)


def test_a_node_that_is_not_an_input_device_is_refused() -> None:
    scanner = EvdevWedgeScanner("/dev/null")  # opens, but answers no evdev ioctl
    with pytest.raises(DeviceUnavailable):
        scanner.open()


needs_uinput = pytest.mark.skipif(not uinput_usable(), reason="no usable /dev/uinput on this machine")


@pytest.fixture
def wedge() -> Iterator[WedgeScannerEmulator]:
    emu = WedgeScannerEmulator()
    yield emu
    emu.close()


@needs_uinput
def test_uinput_scan_is_read_and_grabbed_away_from_other_readers(wedge: WedgeScannerEmulator) -> None:
    scanner = EvdevWedgeScanner(wedge.path)
    as_interface: Scanner = scanner
    other = evdev.InputDevice(wedge.path)  # what the UI (SDL/Kivy) would read
    try:
        as_interface.open()
        assert scanner.read_code(0.05) is None
        wedge.type_code("ESSC1.Grabbed-42")
        got = scanner.read_code(2.0)
        assert got is not None and got.text == "ESSC1.Grabbed-42"
        ready, _, _ = select.select([other.fd], [], [], 0.3)
        assert not ready  # EVIOCGRAB: no other reader saw a key
    finally:
        scanner.close()
        other.close()


@needs_uinput
def test_uinput_codes_typed_while_not_armed_are_dropped(wedge: WedgeScannerEmulator) -> None:
    scanner = EvdevWedgeScanner(wedge.path)
    try:
        scanner.open()
        wedge.type_code("ESSC1.previous-citizen")
        time.sleep(0.2)
        assert scanner.read_code(0.2) is None
        assert scanner.status().counters["dropped"] == 1
    finally:
        scanner.close()
