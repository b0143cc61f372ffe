"""Receipt printer driver: ESC/POS over serial or USB.

Chinese lines are rasterised with the CJK font chain (see ``escpos_commands`` for why),
the QR code is the printer's native one, and paper/cover state comes from ``DLE EOT``
queries before and after each receipt.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from PIL import Image

from hal.issuer.cjk_text import CjkText
from hal.issuer.counters import CounterStore
from hal.receipt import escpos_commands as pos
from hal.receipt.transports import ReceiptTransport, SerialTransport, UsbTransport
from hal.status import (
    Action,
    DeviceError,
    DeviceState,
    DeviceStatus,
    DeviceTimeout,
    DeviceUnavailable,
    Media,
    Supply,
)
from hal.types import Receipt

log = logging.getLogger(__name__)

MARGIN_DOTS = 8  # left and right, so a row's last glyph never touches the paper's edge
PAPER_SUPPLY = {pos.Paper.OK: Supply.OK, pos.Paper.NEAR_END: Supply.LOW, pos.Paper.OUT: Supply.OUT}


# what the screen calls it too (result.row.txn): one name for the number the counter looks up
TRANSACTION_LABEL = "交易号"

class EscPosReceiptPrinter:
    """``hal.interfaces.ReceiptPrinter`` over any ``ReceiptTransport``."""

    def __init__(
        self,
        transport: ReceiptTransport,
        *,
        name: str = "receipt_printer",
        paper_width_dots: int = 576,  # 80 mm paper at 203 dpi; 384 for 58 mm
        font_px: int = 28,
        status_timeout_s: float = 1.0,
        print_timeout_s: float = 10.0,
        counters_path: str | os.PathLike[str] | None = None,
    ) -> None:
        self.name = name
        self.transport = transport
        self.paper_width_dots = paper_width_dots
        self.status_timeout_s = status_timeout_s
        self.print_timeout_s = print_timeout_s
        self._text = CjkText(font_px)
        self._counters = CounterStore(counters_path, ("receipts_printed",)) if counters_path else None
        self._printed = 0
        self._lock = threading.RLock()

    @classmethod
    def serial(cls, port: str, baudrate: int = 115200, *, timeout_s: float = 3.0,
               **kw: Any) -> EscPosReceiptPrinter:
        return cls(SerialTransport(port, baudrate, timeout_s=timeout_s), **kw)

    @classmethod
    def usb(cls, vendor_id: int, product_id: int | None = None, *, backend: Any = None,
            serial_number: str | None = None, timeout_s: float = 3.0, **kw: Any) -> EscPosReceiptPrinter:
        return cls(UsbTransport(vendor_id, product_id, backend=backend, serial_number=serial_number,
                                timeout_s=timeout_s), **kw)

    # -- Device ----------------------------------------------------------------------
    def open(self) -> None:
        with self._lock:
            self.transport.open()

    def close(self) -> None:
        with self._lock:
            self.transport.close()

    @property
    def counters(self) -> dict[str, int]:
        return self._counters.snapshot() if self._counters else {"receipts_printed": self._printed}

    def _query(self, n: int) -> int:
        """One real-time status query; the answer is a single status byte."""
        self.transport.write(pos.status_query(n), self.status_timeout_s)
        for _ in range(8):  # skip stray bytes until a well-formed status byte
            b = self.transport.read(1, self.status_timeout_s)[0]
            if pos.is_status_byte(b):
                return b
        raise DeviceError("protocol_error", "no valid status byte from the receipt printer")

    def _probe(self) -> tuple[pos.Paper, pos.OfflineCause]:
        self.transport.open()
        try:
            paper = pos.parse_paper(self._query(pos.STATUS_PAPER))
            cause = pos.parse_offline(self._query(pos.STATUS_OFFLINE))
        except DeviceTimeout:
            self.transport.close()  # a late answer must not be read as the next query's
            raise
        return paper, cause

    def status(self) -> DeviceStatus:
        with self._lock:
            try:
                try:
                    paper, cause = self._probe()
                except DeviceUnavailable:
                    paper, cause = self._probe()  # replugged: one fresh attempt
            except DeviceUnavailable as exc:
                return self._down(DeviceState.POWER_OFF, exc)
            except DeviceTimeout as exc:
                return self._down(DeviceState.OFFLINE, exc)
            except DeviceError as exc:
                return self._down(DeviceState.HARDWARE_ERROR, exc)
        supplies = {"receipt_paper": PAPER_SUPPLY[paper]}
        if cause.cover_open:
            return DeviceStatus(DeviceState.HARDWARE_ERROR, Media.NOT_SUPPORTED, supplies, self.counters,
                                "cover_open", Action.CLEAR)
        action = Action.CLEAR if paper == pos.Paper.OUT else Action.NONE
        return DeviceStatus(DeviceState.ONLINE, Media.NOT_SUPPORTED, supplies, self.counters,
                            "paper_out" if paper == pos.Paper.OUT else None, action)

    def _down(self, state: DeviceState, exc: DeviceError) -> DeviceStatus:
        return DeviceStatus(state, Media.UNKNOWN, {"receipt_paper": Supply.UNKNOWN}, self.counters, exc.code,
                            exc.action)

    # -- ReceiptPrinter ------------------------------------------------------------------
    def print_receipt(self, receipt: Receipt) -> None:
        job = self.render(receipt)
        with self._lock:
            self._check_ready()
            self.transport.write(job, self.print_timeout_s)
            paper, _ = self._probe()
            if paper == pos.Paper.OUT:
                raise DeviceError("paper_out", "paper ran out while printing", Action.CLEAR)
            if self._counters:
                self._counters.add("receipts_printed")
            else:
                self._printed += 1

    def _check_ready(self) -> None:
        try:
            paper, cause = self._probe()
        except DeviceUnavailable:
            paper, cause = self._probe()
        if cause.cover_open:
            raise DeviceError("cover_open", "receipt printer cover open", Action.CLEAR)
        if paper == pos.Paper.OUT or cause.paper_out:
            raise DeviceError("paper_out", "receipt paper out", Action.CLEAR)

    def render(self, receipt: Receipt) -> bytes:
        """The whole receipt as ESC/POS bytes (no I/O)."""
        out = bytearray(pos.INIT)
        out += self._line(receipt.title, center=True, bold=True, scale=1.5)
        out += self._line("")
        for line in receipt.lines:
            scale = 1.5 if line.double else 1.0
            out += self._line(line.text, center=line.center, bold=line.bold, scale=scale)
        out += self._line("")
        out += self._line(f"{TRANSACTION_LABEL} {receipt.transaction_no}", center=True)
        out += pos.align(True) + pos.qr(receipt.qr_payload or receipt.transaction_no) + pos.align(False)
        for text in receipt.footer:
            out += self._line(text, center=True)
        out += pos.cut(4)
        return bytes(out)

    def _line(self, text: str, *, center: bool = False, bold: bool = False, scale: float = 1.0) -> bytes:
        """One receipt line, wrapped onto as many rows as the paper needs (never cut at its edge)."""
        sized = self._text if scale == 1.0 else CjkText(int(self._text.size * scale), self._text.fonts)
        out = b""
        for row in sized.wrap(text, self.paper_width_dots - 2 * MARGIN_DOTS):
            img: Image.Image = sized.line_image(row, self.paper_width_dots, center=center, bold=bold,
                                                margin=MARGIN_DOTS)
            out += pos.raster(img)
        return out
