"""Properties of the social security chip codec (hal/sscard/apdu.py) over any input.

Documented errors: decoders raise CardDataError on bytes the chip should not have sent;
encoders raise ValueError on values that cannot go onto the card. Nothing else may escape,
and whatever an encoder accepts must decode back to the same value.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from hal.sscard import apdu
from hal.sscard.errors import CardDataError
from hal.types import PinOutcome
from tests.hal.property_settings import PROPERTY

HEX = "0123456789ABCDEF"


@PROPERTY
@given(st.binary(max_size=300))
def test_split_response_takes_any_bytes(raw: bytes) -> None:
    try:
        data, sw = apdu.split_response(raw)
    except CardDataError:
        assert len(raw) < 2
        return
    assert data + sw.to_bytes(2, "big") == raw


@PROPERTY
@given(st.integers(0, 0xFFFF))
def test_every_status_word_classifies_and_maps_to_a_pin_result(sw: int) -> None:
    status = apdu.classify_sw(sw)
    assert status.sw == sw and status.hex == f"{sw:04X}"
    result = apdu.pin_result(sw)
    assert result.sw == status.hex
    if result.outcome is PinOutcome.WRONG:
        assert result.tries_left is not None and 0 < result.tries_left <= 15


@PROPERTY
@given(st.integers(0, 255), st.binary(max_size=260))
def test_parse_record_takes_any_bytes(tag: int, data: bytes) -> None:
    try:
        value = apdu.parse_record(tag, data)
    except CardDataError:
        return
    assert data[0] == tag and value == data[2 : 2 + data[1]]


@PROPERTY
@given(st.integers(0, 255), st.binary(max_size=255), st.binary(max_size=8))
def test_record_round_trip(tag: int, value: bytes, trailer: bytes) -> None:
    # a reader may return the record padded beyond its declared length
    assert apdu.parse_record(tag, apdu.build_record(tag, value) + trailer) == value


@PROPERTY
@given(st.sampled_from(apdu.ITEMS), st.binary(max_size=40))
def test_every_item_decodes_any_bytes_or_raises_card_data_error(item: apdu.Item, value: bytes) -> None:
    try:
        decoded = apdu.decode_item(item, value)
    except CardDataError:
        assert item.encoding is apdu.Encoding.DATE
        return
    assert decoded is None or isinstance(decoded, str | dt.date)


@PROPERTY
@given(st.binary(max_size=30), st.binary(max_size=20))
def test_join_name_takes_any_bytes(name: bytes, extension: bytes) -> None:
    joined = apdu.join_name(name, extension)
    assert isinstance(joined, str)


@PROPERTY
@given(st.binary(max_size=8))
def test_decode_pin_bcd_takes_any_bytes(value: bytes) -> None:
    pin = apdu.decode_pin_bcd(value)
    assert pin is None or apdu.pin_bcd(pin) == value


@PROPERTY
@given(st.binary(max_size=80))
def test_parse_select_ssse_takes_any_bytes(fci: bytes) -> None:
    flag = apdu.parse_select_ssse(fci)
    assert flag is None or 0 <= flag <= 255


@PROPERTY
@given(st.text(HEX, max_size=32), st.integers(1, 16))
def test_cn_round_trip(digits: str, length: int) -> None:
    try:
        raw = apdu.encode_cn(digits, length)
    except ValueError:
        return
    assert len(raw) == length
    assert apdu.decode_cn(raw) == digits


@PROPERTY
@given(st.text("0123456789", min_size=1, max_size=12))
def test_pin_bcd_round_trip(pin: str) -> None:
    assert apdu.decode_pin_bcd(apdu.pin_bcd(pin)) == pin


@PROPERTY
@given(st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)))
def test_date_round_trip(day: dt.date) -> None:
    assert apdu.decode_date(apdu.encode_date(day)) == day


ascii_text = st.text(st.characters(min_codepoint=0, max_codepoint=0x7F), max_size=30)


@PROPERTY
@given(st.sampled_from([i for i in apdu.CARD_ITEMS if i.encoding in (apdu.Encoding.AN, apdu.Encoding.ASCII)]),
       ascii_text)
def test_ascii_items_round_trip_what_they_accept(item: apdu.Item, text: str) -> None:
    try:
        raw = apdu.encode_item(item, text)
    except ValueError:
        return
    assert len(raw) == item.length
    assert apdu.decode_item(item, raw) == text


# names as the ID card gives them: BMP, supplementary and private-use (造字) characters, no controls
name_chars = st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Zl", "Zp", "Cn"))


@PROPERTY
@given(st.text(name_chars, min_size=1, max_size=20))
def test_name_round_trip_through_tags_09_and_4e(name: str) -> None:
    try:
        head, tail = apdu.split_name(name)
    except (ValueError, UnicodeEncodeError):
        return
    assume(apdu.is_exact_name(name))
    assert len(head) == apdu.NAME_LEN and len(tail) == apdu.NAME_EXT_LEN
    assert apdu.join_name(head, tail) == name


@PROPERTY
@given(st.binary(min_size=4, max_size=300), st.integers(0, 256))
def test_with_le_keeps_the_command_and_sets_le(command: bytes, le: int) -> None:
    resent = apdu.with_le(command, le)
    assert resent[-1] == le & 0xFF
    assert command.startswith(resent[:-1])


# The defects the properties above found, pinned (each failed before its fix in apdu.py).

def test_cn_value_ending_in_the_padding_nibble_is_refused() -> None:
    with pytest.raises(ValueError, match="end in F"):
        apdu.encode_cn("35010F", 4)  # would read back as 35010


def test_date_before_year_1000_keeps_four_year_digits() -> None:
    assert apdu.encode_date(dt.date(999, 1, 1)) == bytes.fromhex("09990101")


@pytest.mark.parametrize("text", ["A1 ", "A1\x00"])
def test_text_item_ending_in_padding_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="padding"):
        apdu.encode_item(apdu.ITEM_BY_TAG[0x07], text)  # card_no would read back without it


def test_name_ending_in_a_space_is_refused() -> None:
    with pytest.raises(ValueError, match="padding"):
        apdu.split_name("林小明 ")


def test_bcd_longer_than_a_pin_is_not_a_pin() -> None:
    assert apdu.decode_pin_bcd(bytes(7)) is None  # 14 digits: pin_bcd never makes it
