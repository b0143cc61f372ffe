"""The PIN pad self-test uses the ZT588's own key-test mode (pyserial → pty → emulator), never PIN entry."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from hal.emulators.zt588_pad import Zt588PadEmulator
from hal.pinpad.zt588_serial import Zt588PinPad
from kiosk.devices import DeviceSet
from kiosk.maintenance.selftests import SelfTests


def _press_when_in_key_test(emu: Zt588PadEmulator, keys: list[str]) -> threading.Thread:
    def run() -> None:
        deadline = time.monotonic() + 5
        while not emu.key_test and time.monotonic() < deadline:
            time.sleep(0.01)
        for k in keys:
            emu.press(k)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def test_key_test_passes_in_the_pads_test_mode_and_fails_when_no_key_comes(tmp_path: Path) -> None:
    with Zt588PadEmulator(str(tmp_path / "pinpad")) as emu:
        pad = Zt588PinPad(emu.path, response_timeout_s=0.25)
        try:
            tests = SelfTests(DeviceSet(pin_pad=pad), tmp_path / "selftests.json", timeout_s=1.0)
            presser = _press_when_in_key_test(emu, ["1", "5", "9", "clear", "enter"])
            result = tests.run("pin_pad")
            presser.join(5)
            assert result.passed and result.detail == "5 keys reported", result
            assert not emu.key_test and not emu.entering  # left the test mode; never a PIN entry
            failed = tests.run("pin_pad")
            assert not failed.passed and "timed out" in failed.detail
        finally:
            pad.close()
