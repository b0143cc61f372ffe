"""The scanner in the kiosk's configuration and device set: which driver each setting builds,
the production default (the camera read by zxing-cpp), and the scanner's status in the set."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from hal.emulators.honeywell_scanner import HoneywellScannerEmulator
from hal.scanner.camera_scanner import CameraQrScanner
from hal.scanner.evdev_wedge import EvdevWedgeScanner
from hal.scanner.serial_scanner import HoneywellSerialScanner
from hal.sim.scanner import SimScanner
from hal.status import DeviceState
from kiosk.config import ConfigError, DeviceSection, load_config, simulated
from kiosk.devices import build_devices
from kiosk.domain.services import Device


def config(tmp_path: Path, scanner: str, camera: str = "sim") -> Path:
    p = tmp_path / "k.toml"
    p.write_text(f'[kiosk]\nid = "FZ-TEST-0001"\ndata_dir = "{tmp_path / "data"}"\n'
                 f'[devices.camera]\ndriver = "{camera}"\n[devices.scanner]\n{scanner}\n', encoding="utf-8")
    return p


def test_without_a_scanner_table_the_camera_reads_the_codes() -> None:
    assert load_config(None).devices.scanner.driver == "camera"


def test_the_camera_driver_wraps_the_configured_camera(tmp_path: Path) -> None:
    devices = build_devices(load_config(config(tmp_path, 'driver = "camera"')))
    assert isinstance(devices.scanner, CameraQrScanner) and devices.scanner.camera is devices.camera


def test_no_camera_means_no_camera_scanner(tmp_path: Path) -> None:
    devices = build_devices(load_config(config(tmp_path, 'driver = "camera"', camera="none")))
    assert devices.scanner is None
    assert devices.statuses()["scanner"].state is DeviceState.NO_DEVICE


def test_serial_and_evdev_drivers_are_built_from_their_settings(tmp_path: Path) -> None:
    serial = build_devices(load_config(config(tmp_path, 'driver = "honeywell-serial"\nport = "/dev/ttyACM0"\n'
                                                        'suffix = "crlf"')))
    assert isinstance(serial.scanner, HoneywellSerialScanner)
    wedge = build_devices(load_config(config(tmp_path, 'driver = "evdev"\nport = "/dev/input/by-id/x-event-kbd"')))
    assert isinstance(wedge.scanner, EvdevWedgeScanner) and wedge.scanner.path.endswith("x-event-kbd")


def test_simulated_kiosks_get_the_simulator(tmp_path: Path) -> None:
    assert isinstance(build_devices(simulated(load_config(None))).scanner, SimScanner)


@pytest.mark.parametrize(("text", "key"), [('driver = "laser9000"', "devices.scanner.driver"),
                                           ('driver = "honeywell-serial"\nsuffix = "nul"', "devices.scanner.suffix")])
def test_bad_scanner_settings_name_the_key(tmp_path: Path, text: str, key: str) -> None:
    with pytest.raises(ConfigError) as exc:
        load_config(config(tmp_path, text))
    assert key in str(exc.value)


def test_a_serial_scanner_on_a_pty_is_usable_in_the_set(tmp_path: Path) -> None:
    with HoneywellScannerEmulator(str(tmp_path / "scanner")) as emu:
        cfg = simulated(load_config(None))  # every other device simulated: no pcscd, no USB
        section = DeviceSection(driver="honeywell-serial", port=emu.path)
        cfg = dataclasses.replace(cfg, kiosk=dataclasses.replace(cfg.kiosk, data_dir=str(tmp_path / "data")),
                                  devices=dataclasses.replace(cfg.devices, scanner=section))
        devices = build_devices(cfg)
        devices.open_all()
        try:
            assert Device.SCANNER in devices.usable()
            emu.unplug()
            assert devices.scanner is not None
            devices.scanner.close()
            assert Device.SCANNER not in devices.usable()
            assert devices.statuses()["scanner"].state is DeviceState.POWER_OFF
        finally:
            devices.close_all()
