"""Per-frame compliance checks for the card photo, with typed results.

Each check yields a :class:`CheckResult` with a stable code (see ``messages.py``) and the
measured value. :func:`analyse_frame` runs them all on one frame; the first failure in
priority order is the instruction shown to the citizen.

What the landmark-based checks can and cannot tell:

* one face: every HOG detection scoring above ``other_face_score_min`` (below dlib's own 0
  default) counts, so a weak second face-like hit rejects the frame. A real second person
  scores far higher; the price is that a face-like poster or badge behind the citizen also
  rejects it (astronaut.png's mission patch is exactly such a hit). A face turned away, or
  one smaller than ~80 px at detection scale, is not seen at all.
* frontal: yaw and roll are estimated from 2-D landmarks (nose tip between the face outline,
  eye line angle); pitch only roughly (nose height between eyes and chin). Not a 3-D pose.
* eyes open: the eye aspect ratio of the 6 eye landmarks. Squinting or a broad smile lowers
  it; very narrow eyes may need a lower threshold.
* hat: a heuristic only. It compares the colour of the forehead band above the eyebrows with
  the skin between the eyes. A hat brim or cap over the forehead, and also a thick fringe of
  hair, fails it; a hat worn high on the head above a bare forehead, a skin-coloured hat, a
  headscarf leaving the forehead free, and sunglasses are not detected.
* lighting: mean brightness of the face region only, not its evenness.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np
import numpy.typing as npt

from kiosk.photo.detector import FaceDetection, Image, Landmarks, detect_faces, u8
from kiosk.photo.geometry import PHOTO_H, PHOTO_W, TARGET_FACE_W, eye_centres, face_width, overflow, plan_crop
from kiosk.photo.settings import PhotoSettings

# the order in which failures are reported: the first failure is the one instruction shown
PRIORITY = (
    "no_face",
    "multiple_faces",
    "too_far",
    "too_close",
    "off_centre",
    "not_frontal",
    "head_tilted",
    "too_dark",
    "too_bright",
    "eyes_closed",
    "hat",
    "background_uneven",
)

MAX_UPSCALE = 1.6  # frame → photo scale beyond which the photo would be visibly soft
EDGE_TOLERANCE = 0.03  # fraction of the photo's source size allowed outside the frame
TOP_TOLERANCE_WHITENED = 0.10
NEUTRAL_PITCH_RATIO = 0.28  # nose tip at 28 % of the eye-line-to-chin height when level


@dataclass(frozen=True)
class CheckResult:
    code: str  # the failure code of this check (messages.MESSAGES key)
    passed: bool
    value: float | None = None  # the measured quantity, for the technician and the tests
    limit: str = ""  # the rule, human-readable


@dataclass(frozen=True)
class Pose:
    yaw_deg: float
    roll_deg: float
    pitch_ratio: float  # (nose tip - eye line) / (chin - eye line); about 0.28 when level


@dataclass(frozen=True)
class FrameAnalysis:
    faces: tuple[FaceDetection, ...]
    face: FaceDetection | None  # the subject, when there is exactly one
    results: tuple[CheckResult, ...] = field(default=())
    pose: Pose | None = None
    ear: float | None = None

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    @property
    def failures(self) -> tuple[str, ...]:
        failed = {r.code for r in self.results if not r.passed}
        return tuple(c for c in PRIORITY if c in failed)

    @property
    def code(self) -> str:
        """The instruction to show: the first failure, or "ok"."""
        f = self.failures
        return f[0] if f else "ok"


def eye_aspect_ratio(eye: Landmarks) -> float:
    """(|p2-p6| + |p3-p5|) / (2 |p1-p4|) over the 6 landmarks of one eye."""
    w = float(np.linalg.norm(eye[0] - eye[3]))
    if w <= 0:
        return 0.0
    return float((np.linalg.norm(eye[1] - eye[5]) + np.linalg.norm(eye[2] - eye[4])) / (2.0 * w))


def mean_ear(lm: Landmarks) -> float:
    return (eye_aspect_ratio(lm[36:42]) + eye_aspect_ratio(lm[42:48])) / 2.0


def estimate_pose(lm: Landmarks) -> Pose:
    le, re_ = eye_centres(lm)
    roll = math.degrees(math.atan2(re_[1] - le[1], re_[0] - le[0]))
    # undo the roll so yaw/pitch are read along the face's own axes
    a = -math.radians(roll)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    p = (lm - (le + re_) / 2.0) @ rot.T
    left, right = p[0, 0], p[16, 0]
    span = right - left
    r = (p[30, 0] - left) / span if span > 0 else 0.5
    yaw = math.degrees(math.asin(max(-1.0, min(1.0, 2.0 * r - 1.0))))
    chin = p[8, 1]
    pitch = float(p[30, 1] / chin) if chin > 0 else 0.0
    return Pose(yaw_deg=yaw, roll_deg=roll, pitch_ratio=pitch)


def _patch(img: Image, cx: float, cy: float, half_w: float, half_h: float) -> Image:
    h, w = img.shape[:2]
    x0, x1 = max(0, int(cx - half_w)), min(w, int(cx + half_w) + 1)
    y0, y1 = max(0, int(cy - half_h)), min(h, int(cy + half_h) + 1)
    return img[y0:y1, x0:x1]


def forehead_colour_distance(frame: Image, lm: Landmarks) -> float:
    """Lab distance between the forehead band above the eyebrows and the skin between the
    eyes (nose bridge). Large when something other than skin covers the forehead."""
    le, re_ = eye_centres(lm)
    iod = float(np.linalg.norm(re_ - le))
    brow_y = float(lm[17:27, 1].min())
    cx = float((lm[19, 0] + lm[24, 0]) / 2.0)
    half_w = float(abs(lm[24, 0] - lm[19, 0]) / 2.0)
    forehead = _patch(frame, cx, brow_y - 0.3 * iod, half_w, 0.15 * iod)
    bridge = _patch(frame, float(lm[28, 0]), float(lm[28, 1]), 0.12 * iod, 0.12 * iod)
    if forehead.size == 0 or bridge.size == 0:
        return float("inf")
    lab_f = cv2.cvtColor(forehead, cv2.COLOR_BGR2LAB).reshape(-1, 3).astype(np.float64)
    lab_b = cv2.cvtColor(bridge, cv2.COLOR_BGR2LAB).reshape(-1, 3).astype(np.float64)
    return float(np.linalg.norm(np.median(lab_f, axis=0) - np.median(lab_b, axis=0)))


def face_luma(frame: Image, lm: Landmarks) -> float:
    """Mean grey level inside the face outline (landmarks 0–26 hull)."""
    gray = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    mask = np.zeros(gray.shape, np.uint8)
    hull = cv2.convexHull(lm[:27].astype(np.int32))
    cv2.fillConvexPoly(mask, hull, 255)
    return float(cv2.mean(gray, mask=mask)[0])


def background_stats(frame: Image, lm: Landmarks) -> tuple[float, float]:
    """(mean, std) grey level of the two upper corners of the photo's source area, beside the
    head: where a plain backdrop should be."""
    gray = frame if frame.ndim == 2 else u8(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY))
    fw = face_width(lm)
    le, re_ = eye_centres(lm)
    mid = (le + re_) / 2.0
    vals: list[npt.NDArray[np.uint8]] = []
    for sx in (-1, 1):
        p = _patch(gray, float(mid[0] + sx * 1.05 * fw), float(mid[1] - 0.6 * fw), 0.2 * fw, 0.3 * fw)
        if p.size:
            vals.append(p.reshape(-1))
    if not vals:
        return 0.0, 255.0
    allv = np.concatenate(vals).astype(np.float64)
    return float(allv.mean()), float(allv.std())


def check_face(frame: Image, face: FaceDetection, s: PhotoSettings) -> tuple[list[CheckResult], Pose, float]:
    lm = face.landmarks
    h, w = frame.shape[:2]
    results: list[CheckResult] = []

    plan = plan_crop(lm)
    src_w, src_h = PHOTO_W / plan.scale, PHOTO_H / plan.scale
    ov = overflow(plan, w, h)
    results.append(CheckResult("too_far", plan.scale <= MAX_UPSCALE, face_width(lm),
                               f"face width >= {TARGET_FACE_W / MAX_UPSCALE:.0f} px"))
    results.append(CheckResult("too_close", src_w <= w and src_h <= h * (1 + EDGE_TOLERANCE),
                               src_h, f"photo source area within {w}x{h}"))
    le, re_ = eye_centres(lm)
    off = float(abs((le[0] + re_[0]) / 2.0 - w / 2.0) / w)
    # above the head is background: with whitening a strip of it may lie outside the frame
    top_tol = TOP_TOLERANCE_WHITENED if s.whiten_background else EDGE_TOLERANCE
    fits = ov[0] <= EDGE_TOLERANCE * src_w and ov[2] <= EDGE_TOLERANCE * src_w \
        and ov[1] <= top_tol * src_h and ov[3] <= EDGE_TOLERANCE * src_h
    results.append(CheckResult("off_centre", fits and off <= s.centre_tolerance, off,
                               f"eye midpoint within {s.centre_tolerance:.0%} of the centre, crop inside the frame"))

    pose = estimate_pose(lm)
    results.append(CheckResult("not_frontal", abs(pose.yaw_deg) <= s.max_yaw_deg
                               and abs(pose.pitch_ratio - NEUTRAL_PITCH_RATIO) <= s.max_pitch,
                               pose.yaw_deg, f"|yaw| <= {s.max_yaw_deg} deg"))
    results.append(CheckResult("head_tilted", abs(pose.roll_deg) <= s.max_roll_deg, pose.roll_deg,
                               f"|roll| <= {s.max_roll_deg} deg"))

    luma = face_luma(frame, lm)
    results.append(CheckResult("too_dark", luma >= s.min_face_luma, luma, f"face luma >= {s.min_face_luma}"))
    results.append(CheckResult("too_bright", luma <= s.max_face_luma, luma, f"face luma <= {s.max_face_luma}"))

    ear = mean_ear(lm)
    results.append(CheckResult("eyes_closed", ear >= s.eyes_open_min_ear, ear, f"EAR >= {s.eyes_open_min_ear}"))

    hat = forehead_colour_distance(frame, lm)
    results.append(CheckResult("hat", hat <= s.hat_max_colour_distance, hat,
                               f"forehead/skin Lab distance <= {s.hat_max_colour_distance}"))

    if s.require_plain_background:
        mean, std = background_stats(frame, lm)
        results.append(CheckResult("background_uneven", mean >= s.background_min_luma and std <= s.background_max_std,
                                   std, f"backdrop luma >= {s.background_min_luma}, std <= {s.background_max_std}"))
    return results, pose, ear


def analyse_frame(frame: Image, settings: PhotoSettings | None = None) -> FrameAnalysis:
    """Detect faces and run every check on one BGR frame."""
    s = settings or PhotoSettings()
    faces = tuple(detect_faces(frame, max_side=s.detect_max_side, min_score=s.other_face_score_min))
    subjects = [f for f in faces if f.score >= s.face_score_min]
    if not subjects:
        return FrameAnalysis(faces, None, (CheckResult("no_face", False, float(len(faces)), "one face"),))
    if len(faces) > 1:
        return FrameAnalysis(faces, None, (CheckResult("multiple_faces", False, float(len(faces)),
                                                       f"no second detection scoring >= {s.other_face_score_min}"),))
    face = subjects[0]
    results, pose, ear = check_face(frame, face, s)
    return FrameAnalysis(faces, face, (CheckResult("multiple_faces", True, 1.0), *results), pose, ear)
