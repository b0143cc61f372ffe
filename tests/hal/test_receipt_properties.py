"""Properties of the ESC/POS codec (hal/receipt/escpos_commands.py) over any input.

The status replies (DLE EOT n) are single bytes: every byte value is classified without an
error, and every status the printer can report is read back as sent. The printer-side
stream parser (used by the emulator to check what the driver printed) takes any bytes, in
any chunking, and gives back what the host-side builders encoded.
"""

from __future__ import annotations

import random

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from hal.receipt import escpos_commands as pos
from tests.hal.property_settings import PROPERTY


@PROPERTY
@given(st.integers(0, 255))
def test_any_status_byte_is_classified(b: int) -> None:
    assert isinstance(pos.parse_paper(b), pos.Paper)
    assert isinstance(pos.parse_offline(b), pos.OfflineCause)
    assert pos.is_status_byte(b) == (b & 0x93 == 0x12)


@PROPERTY
@given(st.sampled_from(list(pos.Paper)), st.booleans(), st.booleans(), st.booleans())
def test_status_bytes_round_trip(paper: pos.Paper, cover_open: bool, paper_out: bool, error: bool) -> None:
    assert pos.is_status_byte(pos.paper_byte(paper)) and pos.parse_paper(pos.paper_byte(paper)) is paper
    offline = pos.offline_byte(cover_open, paper_out, error)
    assert pos.is_status_byte(offline)
    assert pos.parse_offline(offline) == pos.OfflineCause(cover_open, paper_out, error)
    assert pos.is_status_byte(pos.printer_byte(cover_open))


def events(stream: bytes, cuts: list[int]) -> list[pos.Event]:
    parser, out, at = pos.EscPosParser(), [], 0
    for size in cuts:
        out += parser.feed(stream[at : at + size])
        at += size
    return out + parser.feed(stream[at:])


def comparable(evs: list[pos.Event]) -> list[tuple[str, object]]:
    """Events with images as bytes, adjacent text runs joined (a chunk boundary splits a run)."""
    out: list[tuple[str, object]] = []
    for e in evs:
        value = e.value.tobytes() if isinstance(e.value, Image.Image) else e.value
        previous = out[-1][1] if out and out[-1][0] == "text" else None
        if e.kind == "text" and isinstance(previous, bytes) and isinstance(value, bytes):
            out[-1] = ("text", previous + value)
        else:
            out.append((e.kind, value))
    return out


@PROPERTY
@given(st.binary(max_size=400), st.integers(0, 2**32 - 1))
def test_parser_takes_any_bytes_in_any_chunking(stream: bytes, seed: int) -> None:
    rnd = random.Random(seed)
    cuts = [rnd.randint(1, 32) for _ in range(rnd.randint(0, 12))]
    whole = events(stream, [])
    assert comparable(events(stream, cuts)) == comparable(whole)


# Command-shaped noise: prefixes of real commands with random arguments, so the parser's
# length-driven branches (GS v 0 sizes, GS ( k lengths, ESC/GS operands) see odd values.
fragment = st.one_of(
    st.binary(max_size=8),
    st.tuples(st.integers(0, 3), st.integers(0, 3), st.binary(max_size=20)).map(
        lambda t: bytes([pos.GS, ord("v"), ord("0"), 0, t[0], 0, t[1], 0]) + t[2]),
    st.tuples(st.integers(0, 6), st.binary(max_size=8)).map(
        lambda t: bytes([pos.GS, ord("("), ord("k"), t[0], 0]) + t[1]),
    st.tuples(st.sampled_from([pos.ESC, pos.GS, pos.DLE]), st.binary(max_size=3)).map(lambda t: bytes([t[0]]) + t[1]),
)


@PROPERTY
@given(st.lists(fragment, max_size=12), st.integers(0, 2**32 - 1))
def test_parser_takes_command_shaped_noise_in_any_chunking(fragments: list[bytes], seed: int) -> None:
    stream = b"".join(fragments)
    rnd = random.Random(seed)
    cuts = [rnd.randint(1, 16) for _ in range(rnd.randint(0, 12))]
    assert comparable(events(stream, cuts)) == comparable(events(stream, []))


@PROPERTY
@given(st.integers(1, 40), st.integers(1, 24), st.binary(min_size=960, max_size=960))
def test_raster_round_trip(width: int, height: int, pixels: bytes) -> None:
    dots = (np.frombuffer(pixels[: width * height], dtype=np.uint8) & 1).reshape(height, width)
    img = Image.fromarray((dots * 255).astype(np.uint8), mode="L")
    (event,) = pos.EscPosParser().feed(pos.raster(img))
    assert event.kind == "raster"
    got = np.asarray(event.value)
    assert got.shape == (height, (width + 7) // 8 * 8)
    assert ((got[:, :width] > 127) == (dots > 0)).all()
    assert (got[:, width:] == 255).all()  # padding dots stay white


@PROPERTY
@given(st.text(max_size=200), st.integers(1, 16), st.sampled_from(sorted(pos.QR_ECC)))
def test_qr_round_trip(payload: str, size: int, ecc: str) -> None:
    kinds = {e.kind: e.value for e in pos.EscPosParser().feed(pos.qr(payload, size, ecc))}
    assert kinds["qr_store"] == payload
    assert kinds["qr_size"] == size and kinds["qr_ecc"] == ecc and "qr_print" in kinds


@PROPERTY
@given(st.integers(0, 255), st.integers(-5, 300), st.booleans())
def test_simple_commands_round_trip(n: int, feed: int, center: bool) -> None:
    got = [(e.kind, e.value) for e in pos.EscPosParser().feed(
        pos.INIT + pos.status_query(n) + pos.align(center) + pos.cut(feed))]
    assert got == [("init", None), ("status", n), ("align", int(center)), ("cut", 66)]


@PROPERTY
@given(st.text(alphabet=st.sampled_from(list("社保卡挂失回执䶮𠮷 ABCdefgh123,.()/")), max_size=120),
       st.integers(min_value=60, max_value=576))
def test_a_wrapped_line_keeps_every_character_and_each_row_fits(text: str, width: int) -> None:
    from hal.issuer.cjk_text import CjkText

    cjk = CjkText(28)
    rows = cjk.wrap(text, width)
    assert "".join(rows).replace(" ", "") == text.replace(" ", "")  # only the spaces at a break may go
    assert all(cjk.width(r) <= width or len(r) == 1 for r in rows)


def test_a_receipt_row_never_begins_with_a_full_stop() -> None:
    """The receipt wraps by the screen's rules (hal/line_break.py): where "。" would start the second
    row, the character before it goes down with it."""
    from hal.issuer.cjk_text import CjkText

    cjk = CjkText(28)
    text = "挂失后该卡立即冻结。之后可在本机补换新卡"
    rows = cjk.wrap(text, cjk.width("挂失后该卡立即冻结"))  # nine characters fit; the tenth is "。"
    assert rows[:2] == ["挂失后该卡立即冻", "结。之后可在本机补"]
    assert "".join(rows) == text
