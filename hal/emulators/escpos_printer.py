"""An ESC/POS receipt printer model, on the emulated pyusb backend or on a pty (serial).

The model parses the byte stream (``hal.receipt.escpos_commands.EscPosParser``), rebuilds
each receipt (raster images stacked as paper, QR payloads, cuts) and answers ``DLE EOT``
and ``GS r`` status queries. Faults: paper near end, paper out, cover open, mute, and
unplug/replug (USB: leaves enumeration; serial: the pty is closed and the stable symlink
removed, then a fresh pty appears behind the same symlink).

    usb:    backend.attach(EscPosUsbPrinter())  → EscPosReceiptPrinter.usb(0x0416, backend=backend)
    serial: pty = EscPosPtyPrinter(tmp_path / "ttyRECEIPT") → EscPosReceiptPrinter.serial(str(pty.path))
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
import tty
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import qrcode
import qrcode.constants
from PIL import Image

from hal.emulators.usb_backend import UsbDeviceModel
from hal.receipt import escpos_commands as pos

_QR_ECC = {
    "L": qrcode.constants.ERROR_CORRECT_L,
    "M": qrcode.constants.ERROR_CORRECT_M,
    "Q": qrcode.constants.ERROR_CORRECT_Q,
    "H": qrcode.constants.ERROR_CORRECT_H,
}


@dataclass
class PrintedReceipt:
    rasters: list[Image.Image] = field(default_factory=list)
    qr_payloads: list[str] = field(default_factory=list)
    qr_printed: int = 0
    text: bytearray = field(default_factory=bytearray)
    cut: bool = False

    def image(self) -> Image.Image:
        """The paper: every raster block stacked top to bottom ("L", 0 = black)."""
        if not self.rasters:
            return Image.new("L", (1, 1), 255)
        width = max(r.width for r in self.rasters)
        paper = Image.new("L", (width, sum(r.height for r in self.rasters)), 255)
        y = 0
        for r in self.rasters:
            paper.paste(r, (0, y))
            y += r.height
        return paper

    def ink_ratio(self) -> float:
        return float((np.asarray(self.image()) < 128).mean())


class EscPosModel:
    """Transport-independent printer state; ``handle`` returns the bytes to send back."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._parser = pos.EscPosParser()
        self.paper = pos.Paper.OK
        self.cover_open = False
        self.receipts: list[PrintedReceipt] = []
        self.current = PrintedReceipt()
        self.dropped_bytes = 0  # data that arrived while the printer could not print
        self.paper_width_dots = 576
        self._qr_size = 3
        self._qr_ecc = "M"
        self._center = False
        self._blocks_left: int | None = None

    def set_paper(self, paper: pos.Paper | str) -> None:
        with self._lock:
            self.paper = pos.Paper(paper)

    def set_cover_open(self, is_open: bool) -> None:
        with self._lock:
            self.cover_open = is_open

    # the transport (USB or pty) provides these
    def mute(self, muted: bool = True) -> None:
        raise NotImplementedError

    def unplug(self) -> None:
        raise NotImplementedError

    def replug(self) -> None:
        raise NotImplementedError

    def run_out_after(self, raster_blocks: int) -> None:
        """The roll ends after this many more raster blocks (paper out mid-receipt)."""
        with self._lock:
            self._blocks_left = raster_blocks

    def _use_paper(self) -> None:
        if self._blocks_left is not None:
            self._blocks_left -= 1
            if self._blocks_left <= 0:
                self._blocks_left = None
                self.paper = pos.Paper.OUT

    def steer(self, action: str, **params: object) -> str:
        """``hal.steering.Steerable``: paper ok/near_end/out, cover open/close, mute, unplug, replug."""
        actions = {
            "paper_ok": lambda: self.set_paper(pos.Paper.OK),
            "paper_near_end": lambda: self.set_paper(pos.Paper.NEAR_END),
            "paper_out": lambda: self.set_paper(pos.Paper.OUT),
            "cover_open": lambda: self.set_cover_open(True),
            "cover_close": lambda: self.set_cover_open(False),
            "mute": lambda: self.mute(True),
            "unmute": lambda: self.mute(False),
            "unplug": self.unplug,
            "replug": self.replug,
        }
        if action not in actions:
            return f"unknown action {action!r}; one of {', '.join(sorted(actions))}"
        actions[action]()
        return f"{action}: ok (paper {self.paper.value}, cover {'open' if self.cover_open else 'closed'})"

    @property
    def _can_print(self) -> bool:
        return self.paper != pos.Paper.OUT and not self.cover_open

    def handle(self, data: bytes) -> bytes:
        out = bytearray()
        with self._lock:
            for ev in self._parser.feed(data):
                if ev.kind == "status":
                    out.append(self._status(int(ev.value)))  # type: ignore[call-overload]
                elif ev.kind == "paper_sensor":
                    out.append(pos.paper_sensor_byte(self.paper))
                elif not self._can_print:
                    self.dropped_bytes += 1
                elif ev.kind == "raster":
                    assert isinstance(ev.value, Image.Image)
                    self.current.rasters.append(ev.value)
                    self._use_paper()
                elif ev.kind == "qr_store":
                    self.current.qr_payloads.append(str(ev.value))
                elif ev.kind == "qr_size":
                    self._qr_size = int(ev.value)  # type: ignore[call-overload]
                elif ev.kind == "qr_ecc":
                    self._qr_ecc = str(ev.value)
                elif ev.kind == "align":
                    self._center = ev.value == 1
                elif ev.kind == "qr_print":
                    self._print_qr()
                elif ev.kind == "text":
                    assert isinstance(ev.value, bytes)
                    self.current.text += ev.value
                elif ev.kind == "cut":
                    self.current.cut = True
                    self.receipts.append(self.current)
                    self.current = PrintedReceipt()
        return bytes(out)

    def _print_qr(self) -> None:
        """Print the stored symbol as the mechanism would: modules of ``qr_size`` dots."""
        self.current.qr_printed += 1
        if not self.current.qr_payloads:
            return
        code = qrcode.QRCode(error_correction=_QR_ECC[self._qr_ecc], box_size=max(1, self._qr_size), border=2)
        code.add_data(self.current.qr_payloads[-1].encode("utf-8"))
        symbol = code.make_image().get_image().convert("L")
        width = max([self.paper_width_dots, *(r.width for r in self.current.rasters)])
        line = Image.new("L", (width, symbol.height), 255)
        line.paste(symbol, ((width - symbol.width) // 2 if self._center else 0, 0))
        self.current.rasters.append(line)

    def _status(self, n: int) -> int:
        out = self.paper == pos.Paper.OUT
        if n == pos.STATUS_PAPER:
            return pos.paper_byte(self.paper)
        if n == pos.STATUS_OFFLINE:
            return pos.offline_byte(self.cover_open, out)
        if n == pos.STATUS_PRINTER:
            return pos.printer_byte(not self._can_print)
        return pos.offline_byte(False, False)  # error cause: none


class EscPosUsbPrinter(UsbDeviceModel, EscPosModel):
    vendor_id = 0x0416
    product_id = 0x5011
    manufacturer = "Winbond"
    product = "POS80 (emulated)"
    serial = "RCPT0001"

    def __init__(self) -> None:
        UsbDeviceModel.__init__(self)
        EscPosModel.__init__(self)

    def on_bulk_out(self, ep: int, data: bytes) -> None:
        reply = self.handle(data)
        if reply:
            self.send_in(reply)

    def port_status(self) -> int:
        return 0x18 | (0x20 if self.paper == pos.Paper.OUT else 0)

    def mute(self, muted: bool = True) -> None:
        self.muted = muted


class EscPosPtyPrinter(EscPosModel):
    """The model behind a pty; ``path`` is a stable symlink to the current slave."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__()
        self.path = Path(path)
        self.muted = False
        self._master = -1
        self._slave = -1
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.replug()

    @property
    def plugged(self) -> bool:
        return self._thread is not None

    def mute(self, muted: bool = True) -> None:
        self.muted = muted

    def replug(self) -> None:
        if self._thread is not None:
            return
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # keep our slave fd open, else the master sees EIO
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        self.path.symlink_to(os.ttyname(self._slave))
        self._stop.clear()
        self._thread = threading.Thread(target=self._serve, name="escpos-pty", daemon=True)
        self._thread.start()

    def unplug(self) -> None:
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stop.set()
        thread.join(2.0)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._master = self._slave = -1

    close = unplug

    def _serve(self) -> None:
        master = self._master
        while not self._stop.is_set():
            ready, _, _ = select.select([master], [], [], 0.05)
            if not ready:
                continue
            try:
                data = os.read(master, 65536)
            except OSError:
                continue  # the host closed its side: wait for it to reopen
            if self.muted or not data:
                continue
            reply = self.handle(data)
            if reply:
                os.write(master, reply)
