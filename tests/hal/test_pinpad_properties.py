"""Properties of the ZT588 PIN-pad protocol and ISO 9564 blocks (hal/pinpad) over any input.

Documented errors: Zt588ProtocolError for answers that do not parse, PinBlockError for a
malformed PIN, PAN or block, ValueError from encoders given what cannot be sent. The stream
parser's own fuzzing lives in test_pinpad_frames.py.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hal.pinpad import iso9564
from hal.pinpad import zt588_frames as zf
from tests.hal.property_settings import PROPERTY

ascii_text = st.text(st.characters(max_codepoint=0x7F), max_size=zf.MAX_TEXT_LEN)


@PROPERTY
@given(ascii_text)
def test_any_ascii_text_round_trips_through_a_frame(text: str) -> None:
    assert zf.Zt588Parser().feed(zf.encode_frame(text)) == [zf.PadFrame(text)]


@PROPERTY
@given(st.text(max_size=300))
def test_encode_frame_refuses_only_with_value_error(text: str) -> None:
    try:
        wire = zf.encode_frame(text)
    except ValueError:
        assert not text.isascii() or len(text) > zf.MAX_TEXT_LEN
    else:
        assert zf.Zt588Parser().feed(wire) == [zf.PadFrame(text)]


@PROPERTY
@given(ascii_text)
def test_parse_response_and_request_take_any_frame_text(text: str) -> None:
    frame = zf.PadFrame(text)
    try:
        resp = zf.parse_response(frame)
    except zf.Zt588ProtocolError:
        assert len(text) < 3 or text[1:3] != zf.STATUS_OK
    else:
        status = zf.STATUS_OK if resp.error is None else resp.error.name
        assert resp.command + status + resp.data == text
    command, args = zf.parse_request(frame)
    assert (command.value if command else text[:1]) + args == text


@PROPERTY
@given(st.text(st.characters(max_codepoint=0x7F), min_size=1, max_size=1),
       st.none() | st.sampled_from(list(zf.PadError)), st.text(st.characters(max_codepoint=0x7F), max_size=60))
def test_response_round_trip(letter: str, error: zf.PadError | None, data: str) -> None:
    (frame,) = zf.Zt588Parser().feed(zf.encode_response(letter, error, data))
    assert isinstance(frame, zf.PadFrame)
    resp = zf.parse_response(frame)
    assert (resp.command, resp.error, resp.data) == (letter, error, data)


@PROPERTY
@given(st.integers(0, 255))
def test_every_key_code_has_a_label(code: int) -> None:
    assert zf.key_test_label(code)


@PROPERTY
@given(st.text(max_size=25))
def test_pan_digits_takes_any_text(pan: str) -> None:
    try:
        digits = iso9564.pan_digits(pan)
    except iso9564.PinBlockError:
        return
    assert len(digits) == 12 and digits.isascii() and digits.isdigit()


@PROPERTY
@given(st.binary(max_size=10), st.text("0123456789X", min_size=13, max_size=19))
def test_decode_format0_takes_any_block(block: bytes, pan: str) -> None:
    try:
        pin = iso9564.decode_format0(block, pan)
    except iso9564.PinBlockError:
        return
    assert iso9564.format0_block(pin, pan) == block


@PROPERTY
@given(st.text(max_size=14), st.text("0123456789", min_size=13, max_size=19))
def test_format0_block_refuses_only_with_pin_block_error(pin: str, pan: str) -> None:
    try:
        block = iso9564.format0_block(pin, pan)
    except iso9564.PinBlockError:
        return
    assert iso9564.decode_format0(block, pan) == pin
