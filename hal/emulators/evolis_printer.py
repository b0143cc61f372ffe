"""A behavioural model of an Evolis card printer behind the emulated pyusb backend.

It parses the escape-command stream the driver writes to bulk OUT, moves a card through
hopper → contact station → print position → bezel or reject box, and answers on bulk IN
exactly as ``hal.issuer.evolis_commands`` describes. Tests steer it: jam at any step,
empty hopper, ribbon out, reject box full, cover open, mute, unplug/replug, and the
citizen taking the card from the bezel. Print jobs are decoded back to images.

    backend = EmulatedUsbBackend()
    printer = backend.attach(EvolisPrinterEmulator(hopper=50))
    issuer = EvolisUsbIssuer(tmp_path / "counters.json", backend=backend)
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from enum import StrEnum

from PIL import Image

from hal.emulators.usb_backend import InterfaceSpec, UsbDeviceModel
from hal.issuer import evolis_commands as ev

JAM_STEPS = ("feed", "contact", "print", "bezel", "reject")


class Slot(StrEnum):
    NONE = "none"  # no card inside the printer
    CONTACT = "contact"
    CONTACTLESS = "contactless"
    PRINT = "print"
    JAMMED = "jammed"


@dataclass(frozen=True)
class PrintJob:
    image: Image.Image  # the K panel decoded back to a 1016×648 "L" image (0 = ink)
    ribbon: str
    contrast: str


class EvolisPrinterEmulator(UsbDeviceModel):
    vendor_id = 0x0F49
    product_id = 0x1011
    manufacturer = "Evolis"
    product = "Primacy (emulated)"
    serial = "EMU0001"
    interfaces = (InterfaceSpec(),)

    def __init__(self, *, hopper: int = 100, near_empty_at: int = 10, ribbon: int = 500,
                 ribbon_capacity: int = 500, reject_capacity: int = 20, retain_capacity: int = 20,
                 firmware: str = "1.0.0-emu") -> None:
        super().__init__()
        self._lock = threading.RLock()
        self._parser = ev.EscapeCommandParser()
        self.hopper = hopper
        self.near_empty_at = near_empty_at
        self.ribbon = ribbon
        self.ribbon_capacity = ribbon_capacity
        self.reject_count = 0
        self.reject_capacity = reject_capacity
        self.retain_count = 0  # cards retracted from the bezel into the retain bin
        self.retain_capacity = retain_capacity
        self.firmware = firmware
        self.slot = Slot.NONE
        self.bezel_card = False
        self.cover_open = False
        self.cards_taken = 0
        self.commands: list[str] = []  # text of every command received (Db without its data)
        self.print_jobs: list[PrintJob] = []
        self._jams: set[str] = set()
        self._unplug_on: str | None = None
        self._in_job = False
        self._panel: bytes | None = None
        self._ribbon_setting = ""
        self._contrast_setting = ""

    # -- fault injection and the outside world -------------------------------------------
    def jam_next(self, step: str) -> None:
        """The next time the card goes through ``step`` (one of JAM_STEPS), it jams."""
        if step not in JAM_STEPS:
            raise ValueError(f"unknown step {step!r}; one of {JAM_STEPS}")
        with self._lock:
            self._jams.add(step)

    def clear_jam(self) -> None:
        """Staff opened the printer and removed the jammed card."""
        with self._lock:
            if self.slot == Slot.JAMMED:
                self.slot = Slot.NONE
            self._jams.clear()

    def set_hopper(self, cards: int) -> None:
        with self._lock:
            self.hopper = cards

    def set_ribbon(self, remaining: int) -> None:
        with self._lock:
            self.ribbon = remaining

    def fill_reject_box(self) -> None:
        with self._lock:
            self.reject_count = self.reject_capacity

    def empty_reject_box(self) -> None:
        with self._lock:
            self.reject_count = 0

    def empty_retain_bin(self) -> None:
        with self._lock:
            self.retain_count = 0

    def set_cover_open(self, is_open: bool) -> None:
        with self._lock:
            self.cover_open = is_open

    def mute(self, muted: bool = True) -> None:
        """Swallow commands and never answer (the host's reads time out)."""
        self.muted = muted

    def take_card(self) -> bool:
        """The citizen takes the card from the bezel; False if none was there."""
        with self._lock:
            if not self.bezel_card:
                return False
            self.bezel_card = False
            self.cards_taken += 1
            return True

    def steer(self, action: str, **params: object) -> str:
        """``hal.steering.Steerable``: the same faults by name, for a CLI or maintenance screen."""
        value = params.get("value")
        actions = {
            "jam": lambda: self.jam_next(str(params.get("step", "feed"))),
            "clear_jam": self.clear_jam,
            "hopper": lambda: self.set_hopper(int(str(value if value is not None else 0))),
            "ribbon": lambda: self.set_ribbon(int(str(value if value is not None else 0))),
            "reject_full": self.fill_reject_box,
            "reject_empty": self.empty_reject_box,
            "retain_empty": self.empty_retain_bin,
            "cover_open": lambda: self.set_cover_open(True),
            "cover_close": lambda: self.set_cover_open(False),
            "mute": lambda: self.mute(True),
            "unmute": lambda: self.mute(False),
            "unplug": self.unplug,
            "replug": self.replug,
            "take": self.take_card,
        }
        if action not in actions:
            return f"unknown action {action!r}; one of {', '.join(sorted(actions))}"
        actions[action]()
        return f"{action}: ok (hopper {self.hopper}, ribbon {self.ribbon}, reject box {self.reject_count})"

    # -- the wire ------------------------------------------------------------------------
    def unplug_on(self, command_text: str) -> None:
        """Vanish from the bus when ``command_text`` (e.g. "Db;k;2", "Seb") arrives, before answering."""
        with self._lock:
            self._unplug_on = command_text

    def on_bulk_out(self, ep: int, data: bytes) -> None:
        with self._lock:
            for cmd in self._parser.feed(data):
                self.commands.append(cmd.text)
                if self._unplug_on is not None and cmd.text == self._unplug_on:
                    self._unplug_on = None
                    self._parser = ev.EscapeCommandParser()
                    self.unplug()
                    return
                self.send_in(ev.reply(self._handle(cmd)))

    def _err(self, code: str) -> str:
        return ev.fault_reply(code)

    def _jam(self, step: str) -> bool:
        if step in self._jams:
            self._jams.discard(step)
            self.slot = Slot.JAMMED
            return True
        return False

    def _blocked(self) -> str | None:
        if self.slot == Slot.JAMMED:
            return self._err("card_jam")
        if self.cover_open:
            return self._err("cover_open")
        return None

    def _handle(self, cmd: ev.EscapeCommand) -> str:
        text = cmd.text
        simple = {
            ev.FIRMWARE: lambda: self.firmware,
            ev.HEALTH: lambda: self._blocked() or ev.OK,
            ev.FEEDER_EMPTY: lambda: _flag(self.hopper <= 0),
            ev.FEEDER_NEAR_EMPTY: lambda: _flag(self.hopper <= self.near_empty_at),
            ev.BEZEL_CARD: lambda: _flag(self.bezel_card),
            ev.REJECT_BOX_FULL: lambda: _flag(self.reject_count >= self.reject_capacity),
            ev.RIBBON_COUNT: lambda: str(self.ribbon),
            ev.RIBBON_CAPACITY: lambda: str(self.ribbon_capacity),
            ev.RESET: self._reset,
            ev.TO_CONTACT_STATION: lambda: self._move(Slot.CONTACT),
            ev.TO_CONTACTLESS_STATION: lambda: self._move(Slot.CONTACTLESS),
            ev.TO_PRINT_POSITION: lambda: self._move(Slot.PRINT),
            ev.INSERT_AND_PARK_CONTACT: lambda: self._move(Slot.CONTACT),
            ev.EJECT_TO_BEZEL: self._eject_bezel,
            ev.EJECT_TO_REJECT: self._eject_reject,
            ev.RETRACT_TO_BIN: self._retract,
            ev.JOB_START: self._job_start,
            ev.JOB_END: self._job_end,
        }
        if text in simple:
            return simple[text]()
        if cmd.name in ("Pem", "Pcim", "Pcrm", "Pcem", "Pneab"):
            return ev.OK
        if cmd.name in ("Pr", "Pc", "Sr") or cmd.name == ev.BITMAP_PREFIX:
            return self._job_step(cmd)
        return self._err("protocol_error")

    def _reset(self) -> str:
        self._in_job = False
        return self._blocked() or ev.OK

    def _move(self, target: Slot) -> str:
        blocked = self._blocked()
        if blocked:
            return blocked
        if self.slot == Slot.NONE:  # take a blank from the hopper first
            if self.hopper <= 0:
                return self._err("feeder_empty")
            self.hopper -= 1
            if self._jam("feed"):
                return self._err("card_jam")
        if target == Slot.CONTACT and self._jam("contact"):
            return self._err("card_jam")
        self.slot = target
        return ev.OK

    def _eject_bezel(self) -> str:
        blocked = self._blocked()
        if blocked:
            return blocked
        if self.slot == Slot.NONE:
            return self._err("no_card_inside")
        if self.bezel_card:
            return self._err("bezel_occupied")
        if self._jam("bezel"):
            return self._err("card_jam")
        self.slot = Slot.NONE
        self.bezel_card = True
        return ev.OK

    def _eject_reject(self) -> str:
        blocked = self._blocked()
        if blocked:
            return blocked
        if self.slot == Slot.NONE:
            return self._err("no_card_inside")
        if self.reject_count >= self.reject_capacity:
            return self._err("reject_box_full")
        if self._jam("reject"):
            return self._err("card_jam")
        self.slot = Slot.NONE
        self.reject_count += 1
        return ev.OK

    def _retract(self) -> str:
        blocked = self._blocked()
        if blocked:
            return blocked
        if not self.bezel_card:
            return self._err("no_card_inside")
        if self.retain_count >= self.retain_capacity:
            return self._err("retain_bin_full")
        self.bezel_card = False
        self.retain_count += 1
        return ev.OK

    def _job_start(self) -> str:
        self._in_job = True
        self._panel = None
        return ev.OK

    def _job_step(self, cmd: ev.EscapeCommand) -> str:
        if cmd.name == "Pr":
            self._ribbon_setting = ";".join(cmd.args)
            return ev.OK
        if cmd.name == "Pc":
            self._contrast_setting = ";".join(cmd.args)
            return ev.OK
        if not self._in_job:
            return self._err("protocol_error")
        if cmd.name == ev.BITMAP_PREFIX:
            if cmd.args[:2] != ("k", "2") or len(cmd.payload) != ev.K_PANEL_BYTES:
                return self._err("protocol_error")
            self._panel = cmd.payload
        return ev.OK

    def _job_end(self) -> str:
        in_job, self._in_job = self._in_job, False
        blocked = self._blocked()
        if blocked:
            return blocked
        if not in_job or self._panel is None:
            return self._err("protocol_error")
        if self.slot == Slot.NONE:
            return self._err("no_card_inside")
        if self.ribbon <= 0:
            return self._err("ribbon_out")
        if self._jam("print"):
            return self._err("card_jam")
        self.ribbon -= 1
        self.slot = Slot.PRINT
        self.print_jobs.append(PrintJob(ev.k_panel_to_image(self._panel), self._ribbon_setting,
                                        self._contrast_setting))
        return ev.OK


def _flag(value: bool) -> str:
    return "1" if value else "0"
