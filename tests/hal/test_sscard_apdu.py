"""The chip's byte table and codecs (pure; no pcscd): anchored on the bytes in sscard-chip.md."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hal.emulators.vcard import TEST_CARD_KEY, VirtualSsCard, build_reset_apdu
from hal.sscard import apdu
from hal.sscard.apdu import SwKind
from hal.sscard.errors import CardDataError, CardProtocolError
from hal.sscard.pcsc_transport import PcscTransport, choose_reader, reader_matches
from hal.types import PinOutcome


def test_command_bytes_match_the_reference() -> None:
    assert apdu.select_ssse() == bytes.fromhex("00A404000F7378312E73682EC9E7BBE1B1A3D5CF")
    assert apdu.select_ef(apdu.EF05) == bytes.fromhex("00A4020002EF05")
    assert apdu.verify("888888") == bytes.fromhex("0020000003888888")
    assert apdu.change_pin("123456", "654321") == bytes.fromhex("805E010007123456FF654321")
    assert apdu.reload_pin("123456", b"\x01\x02\x03\x04") == bytes.fromhex("805E00000712345601020304")
    assert apdu.get_challenge() == bytes.fromhex("0084000008")
    assert apdu.external_auth(apdu.AUTH_READ, bytes(16)) == bytes.fromhex("0082000A10") + bytes(16)
    assert apdu.external_auth(apdu.AUTH_WRITE, bytes(16))[:5] == bytes.fromhex("0082000410")
    assert apdu.get_response(0x10) == bytes.fromhex("00C0000010")
    assert apdu.read_record(0x08, 20) == bytes.fromhex("00B2080014")
    assert apdu.pin_unblock(bytes(16), bytes(4))[:5] == bytes.fromhex("8424000114")
    assert apdu.with_le(apdu.read_record(0x09, 32), 0x20) == bytes.fromhex("00B2090020")


def test_tag_table_lengths() -> None:
    lengths = {item.tag: item.length for item in apdu.ITEMS}
    assert lengths == {0x01: 16, 0x02: 1, 0x03: 4, 0x04: 12, 0x05: 4, 0x06: 4, 0x07: 9,
                       0x08: 18, 0x09: 30, 0x4E: 20, 0x0A: 1, 0x0B: 1, 0x0C: 3, 0x0D: 4}


def test_codecs() -> None:
    assert apdu.pin_bcd("12345") == bytes.fromhex("12345F")
    assert apdu.encode_cn("350102", 3) == bytes.fromhex("350102")
    assert apdu.encode_cn("3501", 3) == bytes.fromhex("3501FF")
    assert apdu.decode_cn(bytes.fromhex("3501FF")) == "3501"
    assert apdu.encode_date(dt.date(1990, 3, 7)) == bytes.fromhex("19900307")
    assert apdu.decode_date(bytes.fromhex("FFFFFFFF")) is None
    assert apdu.decode_date(bytes(4)) is None
    with pytest.raises(CardDataError):
        apdu.decode_date(bytes.fromhex("19901399"))
    assert apdu.encode_text("3.00", 4, apdu.Encoding.ASCII) == b"3.00"
    assert apdu.decode_ascii(b"3\x00") == "3"


def test_name_extension_split_and_join() -> None:
    short_head, short_tail = apdu.split_name("林小明")
    assert short_head == "林小明".encode("gbk").ljust(30, b"\x00") and short_tail == bytes(20)
    long_name = "阿卜杜热合曼·买买提依明·艾则孜·托合提尼亚孜"  # 23 characters: > 30 GBK bytes
    head, tail = apdu.split_name(long_name)
    assert len(head) == 30 and len(tail) == 20 and tail.strip(b"\x00")
    assert apdu.join_name(head, tail) == long_name
    with pytest.raises(ValueError):
        apdu.split_name("张" * 26)


def test_rare_characters_use_gb18030_codes() -> None:
    head, tail = apdu.split_name("王䶮𠮷")
    assert head.rstrip(b"\x00") == "王".encode("gbk") + bytes.fromhex("FE9F") + bytes.fromhex("9534B235")
    assert apdu.join_name(head, tail) == "王䶮𠮷"
    garbled = apdu.join_name(bytes.fromhex("CDF5FF30") + bytes(26), b"")
    assert not apdu.is_exact_name(garbled) and garbled.startswith("王")


def test_status_word_table() -> None:
    cases = {
        0x9000: (SwKind.OK, None), 0x6110: (SwKind.MORE_DATA, 16), 0x6100: (SwKind.MORE_DATA, 256),
        0x6C20: (SwKind.WRONG_LE, 32), 0x63C3: (SwKind.PIN_WRONG, 3), 0x6983: (SwKind.PIN_LOCKED, None),
        0x9303: (SwKind.APP_BLOCKED, None), 0x6982: (SwKind.SECURITY_NOT_SATISFIED, None),
        0x6984: (SwKind.REFERENCE_DATA_INVALID, None), 0x6985: (SwKind.CONDITIONS_NOT_SATISFIED, None),
        0x6988: (SwKind.BAD_MAC, None), 0x6A82: (SwKind.FILE_NOT_FOUND, None),
        0x6A83: (SwKind.RECORD_NOT_FOUND, None), 0x6A86: (SwKind.BAD_P1P2, None),
        0x6A88: (SwKind.KEY_NOT_FOUND, None), 0x1234: (SwKind.UNKNOWN, None),
    }
    for sw, (kind, count) in cases.items():
        status = apdu.classify_sw(sw)
        assert (status.kind, status.count) == (kind, count), hex(sw)
    assert apdu.pin_result(0x63C2).outcome is PinOutcome.WRONG and apdu.pin_result(0x63C2).tries_left == 2
    assert apdu.pin_result(0x63C0).outcome is PinOutcome.LOCKED
    assert apdu.pin_result(0x6983).outcome is PinOutcome.LOCKED
    assert apdu.pin_result(0x9303).outcome is PinOutcome.LOCKED
    assert apdu.pin_result(0x6985).outcome is PinOutcome.REFUSED
    assert apdu.pin_result(0x9000).outcome is PinOutcome.OK


def test_reader_pattern() -> None:
    names = ["Virtual PCD 00 00", "Virtual PCD 00 01"]
    assert choose_reader("00 01$", names) == "Virtual PCD 00 01"
    assert choose_reader("virtual pcd", names) == "Virtual PCD 00 00"
    assert choose_reader("PCD 00 01", names) == "Virtual PCD 00 01"
    assert choose_reader("(unbalanced", ["x (unbalanced y"]) == "x (unbalanced y"  # substring fallback
    assert choose_reader("ACS", names) is None
    assert reader_matches(None, "anything")


# --- properties: only the driver's typed errors escape --------------------------------------

TYPED = (CardDataError, CardProtocolError)


@given(st.integers(min_value=0, max_value=0xFFFF))
def test_any_status_word_maps_to_a_result(sw: int) -> None:
    status = apdu.classify_sw(sw)
    assert status.sw == sw
    result = apdu.pin_result(sw)
    assert result.sw == f"{sw:04X}"
    if status.kind is SwKind.PIN_WRONG:
        assert result.tries_left == sw & 0x0F


@settings(deadline=None)
@given(st.binary(max_size=300), st.sampled_from(apdu.ITEMS))
def test_corrupt_records_raise_only_typed_errors(raw: bytes, item: apdu.Item) -> None:
    try:
        data, _sw = apdu.split_response(raw)
        value = apdu.parse_record(item.tag, data)
        apdu.decode_item(item, value)
        apdu.join_name(value, raw)
    except TYPED:
        pass


@given(st.text(alphabet=st.characters(codec="gb18030", exclude_categories=("Cs", "Cc", "Cf")), max_size=12))
def test_name_round_trip(name: str) -> None:
    name = name.strip("\x00 ")
    try:
        head, tail = apdu.split_name(name)
    except ValueError:
        return  # longer than 50 bytes
    assert apdu.join_name(head, tail) == name.rstrip("\x00 \uffff")


class _FeedTransport(PcscTransport):
    """The 61xx/6Cxx chain logic fed by canned responses (our transport, not pyscard, is replaced)."""

    def __init__(self, responses: list[bytes]) -> None:
        super().__init__("unused")
        self._responses = responses

    def transmit(self, command: bytes) -> bytes:
        if not self._responses:
            return b"\x90\x00"
        return self._responses.pop(0)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.binary(max_size=8), st.sampled_from(
    [b"\x61\x04", b"\x6c\x02", b"\x61\x00", b"\x6c\x00", b"\x90\x00", b"\x63\xc1"])), max_size=80))
def test_response_chains_raise_only_typed_errors(responses: list[bytes]) -> None:
    with contextlib.suppress(*TYPED):
        _FeedTransport(responses).exchange(apdu.read_record(0x09, 32))


def test_61xx_chain_collects_data() -> None:
    transport = _FeedTransport([b"\x61\x02", b"AB\x61\x01", b"C\x90\x00"])
    assert transport.exchange(apdu.get_challenge()) == (b"ABC", 0x9000)
    transport = _FeedTransport([b"\x6c\x03", b"XYZ\x90\x00"])
    assert transport.exchange(apdu.read_record(1, 0)) == (b"XYZ", 0x9000)


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=0, max_size=40))
def test_virtual_card_answers_every_apdu(command: bytes) -> None:
    card = VirtualSsCard.personalised()
    card.process(apdu.select_ssse())
    response = card.process(command)
    assert len(response) >= 2


def test_reset_apdu_shape() -> None:
    command = build_reset_apdu(TEST_CARD_KEY, bytes(8), "123456")
    assert command[:5] == bytes.fromhex("8424000114") and len(command) == 25
    assert build_reset_apdu(TEST_CARD_KEY, bytes(8), "123456") == command  # deterministic
    assert build_reset_apdu(TEST_CARD_KEY, b"\x01" * 8, "123456") != command


def test_test_key_vectors() -> None:
    """docs/chip-test-keys.md, recomputed here from the page (not through vcard's helpers)."""
    import hashlib
    import hmac

    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    from hal.emulators.vcard import TEST_AUTH_KEY, external_auth_cryptogram

    challenge = bytes.fromhex("0001020304050607")
    session = hmac.new(b"SSCARD-TEST-KEY1", b"PIN-RESET" + challenge, hashlib.sha256).digest()[:16]
    plain = bytes.fromhex("06246810") + b"\xff" * 12
    encryptor = Cipher(algorithms.AES(session), modes.ECB()).encryptor()
    block = encryptor.update(plain) + encryptor.finalize()
    header = bytes.fromhex("8424000114")
    mac = hmac.new(session, header + block, hashlib.sha256).digest()[:4]
    vector = "8424000114A73D55FBF96FB392C5E986DFE9EC40DD0576EA63"
    assert (header + block + mac).hex().upper() == vector
    assert build_reset_apdu(TEST_CARD_KEY, challenge, "246810").hex().upper() == vector
    expected = hmac.new(b"SSCARD-AUTH-KEY1", b"EXT-AUTH\x0a" + challenge, hashlib.sha256).digest()[:16]
    assert expected.hex().upper() == "DB2D9DDA5D1EE6ED19C1E255FB526ACB"
    assert external_auth_cryptogram(TEST_AUTH_KEY, challenge, 0x0A) == expected


def test_control_and_bidi_characters_in_a_chip_name_are_not_trusted() -> None:
    from hal.sscard import apdu

    evil = "张\u202e三".encode("gb18030")
    name = apdu.join_name(evil, b"")
    assert "\u202e" not in name and not apdu.is_exact_name(name)
    assert apdu.is_exact_name(apdu.join_name("张三".encode("gbk"), b""))
