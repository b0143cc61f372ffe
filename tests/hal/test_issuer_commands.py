"""Evolis escape-command framing, the Db panel format, reply parsing and the fault table."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from hal.issuer import evolis_commands as ev
from hal.status import Action, DeviceError


def test_command_framing() -> None:
    assert ev.command("Pcim;F") == b"\x1bPcim;F\r"
    assert ev.command(ev.RIBBON_COUNT) == b"\x1bRrt;count\r"


def _pattern() -> Image.Image:
    img = Image.new("L", (ev.CARD_WIDTH_PX, ev.CARD_HEIGHT_PX), 255)
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, 7, 0), fill=0)  # the first byte of the first row: all ink
    d.rectangle((100, 200, 300, 260), fill=0)
    return img


def test_k_panel_bit_layout_and_round_trip() -> None:
    panel = ev.k_panel_from_image(_pattern())
    assert len(panel) == ev.K_PANEL_BYTES == 82296
    assert panel[0] == 0xFF  # bit set = ink, MSB = leftmost
    assert panel[1] == 0x00
    back = ev.k_panel_to_image(panel)
    assert back.getpixel((0, 0)) == 0 and back.getpixel((8, 0)) == 255
    assert back.getpixel((150, 230)) == 0 and back.getpixel((400, 400)) == 255


def test_wrong_size_image_is_refused() -> None:
    with pytest.raises(ValueError):
        ev.k_panel_from_image(Image.new("L", (100, 100)))


def test_parser_reads_bitmap_with_cr_bytes_inside() -> None:
    panel = bytes([ev.CR]) * ev.K_PANEL_BYTES  # every byte looks like a terminator
    stream = ev.command("Ss") + ev.download_k_panel(panel) + ev.command("Se")
    cmds = ev.EscapeCommandParser().feed(stream)
    assert [c.name for c in cmds] == ["Ss", "Db", "Se"]
    assert cmds[1].args == ("k", "2") and cmds[1].payload == panel


def test_parser_skips_garbage_between_commands() -> None:
    cmds = ev.EscapeCommandParser().feed(b"noise" + ev.command("Rfv") + b"\x00\x01" + ev.command("Rok"))
    assert [c.text for c in cmds] == ["Rfv", "Rok"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=9000), min_size=1, max_size=30))
def test_parser_is_independent_of_chunking(cuts: list[int]) -> None:
    panel = bytes(range(256)) * (ev.K_PANEL_BYTES // 256) + bytes(ev.K_PANEL_BYTES % 256)
    stream = ev.command("Pr;k") + ev.download_k_panel(panel) + ev.command("Se") + ev.command("Seb")
    parser = ev.EscapeCommandParser()
    got: list[ev.EscapeCommand] = []
    pos = 0
    for n in cuts:
        got += parser.feed(stream[pos : pos + n])
        pos += n
    got += parser.feed(stream[pos:])
    assert [c.text for c in got] == ["Pr;k", "Db;k;2", "Se", "Seb"]
    assert got[1].payload == panel


@pytest.mark.parametrize("fault", ev.FAULTS, ids=lambda f: f.reply)
def test_every_error_reply_maps_to_a_device_error(fault: ev.PrinterFault) -> None:
    with pytest.raises(DeviceError) as info:
        ev.check(fault.reply)
    assert info.value.code == fault.code
    assert info.value.action == fault.action


def test_unknown_error_reply_needs_maintenance() -> None:
    with pytest.raises(DeviceError) as info:
        ev.check("ERR SOMETHING NEW")
    assert info.value.code == "printer_error" and info.value.action == Action.MAINTENANCE


def test_value_replies() -> None:
    assert ev.check("OK") == "OK"
    assert ev.parse_flag("1") is True and ev.parse_flag("OFF") is False
    assert ev.parse_count("187") == 187
    with pytest.raises(DeviceError):
        ev.parse_count("abc")
    with pytest.raises(DeviceError):
        ev.parse_flag("maybe")
    assert ev.decode_reply(b"OK\r\n") == "OK"


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_parser_never_raises_on_garbage(noise: bytes) -> None:
    parser = ev.EscapeCommandParser()
    parser.feed(noise)
    # and it still finds a well-formed command sent after the noise (unless the noise opened a Db)
    if b"\x1bDb" not in noise:
        assert "Rok" in [c.text for c in parser.feed(b"\r" + ev.command("Rok"))]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64))
def test_reply_parsing_raises_only_device_errors(raw: bytes) -> None:
    text = ev.decode_reply(raw)
    for parse in (ev.check, ev.parse_flag, ev.parse_count):
        with contextlib.suppress(DeviceError):
            parse(text)
