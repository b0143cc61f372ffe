"""EscPosReceiptPrinter through pyserial → pty and pyusb → emulated backend.

The emulator rebuilds the paper from the ESC/POS stream (raster lines, the native QR
symbol drawn at its module size), so the tests read the receipt back like a person
would: ink on paper and a QR code that OpenCV decodes to the transaction number.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hal.emulators.escpos_printer import EscPosModel, EscPosPtyPrinter, EscPosUsbPrinter
from hal.emulators.usb_backend import EmulatedUsbBackend
from hal.interfaces import ReceiptPrinter
from hal.receipt import escpos_commands as pos
from hal.receipt.escpos_printer import EscPosReceiptPrinter
from hal.status import Action, DeviceError, DeviceState, DeviceTimeout, DeviceUnavailable, Supply
from hal.types import Receipt, ReceiptLine

RECEIPT = Receipt(
    title="社会保障卡挂失回执",
    lines=(
        ReceiptLine("姓名：林*䶮"),
        ReceiptLine("社会保障号码：3501**********1234"),
        ReceiptLine("业务：正式挂失", bold=True),
        ReceiptLine("办理时间：2026-11-27 10:30", double=True),
    ),
    transaction_no="T20261127-000123",
    footer=("请妥善保管本回执",),
)


@dataclass
class Rig:
    printer: EscPosReceiptPrinter
    model: EscPosModel
    unplug: Callable[[], None]
    replug: Callable[[], None]
    mute: Callable[[bool], None]


@pytest.fixture(params=["serial", "usb"])
def rig(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Rig]:
    if request.param == "serial":
        pty = EscPosPtyPrinter(tmp_path / "ttyRECEIPT")
        drv = EscPosReceiptPrinter.serial(str(pty.path), timeout_s=0.3, status_timeout_s=0.3)
        yield Rig(drv, pty, pty.unplug, pty.replug, pty.mute)
        drv.close()
        pty.close()
    else:
        backend = EmulatedUsbBackend()
        model = EscPosUsbPrinter()
        backend.attach(model)
        drv = EscPosReceiptPrinter.usb(0x0416, backend=backend, timeout_s=0.3, status_timeout_s=0.3)
        yield Rig(drv, model, model.unplug, model.replug, model.mute)
        drv.close()


def _decode_qr(img: np.ndarray) -> str:
    text, _, _ = cv2.QRCodeDetector().detectAndDecode(img)
    return str(text)


def test_implements_the_receipt_printer_protocol(rig: Rig) -> None:
    as_protocol: ReceiptPrinter = rig.printer
    assert as_protocol.name == "receipt_printer"


def test_chinese_receipt_with_qr(rig: Rig) -> None:
    assert rig.printer.status().supplies == {"receipt_paper": Supply.OK}
    rig.printer.print_receipt(RECEIPT)
    assert len(rig.model.receipts) == 1
    printed = rig.model.receipts[0]
    assert printed.cut
    assert printed.qr_payloads == [RECEIPT.transaction_no] and printed.qr_printed == 1
    paper = np.asarray(printed.image())
    assert paper.shape[1] == 576
    assert 0.02 < printed.ink_ratio() < 0.5  # text and QR, not blank, not black
    assert _decode_qr(paper) == RECEIPT.transaction_no
    # no text bytes: every Chinese line went out as a raster image
    assert bytes(printed.text).strip() == b""
    assert len(printed.rasters) >= len(RECEIPT.lines) + 3
    assert rig.printer.counters["receipts_printed"] == 1


def test_rare_character_line_is_not_blank(rig: Rig) -> None:
    r = Receipt("回执", (ReceiptLine("𠀀䶮𠮷"),), "T1")
    rig.printer.print_receipt(r)
    line = np.asarray(rig.model.receipts[0].rasters[2])  # title, blank, then the line
    assert (line < 128).mean() > 0.005


def test_a_line_wider_than_the_paper_wraps_and_loses_no_ink(rig: Rig) -> None:
    """A bilingual status line is wider than 80 mm paper at the receipt's type size: it used to be cut
    off at the right edge ("…Accepted, pending (li"). Every glyph must reach the paper."""
    from hal.issuer.cjk_text import CjkText

    text = "状态: 已受理，联网后生效 Accepted, pending (link down) 结果将短信发到社保登记手机"
    rig.printer.print_receipt(Receipt("回执", (ReceiptLine(text),), "T1"))
    rasters = rig.model.receipts[0].rasters
    lines = rasters[2:-2]  # title, blank | the line's rows | blank, "交易号 …" (the QR is not a raster)
    assert len(lines) >= 2  # wrapped, not cut
    for img in lines:
        row = np.asarray(img)
        assert row.shape[1] == 576 and (row[:, -8:] < 128).sum() == 0  # nothing runs into the right margin
    text_px = CjkText(28)
    whole = np.asarray(text_px.line_image(text, text_px.width(text) + 16))  # the line on paper wide enough
    printed_ink = sum(int((np.asarray(img) < 128).sum()) for img in lines)
    assert printed_ink >= 0.97 * int((whole < 128).sum())


def test_qr_payload_overrides_transaction_no(rig: Rig) -> None:
    r = Receipt("回执", (), "T2", qr_payload="https://example.invalid/r/T2")
    rig.printer.print_receipt(r)
    assert _decode_qr(np.asarray(rig.model.receipts[0].image())) == "https://example.invalid/r/T2"


def test_paper_near_end_still_prints(rig: Rig) -> None:
    rig.model.set_paper(pos.Paper.NEAR_END)
    st = rig.printer.status()
    assert st.state == DeviceState.ONLINE and st.supplies["receipt_paper"] == Supply.LOW
    rig.printer.print_receipt(RECEIPT)
    assert len(rig.model.receipts) == 1


def test_paper_out(rig: Rig) -> None:
    rig.model.set_paper(pos.Paper.OUT)
    st = rig.printer.status()
    assert st.supplies["receipt_paper"] == Supply.OUT and st.action == Action.CLEAR
    assert st.last_error == "paper_out"
    with pytest.raises(DeviceError) as info:
        rig.printer.print_receipt(RECEIPT)
    assert info.value.code == "paper_out" and info.value.action == Action.CLEAR
    assert rig.model.receipts == []
    rig.model.set_paper(pos.Paper.OK)  # staff loads a roll
    rig.printer.print_receipt(RECEIPT)
    assert len(rig.model.receipts) == 1


def test_cover_open(rig: Rig) -> None:
    rig.model.set_cover_open(True)
    st = rig.printer.status()
    assert st.state == DeviceState.HARDWARE_ERROR and st.last_error == "cover_open"
    with pytest.raises(DeviceError) as info:
        rig.printer.print_receipt(RECEIPT)
    assert info.value.code == "cover_open"
    rig.model.set_cover_open(False)
    assert rig.printer.status().state == DeviceState.ONLINE


def test_unplug_and_replug(rig: Rig) -> None:
    rig.printer.print_receipt(RECEIPT)
    rig.unplug()
    st = rig.printer.status()
    assert st.state == DeviceState.POWER_OFF and st.last_error == "unavailable"
    with pytest.raises(DeviceUnavailable):
        rig.printer.print_receipt(RECEIPT)
    rig.replug()
    assert rig.printer.status().state == DeviceState.ONLINE
    rig.printer.print_receipt(RECEIPT)  # same driver object, no restart
    assert len(rig.model.receipts) == 2


def test_mute_printer_times_out(rig: Rig) -> None:
    rig.printer.open()
    rig.mute(True)
    t0 = time.monotonic()
    assert rig.printer.status().state == DeviceState.OFFLINE
    with pytest.raises(DeviceTimeout):
        rig.printer.print_receipt(RECEIPT)
    assert time.monotonic() - t0 < 2.0
    rig.mute(False)
    assert rig.printer.status().state == DeviceState.ONLINE


# -- the command module on its own ------------------------------------------------------------
def test_status_bytes_round_trip() -> None:
    for paper in pos.Paper:
        b = pos.paper_byte(paper)
        assert pos.is_status_byte(b) and pos.parse_paper(b) == paper
    cause = pos.parse_offline(pos.offline_byte(cover_open=True, paper_out=False))
    assert cause.cover_open and not cause.paper_out
    assert not pos.is_status_byte(0xFF) and not pos.is_status_byte(0x00)


def test_parser_events_survive_byte_by_byte_feeding() -> None:
    from PIL import Image

    img = Image.new("L", (20, 3), 255)
    img.putpixel((0, 0), 0)
    img.putpixel((19, 2), 0)
    stream = pos.INIT + pos.raster(img) + pos.qr("T9") + b"abc\n" + pos.status_query(4) + pos.cut(2)
    parser = pos.EscPosParser()
    events = [e for i in range(len(stream)) for e in parser.feed(stream[i : i + 1])]
    kinds = [e.kind for e in events]
    assert kinds[0] == "init" and "qr_store" in kinds and kinds[-1] == "cut"
    raster = next(e.value for e in events if e.kind == "raster")
    assert isinstance(raster, Image.Image) and raster.size == (24, 3)
    assert raster.getpixel((0, 0)) == 0 and raster.getpixel((19, 2)) == 0 and raster.getpixel((1, 0)) == 255
    assert next(e.value for e in events if e.kind == "qr_store") == "T9"
    assert next(e.value for e in events if e.kind == "status") == 4


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600))
def test_parser_never_raises_on_garbage(noise: bytes) -> None:
    pos.EscPosParser().feed(noise)
    model = EscPosModel()
    model.handle(noise)  # the emulator survives it too


def test_paper_runs_out_in_the_middle(rig: Rig) -> None:
    rig.model.run_out_after(3)  # title, blank line, first line
    with pytest.raises(DeviceError) as info:
        rig.printer.print_receipt(RECEIPT)
    assert info.value.code == "paper_out"
    assert rig.model.receipts == []  # no cut: the receipt never came out whole
    assert rig.printer.status().supplies["receipt_paper"] == Supply.OUT
    assert rig.printer.counters["receipts_printed"] == 0


def test_steering_by_name(rig: Rig) -> None:
    rig.model.steer("paper_near_end")
    assert rig.printer.status().supplies["receipt_paper"] == Supply.LOW
    rig.model.steer("cover_open")
    assert rig.printer.status().last_error == "cover_open"
    rig.model.steer("cover_close")
    rig.model.steer("unplug")
    assert rig.printer.status().state == DeviceState.POWER_OFF
    rig.model.steer("replug")
    assert rig.printer.status().state == DeviceState.ONLINE
    assert rig.model.steer("explode").startswith("unknown action")


def test_the_paper_names_the_transaction_number_as_the_screen_does() -> None:
    import json
    from pathlib import Path

    from hal.receipt.escpos_printer import TRANSACTION_LABEL

    zh = json.loads((Path(__file__).resolve().parents[2] / "assets/strings/zh.json").read_text("utf-8"))
    assert zh["result.row.txn"] == TRANSACTION_LABEL  # was 流水号 on paper, 交易号 on screen
