"""A live citizen for the simulator camera: a real portrait with painted blinks.

The kiosk's face check (kiosk/flows/face_check.py) starts with a blink challenge, which a still
photograph never passes. The simulator (demo, screenshots, UI and flow tests) shows a citizen by
playing a portrait's frames with the eyes painted shut for a moment: the eye opening inpainted from
the surrounding lid skin, then a dark lash line where the lids meet.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import numpy.typing as npt

from kiosk.photo.detector import Image, detect_faces, u8

Landmarks = npt.NDArray[np.float64]
FRAME = (640, 480)


def close_eyes(img: Image, lm: Landmarks) -> Image:
    """Paint both eyes shut: the eye opening inpainted from the surrounding lid skin, then a
    dark, slightly curved lash line where the lids meet."""
    mask = np.zeros(img.shape[:2], np.uint8)
    for idx in (slice(36, 42), slice(42, 48)):
        eye = lm[idx]
        w = float(np.linalg.norm(eye[3] - eye[0]))
        hull = cv2.convexHull(eye.astype(np.int32))
        cv2.fillConvexPoly(mask, hull, 255)
        cv2.polylines(mask, [hull], True, 255, max(2, int(0.22 * w)))
    out = u8(cv2.inpaint(img, mask, 5, cv2.INPAINT_TELEA))
    for idx in (slice(36, 42), slice(42, 48)):
        eye = lm[idx]
        w = float(np.linalg.norm(eye[3] - eye[0]))
        cx, cy = eye.mean(axis=0)
        skin = out[int(cy), int(cx)].astype(np.float64)
        lash = tuple(int(c * 0.3) for c in skin)
        angle_deg = math.degrees(math.atan2(eye[3][1] - eye[0][1], eye[3][0] - eye[0][0]))
        cv2.ellipse(out, (int(cx), int(cy + 0.05 * w)), (int(0.5 * w), int(0.12 * w)), angle_deg, 0, 180,
                    lash, max(2, int(0.07 * w)))
    return out


def blink_sequence(
    img: Image, lm: Landmarks, open_before: int = 4, closed: int = 2, open_after: int = 3
) -> list[Image]:
    shut = close_eyes(img, lm)
    return [img] * open_before + [shut] * closed + [img] * open_after


def _framings(portrait: Image) -> list[Image]:
    """The portrait as a 640x480 camera would see the citizen: head and shoulders close up, or the
    whole portrait a step back."""
    w = portrait.shape[1]
    rows = round(w * FRAME[1] / FRAME[0])
    close = u8(cv2.resize(portrait[:rows], FRAME, interpolation=cv2.INTER_AREA))
    scaled = u8(cv2.resize(portrait, None, fx=0.9, fy=0.9))
    back = np.full((FRAME[1], FRAME[0], 3), 235, np.uint8)
    h, sw = min(scaled.shape[0], FRAME[1]), min(scaled.shape[1], FRAME[0])
    x = (FRAME[0] - sw) // 2
    back[:h, x:x + sw] = scaled[:h, :sw]
    return [close, back]


OPEN, SHUT = 4, 1  # frames with the eyes open on each side of one shut frame


def live_citizen(portrait: Image) -> list[Image] | None:
    """Frames of the portrait's person blinking, looped by the simulator camera; None when no framing
    of it reads as a blink (at some framings a portrait's lids keep their open landmarks, so each
    candidate is checked with the kiosk's own liveness challenge).

    The loop is read from wherever the camera happens to be, so a challenge may start on the shut
    frame; one shut frame keeps the open-eye baseline high enough from any start (two shut frames
    at the start would make "shut" the baseline). Checked from the start and from the shut frame."""
    from kiosk.photo.liveness import LivenessChallenge

    def passes(seq: list[Image], start: int) -> bool:
        challenge = LivenessChallenge("blink", max_frames=3 * len(seq))
        i = start
        while challenge.status == "pending":
            challenge.feed(seq[i % len(seq)])
            i += 1
        return challenge.status == "passed"

    for frame in _framings(portrait):
        faces = detect_faces(frame)
        if not faces:
            continue
        seq = blink_sequence(frame, faces[0].landmarks, open_before=OPEN, closed=SHUT, open_after=OPEN)
        if passes(seq, 0) and passes(seq, OPEN):
            return seq
    return None
