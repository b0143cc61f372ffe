"""SimScanner: the demo's scanner, steerable, with the faults the flows must handle."""

from __future__ import annotations

import threading

import pytest

from hal.scanner.types import Scanner, ScanOutcome
from hal.sim.scanner import SimScanner
from hal.status import DeviceError, DeviceState


def test_a_code_shown_while_waiting_is_read() -> None:
    sim = SimScanner()
    assert isinstance(sim, Scanner)
    threading.Timer(0.1, lambda: sim.steer("scan", text="ESSC1.abc")).start()
    got = sim.read_code(2.0)
    assert got is not None and (got.outcome, got.text) == (ScanOutcome.CODE, "ESSC1.abc")
    assert sim.status().state is DeviceState.BUSY
    sim.stop()
    assert sim.status().state is DeviceState.ONLINE and sim.status().counters == {"scans": 1}


def test_unreadable_code_fault() -> None:
    sim = SimScanner()
    sim.steer("unreadable")
    got = sim.read_code(0.1)
    assert got is not None and got.outcome is ScanOutcome.UNREADABLE
    assert sim.status().counters == {"unreadable": 1}


def test_no_scanner_fault_raises_and_reports_power_off() -> None:
    sim = SimScanner()
    sim.steer("unplug")
    assert sim.status().state is DeviceState.POWER_OFF
    with pytest.raises(DeviceError):
        sim.read_code(0.1)
    sim.steer("plug")
    assert sim.read_code(0.05) is None


def test_injected_hardware_fault_then_retry() -> None:
    sim = SimScanner()
    sim.steer("fail", op="read", code="scanner_jam")
    with pytest.raises(DeviceError, match="scanner_jam"):
        sim.read_code(0.1)
    assert sim.status().state is DeviceState.HARDWARE_ERROR
    assert sim.read_code(0.05) is None


def test_a_code_shown_to_nobody_is_dropped_at_stop() -> None:
    sim = SimScanner()
    sim.show("ESSC1.left-over")
    sim.stop()
    assert sim.read_code(0.05) is None


def test_text_with_control_characters_is_unreadable() -> None:
    sim = SimScanner()
    sim.show("abc\x07")
    got = sim.read_code(0.1)
    assert got is not None and got.outcome is ScanOutcome.UNREADABLE
