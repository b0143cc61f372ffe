"""PhotoSession: steady for N frames, then auto-capture; any failure or movement restarts."""

from __future__ import annotations

from kiosk.photo.detector import Image
from kiosk.photo.session import PhotoSession
from kiosk.photo.settings import PhotoSettings
from tests.photo.synth import rigid


def test_auto_capture_after_n_steady_frames(frame: Image) -> None:
    session = PhotoSession(PhotoSettings(steady_frames=3))
    fb = [session.feed(frame) for _ in range(3)]
    assert [f.steady_count for f in fb] == [1, 2, 3]
    assert not fb[0].captured and not fb[1].captured
    assert fb[2].captured and fb[2].code == "captured" and fb[2].zh == "拍照完成"
    assert session.photo is not None and fb[2].photo is session.photo
    assert 14 * 1024 <= session.photo.size_bytes <= 40 * 1024
    # keeps the photo until the citizen retakes
    assert session.feed(frame).photo is session.photo
    session.reset()
    assert session.photo is None and session.feed(frame).steady_count == 1


def test_moving_citizen_is_asked_to_hold_still(frame: Image) -> None:
    session = PhotoSession(PhotoSettings(steady_frames=3))
    codes = [session.feed(rigid(frame, dx, 0, 0, 1.0)).code for dx in (0, 25, 0, 25, 0)]
    assert codes[1:] == ["not_steady"] * 4
    assert session.photo is None


def test_a_failed_frame_restarts_the_count(frame: Image, coffee: Image) -> None:
    session = PhotoSession(PhotoSettings(steady_frames=3))
    session.feed(frame)
    session.feed(frame)
    fb = session.feed(coffee)
    assert fb.code == "no_face" and fb.en and fb.steady_count == 0
    assert session.feed(frame).steady_count == 1
    assert not session.feed(frame).captured
    assert session.feed(frame).captured
