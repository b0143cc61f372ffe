"""HoneywellSerialScanner through pyserial → pty → HoneywellScannerEmulator."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hal.emulators.honeywell_scanner import REVISION, HoneywellScannerEmulator
from hal.scanner import honeywell_commands as hw
from hal.scanner.serial_scanner import HoneywellSerialScanner, ScannerRefused
from hal.scanner.types import Scan, Scanner, ScanOutcome
from hal.status import DeviceState, DeviceTimeout, DeviceUnavailable

TOKEN = "ESSC1:9f2c0a7e-demo-token-Zx_81"


@pytest.fixture
def emu(tmp_path: Path) -> Iterator[HoneywellScannerEmulator]:
    with HoneywellScannerEmulator(str(tmp_path / "scanner")) as emulator:
        yield emulator


@pytest.fixture
def scanner(emu: HoneywellScannerEmulator) -> Iterator[HoneywellSerialScanner]:
    driver = HoneywellSerialScanner(emu.path, response_timeout_s=0.3)
    yield driver
    driver.close()


def read_until(scanner: HoneywellSerialScanner, limit_s: float = 3.0) -> Scan | None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        got = scanner.read_code(0.2)
        if got is not None:
            return got
    return None


def test_open_programs_trigger_mode_and_suffix(emu: HoneywellScannerEmulator, scanner: HoneywellSerialScanner) -> None:
    as_interface: Scanner = scanner
    as_interface.open()
    assert emu.settings[hw.TRIGGER_MODE] == "0" and emu.settings[hw.NO_READ_MESSAGE] == "1"
    assert emu.suffix == b"\r"  # the factory CR LF replaced by the driver's suffix
    assert scanner.revision == REVISION
    assert scanner.status().state is DeviceState.ONLINE


def test_a_code_in_front_of_the_armed_scanner_is_read_once(emu: HoneywellScannerEmulator,
                                                           scanner: HoneywellSerialScanner) -> None:
    scanner.open()
    assert scanner.read_code(0.1) is None  # nothing held: the window is open and empty
    assert emu.armed and scanner.status().state is DeviceState.BUSY
    emu.present(TOKEN)
    got = read_until(scanner)
    assert got is not None and got.outcome is ScanOutcome.CODE and got.text == TOKEN
    assert TOKEN not in repr(got)
    assert not emu.armed and scanner.status().counters["scans"] == 1
    assert scanner.read_code(0.2) is None  # read once, not repeated


def test_a_code_held_before_arming_is_sent_when_armed(emu: HoneywellScannerEmulator,
                                                      scanner: HoneywellSerialScanner) -> None:
    scanner.open()
    emu.present(TOKEN)
    assert emu.sent_codes == 0  # not armed: the scanner does not read
    got = read_until(scanner)
    assert got is not None and got.text == TOKEN


def test_stop_disarms_and_a_later_code_is_not_read(emu: HoneywellScannerEmulator,
                                                    scanner: HoneywellSerialScanner) -> None:
    scanner.open()
    assert scanner.read_code(0.05) is None
    scanner.stop()
    time.sleep(0.1)
    assert not emu.armed
    emu.present(TOKEN)
    time.sleep(0.1)
    assert emu.sent_codes == 0
    assert scanner.status().state is DeviceState.ONLINE


@pytest.mark.parametrize("suffix", ["crlf", "tab"])
def test_configurable_suffix(tmp_path: Path, suffix: str) -> None:
    with HoneywellScannerEmulator(str(tmp_path / "s")) as emu:
        scanner = HoneywellSerialScanner(emu.path, suffix=suffix, response_timeout_s=0.3)
        try:
            scanner.open()
            assert emu.suffix == hw.SUFFIXES[suffix]
            emu.present("A B\r")  # a CR inside the data is data under another suffix... not printable
            got = read_until(scanner)
            assert got is not None and got.outcome is ScanOutcome.UNREADABLE
            emu.present(TOKEN)
            got = read_until(scanner)
            assert got is not None and got.text == TOKEN
        finally:
            scanner.close()


def test_non_utf8_payload_is_unreadable_not_an_error(emu: HoneywellScannerEmulator,
                                                     scanner: HoneywellSerialScanner) -> None:
    scanner.open()
    emu.present_bytes(b"\xff\xfe\x00garbage")
    got = read_until(scanner)
    assert got is not None and got.outcome is ScanOutcome.UNREADABLE and got.text == ""
    assert scanner.status().counters["unreadable"] == 1
    assert scanner.status().state is not DeviceState.HARDWARE_ERROR


def test_chinese_text_in_a_code_is_kept(emu: HoneywellScannerEmulator, scanner: HoneywellSerialScanner) -> None:
    scanner.open()
    emu.present("电子社保卡:ABC")
    got = read_until(scanner)
    assert got is not None and got.text == "电子社保卡:ABC"


def test_the_scanner_window_closing_with_no_read_is_rearmed(emu: HoneywellScannerEmulator,
                                                             scanner: HoneywellSerialScanner) -> None:
    scanner.open()
    emu.settings[hw.TRIGGER_TIMEOUT] = "150"  # the scanner closes its window quickly …
    emu.present_damaged()  # … around a code it cannot decode
    assert scanner.read_code(0.5) is None  # NR came and was swallowed
    triggers = emu.triggers
    assert scanner.read_code(0.2) is None
    assert emu.triggers > triggers  # the driver opened a new window after NR
    emu.present(TOKEN)
    got = read_until(scanner)
    assert got is not None and got.text == TOKEN


def test_unplug_is_power_off_and_replug_reconnects(emu: HoneywellScannerEmulator,
                                                   scanner: HoneywellSerialScanner) -> None:
    scanner.open()
    emu.unplug()
    with pytest.raises(DeviceUnavailable):
        for _ in range(20):
            scanner.read_code(0.05)
    assert scanner.status().state is DeviceState.POWER_OFF
    emu.replug()
    scanner.open()
    assert emu.suffix == b"\r"  # programmed again after the reconnect
    emu.present(TOKEN)
    got = read_until(scanner)
    assert got is not None and got.text == TOKEN
    assert scanner.status().counters["reconnects"] == 1
    assert scanner.status().state in (DeviceState.ONLINE, DeviceState.BUSY)


def test_a_mute_scanner_times_out_offline(emu: HoneywellScannerEmulator, scanner: HoneywellSerialScanner) -> None:
    emu.mute()
    with pytest.raises(DeviceTimeout):
        scanner.open()
    assert scanner.status().state is DeviceState.OFFLINE
    emu.mute(False)
    scanner.open()
    assert scanner.status().state is DeviceState.ONLINE


def test_a_refused_setting_is_a_hardware_error(emu: HoneywellScannerEmulator, scanner: HoneywellSerialScanner) -> None:
    scanner.open()
    with pytest.raises(ScannerRefused):
        scanner.query("XYZABC")  # the scanner answers ENQ: unknown tag
    assert scanner.status().state is DeviceState.HARDWARE_ERROR


def test_missing_port_is_power_off(tmp_path: Path) -> None:
    scanner = HoneywellSerialScanner(str(tmp_path / "nothing"))
    with pytest.raises(DeviceUnavailable):
        scanner.open()
    assert scanner.status().state is DeviceState.POWER_OFF


def test_menu_reply_parsing() -> None:
    reply = hw.find_menu_reply(b"noise" + b"TRGSTO30000\x06!" + b"tail")
    assert reply is not None
    assert reply[0] == hw.MenuReply("TRGSTO", "30000", hw.Status.ACK) and reply[1] == 5
    assert hw.encode_menu("SUFBK2", hw.suffix_data(b"\r\n")) == b"\x16M\rSUFBK2990D0A!"
    with pytest.raises(ValueError):
        hw.encode_menu("bad")
