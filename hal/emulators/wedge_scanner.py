"""Test emulator: a HID keyboard-wedge scanner on /dev/uinput that types codes with the US layout
of hal.scanner.hid_keymap, followed by Enter. Needs a usable /dev/uinput (``uinput_usable``)."""

from __future__ import annotations

import os
import time

from evdev import UInput, ecodes

from hal.scanner.hid_keymap import KEYMAP, SHIFTS, TERMINATORS, key_strokes

UINPUT = "/dev/uinput"


def uinput_usable() -> bool:
    try:
        fd = os.open(UINPUT, os.O_WRONLY | os.O_NONBLOCK)
    except OSError:
        return False
    os.close(fd)
    return True


class WedgeScannerEmulator:
    def __init__(self, name: str = "Emulated 2D Barcode Scanner") -> None:
        keys = sorted(set(KEYMAP) | SHIFTS | TERMINATORS)
        self._ui = UInput({ecodes.EV_KEY: keys}, name=name, vendor=0x0C2E, product=0x0B61)
        time.sleep(0.2)  # udev creates the event node

    @property
    def path(self) -> str:
        return str(self._ui.device.path)

    def type_code(self, text: str) -> None:
        for code, value in key_strokes(text):
            self._ui.write(ecodes.EV_KEY, code, value)
            self._ui.syn()

    def close(self) -> None:
        self._ui.close()
