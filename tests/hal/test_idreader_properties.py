"""Properties of the SAM protocol and the ID card text (hal/idreader) over any input.

Documented errors: SamProtocolError for bytes that do not form a valid answer, IdTextError
for card text that is not a valid ID card. The stream parser itself never raises (its
fuzzing lives in test_idreader_frames.py); these cover what is parsed out of a frame and
the encoders' round trips.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from hal.idreader import sam_frames as sf
from hal.idreader.text_block import (
    IdTextError,
    decode_additional_address,
    decode_text_block,
    encode_text_block,
    id_number_check_char,
)
from hal.types import IdCardData
from tests.hal.property_settings import PROPERTY


@PROPERTY
@given(st.binary(min_size=sf.MIN_LEN - 1, max_size=sf.MAX_LEN - 1))
def test_any_payload_round_trips_through_a_frame(payload: bytes) -> None:
    frames = sf.SamFrameParser().feed(sf.encode_frame(payload))
    assert frames == [sf.SamFrame(payload)]


@PROPERTY
@given(st.binary(max_size=40))
def test_parse_response_and_command_take_any_payload(payload: bytes) -> None:
    frame = sf.SamFrame(payload)
    try:
        resp = sf.parse_response(frame)
    except sf.SamProtocolError:
        assert len(payload) < 3 or payload[:2] != b"\x00\x00"
    else:
        assert bytes([resp.sw1, resp.sw2, resp.sw3]) + resp.data == payload
    try:
        cmd, para, data = sf.parse_command(frame)
    except sf.SamProtocolError:
        assert len(payload) < 2
    else:
        assert bytes([cmd, para]) + data == payload


@PROPERTY
@given(st.integers(0, 255), st.binary(max_size=300))
def test_response_round_trip(sw3: int, data: bytes) -> None:
    (frame,) = sf.SamFrameParser().feed(sf.encode_response(sw3, data))
    assert isinstance(frame, sf.SamFrame)
    resp = sf.parse_response(frame)
    assert (resp.sw3, resp.data) == (sw3, data)
    if resp.known_sw3 is None:
        assert sf.SamResultError(sw3).code == "sam_unknown_sw3"


@PROPERTY
@given(st.sampled_from(list(sf.SamCommand)), st.binary(max_size=20))
def test_command_round_trip(command: sf.SamCommand, data: bytes) -> None:
    (frame,) = sf.SamFrameParser().feed(sf.encode_command(command, data))
    assert isinstance(frame, sf.SamFrame)
    cmd, para, got = sf.parse_command(frame)
    assert sf.SamCommand.from_code(cmd, para) is command and got == data


@PROPERTY
@given(st.binary(max_size=2400), st.booleans())
def test_parse_read_data_takes_any_bytes(data: bytes, with_fingerprint: bool) -> None:
    try:
        read = sf.parse_read_data(data, with_fingerprint)
    except sf.SamProtocolError:
        return
    assert len(read.text) == sf.TEXT_LEN


@PROPERTY
@given(st.binary(min_size=sf.TEXT_LEN, max_size=sf.TEXT_LEN), st.booleans(), st.booleans(), st.data())
def test_read_data_round_trip(text: bytes, photo: bool, fingerprint: bool, data: st.DataObject) -> None:
    photo_bytes = data.draw(st.binary(min_size=sf.PHOTO_LEN, max_size=sf.PHOTO_LEN)) if photo else b""
    fp = bytes(sf.FINGERPRINT_LEN) if fingerprint else None
    read = sf.parse_read_data(sf.encode_read_data(text, photo_bytes, fp), fp is not None)
    assert (read.text, read.photo, read.fingerprint) == (text, photo_bytes, fp)


@PROPERTY
@given(st.binary(max_size=80))
def test_additional_address_takes_any_bytes(data: bytes) -> None:
    try:
        text = decode_additional_address(data, sf.ADDITIONAL_ADDRESS_LEN)
    except IdTextError:
        return
    assert text is None or 0 < len(text) <= sf.ADDITIONAL_ADDRESS_LEN // 2


# Card text as a card may carry it: BMP and private-use (造字) characters, no controls, no
# padding characters at the end (the decoder strips those).
card_chars = st.characters(min_codepoint=0x20, max_codepoint=0xFFFF,
                           blacklist_categories=("Cc", "Cf", "Cs", "Zl", "Zp", "Cn"))


def card_text(max_chars: int) -> st.SearchStrategy[str]:
    return st.text(card_chars, min_size=1, max_size=max_chars).filter(lambda t: t == t.rstrip(" \x00"))


@st.composite
def id_cards(draw: st.DrawFn) -> IdCardData:
    first17 = draw(st.text("0123456789", min_size=17, max_size=17))
    valid_from = draw(st.dates(dt.date(1000, 1, 1), dt.date(9998, 12, 31)))
    valid_until = draw(st.none() | st.dates(valid_from, dt.date(9999, 12, 31)))
    return IdCardData(
        name=draw(card_text(15)), sex_code=draw(st.sampled_from("0129")),
        ethnicity_code=draw(st.text("0123456789", min_size=2, max_size=2)),
        birth_date=draw(st.dates(dt.date(1000, 1, 1), dt.date(9999, 12, 31))),
        address=draw(card_text(35)), id_number=first17 + id_number_check_char(first17),
        issuer=draw(card_text(15)), valid_from=valid_from, valid_until=valid_until,
        photo_wlt=b"", photo_bmp=None)


@PROPERTY
@given(id_cards())
def test_text_block_round_trip(card: IdCardData) -> None:
    assert decode_text_block(encode_text_block(card)) == card
