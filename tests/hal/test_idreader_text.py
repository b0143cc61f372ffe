"""The 256-byte UCS-2 text block: decoding, 长期, rare characters, hostile content."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hal.emulators.sam_reader import sample_id_card
from hal.idreader.text_block import (
    CARD_TYPE_OFFSET,
    TEXT_BLOCK_LEN,
    IdCardTypeUnsupported,
    IdTextError,
    TextFields,
    decode_text_block,
    encode_text_block,
    encode_text_fields,
    fields_from_card,
    id_number_check_char,
)
from hal.types import IdCardData


def fields(**changes: str) -> TextFields:
    return dataclasses.replace(fields_from_card(sample_id_card()), **changes)


def test_round_trip_of_a_sample_card() -> None:
    card = sample_id_card()
    block = encode_text_block(card)
    assert len(block) == TEXT_BLOCK_LEN
    got = decode_text_block(block, b"w" * 1024)
    assert (got.name, got.sex_code, got.ethnicity_code) == ("林小明", "1", "01")
    assert got.birth_date == dt.date(1990, 1, 1) and got.valid_until == dt.date(2035, 6, 1)
    assert got.id_number == card.id_number and got.address == card.address and got.issuer == card.issuer
    assert got.photo_wlt == b"w" * 1024 and got.photo_bmp is None


def test_name_field_offsets_follow_the_layout() -> None:
    block = encode_text_block(sample_id_card())
    assert block[0:6] == "林小明".encode("utf-16-le")
    assert block[6:30] == " ".encode("utf-16-le") * 12  # space padded
    assert block[30:32] == b"1\x00"  # sex
    assert block[32:36] == "01".encode("utf-16-le")


def test_no_expiry_changqi_gives_none() -> None:
    got = decode_text_block(encode_text_block(sample_id_card(valid_until=None)))
    assert got.valid_until is None
    assert encode_text_block(sample_id_card(valid_until=None))[204:208] == "长期".encode("utf-16-le")


@pytest.mark.parametrize("name", ["王䶮", "李\ue000明", "欧阳娜娜娜娜娜娜娜娜娜娜娜娜娜"])
def test_rare_and_private_use_characters_and_a_full_15_char_name(name: str) -> None:
    assert decode_text_block(encode_text_block(sample_id_card(name))).name == name


def test_valid_surrogate_pair_decodes_to_the_supplementary_character() -> None:
    assert decode_text_block(encode_text_fields(fields(name="𠮷野"))).name == "𠮷野"


def test_lone_surrogate_is_an_encoding_error() -> None:
    block = bytearray(encode_text_block(sample_id_card()))
    block[2:4] = b"\x00\xd8"  # U+D800 alone
    with pytest.raises(IdTextError) as info:
        decode_text_block(bytes(block))
    assert info.value.code == "id_text_encoding" and info.value.field == "name"


def test_nul_padding_is_stripped_too() -> None:
    block = bytearray(encode_text_block(sample_id_card()))
    block[6:30] = bytes(24)
    assert decode_text_block(bytes(block)).name == "林小明"


@pytest.mark.parametrize("evil", ["张\u202e三", "张\x07三", "张\u200b三", "张\u2028三", "\u2066张三"])
def test_control_and_bidi_characters_in_a_name_are_refused(evil: str) -> None:
    with pytest.raises(IdTextError) as info:
        decode_text_block(encode_text_fields(fields(name=evil)))
    assert info.value.code == "id_text_bad_character" and info.value.field == "name"
    assert "张" not in str(info.value)  # the value is personal data: never in the message


def test_rtl_override_in_the_address_is_refused() -> None:
    with pytest.raises(IdTextError) as info:
        decode_text_block(encode_text_fields(fields(address="福州\u202e市")))
    assert info.value.field == "address"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"birth_date": "19900230"}, "id_text_bad_date"),
        ({"birth_date": "1990-1-1"}, "id_text_bad_date"),
        ({"valid_from": "2015061"}, "id_text_bad_date"),
        ({"valid_until": "长期有效"}, "id_text_bad_date"),
        ({"valid_until": "20100101"}, "id_text_bad_date"),
        ({"sex_code": "3"}, "id_text_bad_sex"),
        ({"ethnicity_code": "1"}, "id_text_bad_ethnicity"),
        ({"id_number": "35010219900101123"}, "id_text_bad_id_number"),
        ({"id_number": "350102199001011230"}, "id_text_bad_id_number"),  # wrong check character
        ({"name": ""}, "id_text_empty"),
        ({"issuer": ""}, "id_text_empty"),
    ],
)
def test_field_format_errors_are_typed(change: dict[str, str], code: str) -> None:
    with pytest.raises(IdTextError) as info:
        decode_text_block(encode_text_fields(fields(**change)))
    assert info.value.code == code


def test_x_check_character() -> None:
    first17 = "11010519491231002"
    assert id_number_check_char(first17) == "X"
    got = decode_text_block(encode_text_fields(fields(id_number=first17 + "X")))
    assert got.id_number.endswith("X")


@pytest.mark.parametrize("card_type", ["I", "J"])
def test_foreign_and_residence_permit_cards_are_refused(card_type: str) -> None:
    block = encode_text_fields(fields(card_type=card_type))
    assert block[CARD_TYPE_OFFSET : CARD_TYPE_OFFSET + 2] == card_type.encode("utf-16-le")
    with pytest.raises(IdCardTypeUnsupported) as info:
        decode_text_block(block)
    assert info.value.code == "id_card_type_unsupported"


def test_wrong_block_length() -> None:
    with pytest.raises(IdTextError) as info:
        decode_text_block(bytes(255))
    assert info.value.code == "id_text_length"


def test_encoder_refuses_an_overlong_field() -> None:
    with pytest.raises(ValueError):
        encode_text_fields(fields(name="一" * 16))


def test_repr_hides_personal_data() -> None:
    card = decode_text_block(encode_text_block(sample_id_card()))
    assert "林" not in repr(card) and "林" not in repr(fields_from_card(card))


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(min_size=256, max_size=256))
def test_random_blocks_decode_or_raise_a_typed_error(block: bytes) -> None:
    with contextlib.suppress(IdTextError):
        assert isinstance(decode_text_block(block), IdCardData)
