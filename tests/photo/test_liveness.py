"""Landmark liveness: a blink or a head turn passes; a printed photo held up (static, moved
rigidly, or tilted) does not."""

from __future__ import annotations

import pytest

from kiosk.photo.detector import FaceDetection, Image, detect_faces
from kiosk.photo.liveness import Kind, LivenessChallenge, nose_parallax
from tests.photo.synth import blink_sequence, printout_moves, tilt_printout, turn_head, two_face_frame


def run(ch: LivenessChallenge, frames: list[Image]) -> str:
    state = None
    for f in frames:
        state = ch.feed(f)
        if state.status != "pending":
            break
    assert state is not None
    return state.status


def test_blink_passes(frame: Image, frame_face: FaceDetection) -> None:
    ch = LivenessChallenge("blink", max_frames=20)
    first = ch.feed(frame)
    assert first.status == "pending" and first.code == "blink"
    assert run(ch, blink_sequence(frame, frame_face.landmarks)) == "passed"
    assert ch.best_frame is not None and ch.best_face is not None  # for the face verification


def test_blink_passes_on_a_second_face(astronaut: Image) -> None:
    # the patch on the suit is a second (weak) detection: keep the head and shoulders only
    head = astronaut[:300]
    face = detect_faces(head)[0]
    assert run(LivenessChallenge("blink", max_frames=20), blink_sequence(head, face.landmarks)) == "passed"


def test_static_printout_fails(frame: Image) -> None:
    ch = LivenessChallenge("blink", max_frames=12)
    assert run(ch, [frame] * 12) == "failed"
    assert ch.feed(frame).code == "liveness_failed"


@pytest.mark.parametrize("kind", ["blink", "turn_left", "turn_right"])
def test_rigidly_moved_printout_fails(frame: Image, kind: str) -> None:
    frames = printout_moves(frame, n=12)
    assert run(LivenessChallenge(kind, max_frames=12), frames) == "failed"  # type: ignore[arg-type]


def test_head_turn_passes_both_ways(frame: Image, frame_face: FaceDetection) -> None:
    lm = frame_face.landmarks
    left = [frame] * 3 + [turn_head(frame, lm, s) for s in (0.1, 0.2, 0.3)]
    right = [frame] * 3 + [turn_head(frame, lm, -s) for s in (0.1, 0.2, 0.3)]
    assert run(LivenessChallenge("turn_left", max_frames=10), left) == "passed"
    assert run(LivenessChallenge("turn_right", max_frames=10), right) == "passed"
    # the wrong way does not count
    assert run(LivenessChallenge("turn_right", max_frames=6), left) == "failed"


def test_tilted_printout_fails_the_turn(frame: Image, frame_face: FaceDetection) -> None:
    frames = [frame] * 3 + [tilt_printout(frame, a) for a in (0.1, 0.2, 0.3, -0.1, -0.2, -0.3)]
    kinds: tuple[Kind, ...] = ("turn_left", "turn_right")
    for kind in kinds:
        assert run(LivenessChallenge(kind, max_frames=9), frames) == "failed"
    # why: a flat picture shows no parallax between its nose and its outline
    tilted = detect_faces(tilt_printout(frame, 0.3))[0]
    turned = detect_faces(turn_head(frame, frame_face.landmarks, 0.3))[0]
    assert nose_parallax(frame_face.landmarks, tilted.landmarks) < 0.08 < nose_parallax(
        frame_face.landmarks, turned.landmarks)


def test_second_face_restarts_the_challenge(frame: Image, frame_face: FaceDetection, obama: Image,
                                            biden: Image) -> None:
    ch = LivenessChallenge("blink", max_frames=30)
    seq = blink_sequence(frame, frame_face.landmarks)
    for f in seq[:5]:  # baseline and the closed eyes
        ch.feed(f)
    assert ch.feed(two_face_frame(obama, biden)).code == "multiple_faces"
    for f in seq[6:]:  # eyes open again: without the closed frames no blink is seen
        assert ch.feed(f).status == "pending"
