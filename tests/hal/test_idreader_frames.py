"""SAM frames: the reference's ready-made frames, the streaming parser, and property tests."""

from __future__ import annotations

import contextlib
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hal.idreader.sam_frames import (
    MAX_FRAME,
    PREAMBLE,
    SW3_TABLE,
    FrameFault,
    SamCommand,
    SamFrame,
    SamFrameError,
    SamFrameParser,
    SamProtocolError,
    SamResultError,
    Sw3,
    Sw3Kind,
    encode_command,
    encode_frame,
    encode_read_data,
    encode_response,
    parse_read_data,
    parse_response,
)
from hal.status import Action, DeviceError

FUZZ = settings(max_examples=2000, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def frames(events: list[SamFrame | SamFrameError]) -> list[bytes]:
    return [e.payload for e in events if isinstance(e, SamFrame)]


@pytest.mark.parametrize(
    ("command", "wire"),
    [
        (SamCommand.READ_SAM_ID, "AAAAAA9669000312FFEE"),
        (SamCommand.FIND_CARD, "AAAAAA96690003200122"),
        (SamCommand.SELECT_CARD, "AAAAAA96690003200221"),
        (SamCommand.READ_TEXT_PHOTO, "AAAAAA96690003300132"),
        (SamCommand.READ_TEXT_PHOTO_FINGERPRINT, "AAAAAA96690003301023"),
    ],
)
def test_commands_match_the_reference_frames(command: SamCommand, wire: str) -> None:
    assert encode_command(command).hex().upper() == wire


@pytest.mark.parametrize(
    ("wire", "sw3", "data_len"),
    [
        ("AAAAAA9669000800009F0000000097", Sw3.FIND_OK, 4),
        ("AAAAAA96690004000080" + "84", Sw3.FIND_FAILED, 0),
        ("AAAAAA9669000C0000900000000000000000" + "9C", Sw3.OK, 8),
    ],
)
def test_reference_example_responses_parse(wire: str, sw3: Sw3, data_len: int) -> None:
    events = SamFrameParser().feed(bytes.fromhex(wire))
    assert len(events) == 1 and isinstance(events[0], SamFrame)
    resp = parse_response(events[0])
    assert resp.known_sw3 is sw3 and len(resp.data) == data_len
    assert encode_response(sw3, resp.data).hex().upper() == wire


def test_read_answer_layout_is_1295_bytes_with_text_at_14_and_photo_at_270() -> None:
    text, photo = bytes(range(256)), bytes([7]) * 1024
    wire = encode_response(Sw3.OK, encode_read_data(text, photo))
    assert len(wire) == 1295
    assert wire[14:270] == text and wire[270:1294] == photo
    (frame,) = SamFrameParser().feed(wire)
    assert isinstance(frame, SamFrame)
    blocks = parse_read_data(parse_response(frame).data, with_fingerprint=False)
    assert blocks.text == text and blocks.photo == photo and blocks.fingerprint is None


def test_fingerprint_answer_layout() -> None:
    data = encode_read_data(bytes(256), bytes(1024), bytes([1]) * 1024)
    blocks = parse_read_data(data, with_fingerprint=True)
    assert blocks.fingerprint == bytes([1]) * 1024
    assert len(encode_response(Sw3.OK, data)) <= MAX_FRAME


@pytest.mark.parametrize(
    "data",
    [b"", bytes(3), encode_read_data(bytes(255), bytes(1024)), encode_read_data(bytes(256), bytes(1024))[:-1]],
)
def test_bad_read_layout_is_a_typed_error(data: bytes) -> None:
    with pytest.raises(SamProtocolError) as info:
        parse_read_data(data, with_fingerprint=False)
    assert info.value.code == "sam_bad_read_layout"


def test_byte_by_byte_feed_gives_the_same_frame() -> None:
    wire = encode_response(Sw3.OK, bytes(range(40)))
    parser = SamFrameParser()
    got: list[SamFrame | SamFrameError] = []
    for b in wire:
        got += parser.feed(bytes([b]))
    assert frames(got) == [bytes([0, 0, 0x90]) + bytes(range(40))]
    assert parser.pending == 0


def test_garbage_before_a_frame_is_reported_and_skipped() -> None:
    wire = b"\x01\x02\xaa\xaa\x03" + encode_response(Sw3.FIND_FAILED)
    events = SamFrameParser().feed(wire)
    assert events[0] == SamFrameError(FrameFault.DISCARDED, 5)
    assert frames(events) == [bytes([0, 0, 0x80])]


def test_bad_checksum_is_rejected_and_the_next_frame_found() -> None:
    bad = bytearray(encode_response(Sw3.OK, b"abc"))
    bad[-1] ^= 0xFF
    events = SamFrameParser().feed(bytes(bad) + encode_response(Sw3.FIND_FAILED))
    assert any(isinstance(e, SamFrameError) and e.fault is FrameFault.BAD_CHECKSUM for e in events)
    assert frames(events) == [bytes([0, 0, 0x80])]


def test_truncated_frame_then_a_complete_one_after_reset() -> None:
    parser = SamFrameParser()
    full = encode_response(Sw3.OK, bytes(100))
    assert parser.feed(full[:50]) == []
    assert parser.pending == 50  # waiting: the driver reports a truncated frame on its timeout
    parser.reset()
    assert frames(parser.feed(full)) == [full[7:-1]]


@pytest.mark.parametrize("length", [0, 1, 2, 0x0A01, 0xFFFF])
def test_absurd_lengths_are_rejected_and_resynchronised(length: int) -> None:
    junk = PREAMBLE + length.to_bytes(2, "big") + b"\x00" * 10
    events = SamFrameParser().feed(junk + encode_response(Sw3.OK))
    assert any(isinstance(e, SamFrameError) and e.fault is FrameFault.BAD_LENGTH for e in events)
    assert frames(events) == [bytes([0, 0, 0x90])]


def test_preamble_split_across_reads() -> None:
    wire = encode_response(Sw3.OK)
    parser = SamFrameParser()
    assert parser.feed(b"\x00\x00" + wire[:3]) == [SamFrameError(FrameFault.DISCARDED, 2)]
    assert frames(parser.feed(wire[3:])) == [wire[7:-1]]


def test_encode_frame_bounds() -> None:
    with pytest.raises(ValueError):
        encode_frame(b"")
    with pytest.raises(ValueError):
        encode_frame(bytes(MAX_FRAME))


def test_response_with_nonzero_sw1_sw2_or_too_short_is_a_typed_error() -> None:
    with pytest.raises(SamProtocolError):
        parse_response(SamFrame(b"\x01\x00\x90"))
    with pytest.raises(SamProtocolError):
        parse_response(SamFrame(b"\x00\x00"))


def test_every_sw3_has_a_meaning_and_a_distinct_code() -> None:
    assert set(SW3_TABLE) == set(Sw3)
    codes = [info.code for info in SW3_TABLE.values()]
    assert len(codes) == len(set(codes)) == 18
    assert Sw3.FIND_FAILED.info.kind is Sw3Kind.NO_CARD
    assert Sw3.SAM_NOT_AUTHORISED.info.action is Action.MAINTENANCE
    err = SamResultError(Sw3.INFO_CHECK_FAILED)
    assert err.code == "sam_info_check_failed" and "33" in err.message
    assert SamResultError(0x77).code == "sam_unknown_sw3"


# -- properties ---------------------------------------------------------------------------------


def _check_stream(stream: bytes, chunks: list[int]) -> list[SamFrame | SamFrameError]:
    parser = SamFrameParser()
    out: list[SamFrame | SamFrameError] = []
    pos = 0
    for size in [*chunks, len(stream)]:
        out += parser.feed(stream[pos : pos + size])
        pos += size
        assert parser.pending <= MAX_FRAME
    for event in out:
        assert isinstance(event, SamFrame | SamFrameError)
        if isinstance(event, SamFrame):
            with contextlib.suppress(DeviceError):
                parse_response(event)
    return out


# Each example draws few values (bytes + a seed for structure): hypothesis' per-draw cost
# dominates otherwise, and 3 x 2000 examples must stay within the test budget.
seeds = st.integers(0, 2**32 - 1)


def _chunks(rnd: random.Random) -> list[int]:
    return [rnd.randint(1, 64) for _ in range(rnd.randint(0, 10))]


@FUZZ
@given(st.binary(max_size=600), seeds)
def test_random_bytes_never_raise(stream: bytes, seed: int) -> None:
    _check_stream(stream, _chunks(random.Random(seed)))


@FUZZ
@given(st.binary(max_size=300), seeds)
def test_valid_frames_survive_garbage_and_any_chunking(material: bytes, seed: int) -> None:
    rnd = random.Random(seed)
    expected, stream, pos = [], b"", 0
    for _ in range(rnd.randint(1, 5)):
        garbage = bytes(b for b in material[pos : pos + rnd.randint(0, 20)] if b != 0xAA)
        pos += 20
        data = material[pos : pos + rnd.randint(0, 40)]
        pos += 40
        sw3 = rnd.choice(list(Sw3))
        stream += garbage + encode_response(sw3, data)
        expected.append(bytes([0, 0, int(sw3)]) + data)
    assert frames(_check_stream(stream, _chunks(rnd))) == expected


@FUZZ
@given(st.binary(max_size=60), seeds)
def test_corrupted_frames_never_raise(data: bytes, seed: int) -> None:
    rnd = random.Random(seed)
    wire = bytearray(encode_response(Sw3.OK, data) + encode_command(SamCommand.FIND_CARD))
    for _ in range(rnd.randint(0, 6)):
        wire[rnd.randrange(len(wire))] = rnd.randrange(256)
    del wire[len(wire) - min(rnd.randint(0, 40), len(wire)) :]
    _check_stream(bytes(wire), _chunks(rnd))


@pytest.mark.slow
def test_ten_thousand_fuzz_cases() -> None:
    """A wider seeded run than the hypothesis tests (plain random: ~0.2 s for 10,000 cases)."""
    rnd = random.Random(20261127)
    good = encode_response(Sw3.OK, bytes(range(50))) + encode_command(SamCommand.FIND_CARD)
    for case in range(10_000):
        if case % 2:
            stream = rnd.randbytes(rnd.randint(0, 400))
        else:
            wire = bytearray(good)
            for _ in range(rnd.randint(1, 6)):
                wire[rnd.randrange(len(wire))] = rnd.randrange(256)
            stream = bytes(wire[: rnd.randint(0, len(wire))])
        _check_stream(stream, _chunks(rnd))
