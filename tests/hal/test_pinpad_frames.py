"""ZT588 framing, key codes, error table, ISO 9564 format 0, and parser property tests."""

from __future__ import annotations

import contextlib
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hal.pinpad.iso9564 import PinBlockError, decode_format0, format0_block, pan_digits
from hal.pinpad.zt588_frames import (
    ETX,
    KEY_CODES,
    MAX_TEXT_LEN,
    STX,
    Key,
    KeyPress,
    PadCommand,
    PadError,
    PadFrame,
    PadFrameError,
    PadFrameFault,
    PinFormat,
    Zt588PadError,
    Zt588Parser,
    Zt588ProtocolError,
    encode_frame,
    encode_get_pin_block,
    encode_response,
    encode_set_length,
    encode_start_pin,
    key_test_label,
    parse_request,
    parse_response,
)
from hal.status import Action, DeviceError

FUZZ = settings(max_examples=2000, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
Item = PadFrame | KeyPress | PadFrameError


def test_frame_layout_and_xor() -> None:
    wire = encode_frame("3")
    # STX "001" "3" ETX, XOR of "001" "3" ETX = 0x30^0x30^0x31^0x33^0x03 = 0x01
    assert wire == b"\x02" + b"0013" + b"\x03" + b"01"
    assert encode_set_length(6, 6) == encode_frame("5L0606")
    assert encode_start_pin(PinFormat.ISO0, 1) == encode_frame("601")
    assert encode_get_pin_block("123456789012") == encode_frame("7123456789012")


def test_round_trip_of_requests_and_responses() -> None:
    (frame,) = Zt588Parser().feed(encode_frame("7123456789012"))
    assert isinstance(frame, PadFrame)
    assert parse_request(frame) == (PadCommand.GET_PIN_BLOCK, "123456789012")
    (answer,) = Zt588Parser().feed(encode_response("7", None, "0123456789ABCDEF"))
    assert isinstance(answer, PadFrame)
    resp = parse_response(answer)
    assert (resp.command, resp.error, resp.data) == ("7", None, "0123456789ABCDEF")
    (err,) = Zt588Parser().feed(encode_response("6", PadError.EE))
    assert isinstance(err, PadFrame) and parse_response(err).error is PadError.EE


def test_bare_bytes_are_key_presses_and_digits_are_only_a_digit() -> None:
    items = Zt588Parser().feed(b"*5\r\x1b\x08\x18A" + encode_frame("300") + b"*")
    keys = [i.key for i in items if isinstance(i, KeyPress)]
    assert keys == [Key.DIGIT, Key.DIGIT, Key.ENTER, Key.CANCEL, Key.BACKSPACE, Key.CLEAR, Key.UNKNOWN, Key.DIGIT]
    assert sum(isinstance(i, PadFrame) for i in items) == 1
    assert "5" not in repr(items[1])  # the code of a clear digit is hidden from reprs
    assert key_test_label(ord("5")) == "5" and key_test_label(0x0D) == "enter"
    assert key_test_label(0x7E) == "unknown"


def test_error_table_is_complete() -> None:
    assert [e.name for e in PadError] == [f"E{c}" for c in "0123456789ABCDEF"]
    assert len({e.info.code for e in PadError}) == 16
    assert PadError.E1.info.code == "zt588_master_key_required"
    assert PadError.EE.info.code == "zt588_entry_timeout"
    err = Zt588PadError(PadError.E1)
    assert err.code == "zt588_master_key_required" and err.action is Action.MAINTENANCE


@pytest.mark.parametrize(
    ("wire", "fault"),
    [
        (b"\x02ab1", PadFrameFault.BAD_LENGTH),
        (b"\x02999", PadFrameFault.BAD_LENGTH),
        (b"\x020013X01", PadFrameFault.BAD_TERMINATOR),
        (b"\x020013\x0399", PadFrameFault.BAD_CHECKSUM),
        (b"\x020013\x03zz", PadFrameFault.BAD_CHECKSUM),
    ],
)
def test_broken_frames_are_reported_and_the_next_frame_found(wire: bytes, fault: PadFrameFault) -> None:
    good = encode_frame("300")
    items = Zt588Parser().feed(wire + good)
    assert isinstance(items[0], PadFrameError) and items[0].fault is fault
    assert [i for i in items if isinstance(i, PadFrame)] == [PadFrame("300")]
    assert not any(isinstance(i, KeyPress) for i in items)  # the broken frame's tail is no key


def test_non_ascii_text_is_refused() -> None:
    body = b"002\xc3\xa9" + bytes([ETX])
    xor = 0
    for b in body:
        xor ^= b
    items = Zt588Parser().feed(bytes([STX]) + body + f"{xor:02X}".encode())
    assert isinstance(items[0], PadFrameError) and items[0].fault is PadFrameFault.BAD_TEXT


def test_partial_frame_waits_then_expires() -> None:
    parser = Zt588Parser()
    wire = encode_frame("700ABCDEF")
    assert parser.feed(wire[:5]) == []
    assert parser.expire_partial(10.0) == []
    assert parser.feed(wire[5:]) == [PadFrame("700ABCDEF")]
    assert parser.feed(wire[:5]) == []
    (expired,) = parser.expire_partial(0.0)
    assert expired.fault is PadFrameFault.EXPIRED and parser.pending == 0
    assert parser.feed(b"*") == [KeyPress(Key.DIGIT, 0x2A)]


def test_response_errors_are_typed() -> None:
    with pytest.raises(Zt588ProtocolError):
        parse_response(PadFrame("7"))
    with pytest.raises(Zt588ProtocolError):
        parse_response(PadFrame("7XY"))
    assert parse_request(PadFrame("")) == (None, "")
    assert parse_request(PadFrame("Zabc")) == (None, "abc")
    with pytest.raises(ValueError):
        encode_frame("x" * (MAX_TEXT_LEN + 1))


# -- ISO 9564 format 0 -------------------------------------------------------------------------


def test_format0_known_vector() -> None:
    assert format0_block("1234", "4111111111111111").hex().upper() == "041225EEEEEEEEEE"
    assert decode_format0(bytes.fromhex("041225EEEEEEEEEE"), "4111111111111111") == "1234"


def test_pan_digits_drops_the_check_character() -> None:
    assert pan_digits("35010219900101123X") == "219900101123"
    with pytest.raises(PinBlockError):
        pan_digits("A1234567")


@pytest.mark.parametrize("pin", ["123", "1234567890123", "12a4", "１２３４"])
def test_bad_pins_are_refused_without_echoing_them(pin: str) -> None:
    with pytest.raises(PinBlockError) as info:
        format0_block(pin, "6214830100000000123")
    assert pin not in str(info.value)


def test_wrong_pan_does_not_decode() -> None:
    block = format0_block("123456", "6214830100000000123")
    with pytest.raises(PinBlockError):
        decode_format0(block, "6214830199999999993")


@given(st.text("0123456789", min_size=4, max_size=12), st.text("0123456789", min_size=13, max_size=19))
def test_format0_round_trip(pin: str, pan: str) -> None:
    assert decode_format0(format0_block(pin, pan), pan) == pin


# -- parser properties -------------------------------------------------------------------------


def _run(stream: bytes, chunks: list[int]) -> list[Item]:
    parser = Zt588Parser()
    out: list[Item] = []
    pos = 0
    for size in [*chunks, len(stream)]:
        out += parser.feed(stream[pos : pos + size])
        pos += size
        assert parser.pending <= 1 + 3 + MAX_TEXT_LEN + 3
    out += parser.expire_partial(0.0)
    for item in out:
        if isinstance(item, PadFrame):
            with contextlib.suppress(DeviceError):
                parse_response(item)
            parse_request(item)
    return out


# Each example draws few values (bytes + a seed for structure): hypothesis' per-draw cost
# dominates otherwise, and 3 x 2000 examples must stay within the test budget.
seeds = st.integers(0, 2**32 - 1)
KEY_CODE_LIST = sorted(KEY_CODES)


def _chunks(rnd: random.Random) -> list[int]:
    return [rnd.randint(1, 32) for _ in range(rnd.randint(0, 10))]


@FUZZ
@given(st.binary(max_size=600), seeds)
def test_random_bytes_never_raise(stream: bytes, seed: int) -> None:
    _run(stream, _chunks(random.Random(seed)))


@FUZZ
@given(st.binary(max_size=200), seeds)
def test_frames_and_keys_survive_any_chunking(material: bytes, seed: int) -> None:
    rnd = random.Random(seed)
    texts, keys, stream, pos = [], b"", b"", 0
    for _ in range(rnd.randint(1, 5)):
        pressed = bytes(rnd.choice(KEY_CODE_LIST) for _ in range(rnd.randint(0, 5)))
        text = bytes(0x20 + c % 95 for c in material[pos : pos + rnd.randint(0, 40)]).decode()
        pos += 40
        stream += pressed + encode_frame(text)
        keys += pressed
        texts.append(text)
    items = _run(stream, _chunks(rnd))
    assert [i.text for i in items if isinstance(i, PadFrame)] == texts
    assert bytes(i.code for i in items if isinstance(i, KeyPress)) == keys


@FUZZ
@given(st.binary(max_size=40), seeds)
def test_corrupted_frames_never_raise(material: bytes, seed: int) -> None:
    rnd = random.Random(seed)
    text = bytes(0x20 + c % 95 for c in material).decode()
    wire = bytearray(b"*" + encode_frame(text) + b"\r" + encode_response("6", PadError.EE))
    for _ in range(rnd.randint(0, 6)):
        wire[rnd.randrange(len(wire))] = rnd.randrange(256)
    del wire[len(wire) - min(rnd.randint(0, 40), len(wire)) :]
    _run(bytes(wire), _chunks(rnd))


@pytest.mark.slow
def test_ten_thousand_fuzz_cases() -> None:
    """A wider seeded run than the hypothesis tests (plain random: ~0.3 s for 10,000 cases)."""
    rnd = random.Random(20261127)
    good = b"*" + encode_frame("700ABCDEF0123456789") + b"\r" + encode_response("6", PadError.EE)
    for case in range(10_000):
        if case % 2:
            stream = rnd.randbytes(rnd.randint(0, 400))
        else:
            wire = bytearray(good)
            for _ in range(rnd.randint(1, 6)):
                wire[rnd.randrange(len(wire))] = rnd.randrange(256)
            stream = bytes(wire[: rnd.randint(0, len(wire))])
        _run(stream, _chunks(rnd))
