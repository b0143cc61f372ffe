"""Compose the card photo: whiten the background, crop and scale to 358 × 441 with the head
geometry of the spec, and JPEG-encode within the configured size range.

Background whitening uses GrabCut, initialised from the 68 landmarks (face hull = sure
foreground, a head ellipse and a shoulder wedge = probable foreground, the area beside and
above the head = sure background). It runs on the photo's own crop at a third of its resolution
(about 125 × 185 px, 2 iterations), which keeps the whole pipeline well under 150 ms on a
640 × 480 frame; full-frame GrabCut costs several hundred ms. The alternative, only checking
that a backdrop is light and even (``PhotoSettings.require_plain_background``), is offered for
kiosks with a white backdrop and ``whiten_background = False``.

The segmentation also measures where the top of the head (hair included) really is, which
the landmarks cannot see. A segmentation that cannot be trusted (no plausible head top, or
"person" found well beside the head above the eye line, as with a busy or skin-coloured
background) is refused with the code ``background_uneven``: the citizen is asked to stand in
front of the backdrop rather than given a badly cut-out photo. Without whitening the head top
is estimated from the face width and the report says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from kiosk.photo.detector import FaceDetection, Image, detect_faces, u8
from kiosk.photo.geometry import (
    EYE_FROM_BOTTOM_MIN,
    EYE_X_RANGE,
    FACE_W_RANGE,
    HEAD_TOP_RANGE,
    PHOTO_H,
    PHOTO_W,
    TARGET_HEAD_TOP,
    CropPlan,
    eye_centres,
    face_width,
    plan_crop,
)
from kiosk.photo.settings import PhotoSettings

WORK_SCALE = 0.35  # GrabCut resolution relative to the photo (cost grows ~linearly with pixels)
TOP_MARGIN = 0.25  # extra canvas above the photo (fraction of its height) to find the head top
GRABCUT_ITERATIONS = 2
GRABCUT_SEED = 20211201
JFIF_DPI = 350
# beside the head above the eye line (further than this × face width from its centre line)
# there is only backdrop: big hair reaches ~0.7, so foreground here means a failed cut-out
SIDE_BAND_FACE_W = 0.8
SIDE_BAND_MAX_ALPHA = 0.3


class PhotoError(Exception):
    """The frame cannot give a compliant photo; ``code`` is a messages.MESSAGES key."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class PhotoGeometry:
    """Measured on the produced photo, in photo pixels."""

    face_width: float
    head_top: float  # rows from the top edge to the top of the head
    eye_mid_x: float
    eye_line_from_bottom: float
    head_top_method: str  # "segmented" or "estimated"

    def violations(self) -> list[str]:
        out = []
        if not FACE_W_RANGE[0] <= self.face_width <= FACE_W_RANGE[1]:
            out.append(f"face width {self.face_width:.0f} not in {FACE_W_RANGE}")
        if not HEAD_TOP_RANGE[0] <= self.head_top <= HEAD_TOP_RANGE[1]:
            out.append(f"head top {self.head_top:.0f} not in {HEAD_TOP_RANGE}")
        if not EYE_X_RANGE[0] <= self.eye_mid_x <= EYE_X_RANGE[1]:
            out.append(f"eye midpoint x {self.eye_mid_x:.0f} not in {EYE_X_RANGE}")
        if self.eye_line_from_bottom < EYE_FROM_BOTTOM_MIN:
            out.append(f"eye line {self.eye_line_from_bottom:.0f} px above the bottom < {EYE_FROM_BOTTOM_MIN}")
        return out


@dataclass(frozen=True)
class CardPhoto:
    jpeg: bytes
    width: int
    height: int
    quality: int
    geometry: PhotoGeometry
    whitened: bool

    @property
    def size_bytes(self) -> int:
        return len(self.jpeg)


def _affine3(m: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return np.vstack([m, [0.0, 0.0, 1.0]])


def _grabcut_init(shape: tuple[int, int], lm_w: npt.NDArray[np.float64], inside: Image) -> Image:
    """The GrabCut seed mask in working coordinates, from the landmarks mapped there."""
    h, w = shape
    fw = face_width(lm_w)
    le, re_ = eye_centres(lm_w)
    cx, eye_y = float((le[0] + re_[0]) / 2.0), float((le[1] + re_[1]) / 2.0)
    chin_y = float(lm_w[8, 1])
    mask = np.full((h, w), cv2.GC_PR_BGD, np.uint8)
    ys, xs = np.mgrid[0:h, 0:w]
    # sure background: high above any head, and beside the head above the shoulders
    mask[ys < eye_y - 1.3 * fw] = cv2.GC_BGD
    mask[(np.abs(xs - cx) > 0.9 * fw) & (ys < chin_y)] = cv2.GC_BGD
    # probable foreground: head ellipse (hair included) and a shoulder wedge below the chin
    cv2.ellipse(mask, (int(cx), int(eye_y - 0.15 * fw)), (int(0.62 * fw), int(0.95 * fw)), 0, 0, 360,
                int(cv2.GC_PR_FGD), -1)
    below = ys > chin_y + 0.05 * fw
    mask[below & (np.abs(xs - cx) < 0.45 * fw + (ys - chin_y) * 1.3)] = cv2.GC_PR_FGD
    # sure foreground: the face itself and the neck
    hull = cv2.convexHull(np.vstack([lm_w[:17], lm_w[17:27] - [0, 0.05 * fw]]).astype(np.int32))
    cv2.fillConvexPoly(mask, hull, int(cv2.GC_FGD))
    mask[(np.abs(xs - cx) < 0.18 * fw) & (ys > chin_y) & (ys < chin_y + 0.3 * fw)] = cv2.GC_FGD
    # the skull is at least ~0.5 face widths above the eye line (eye to vertex is ~0.75): the
    # central band up to there is head (forehead or hair) for certain; dark hair is otherwise
    # easily given to a dark background
    mask[(np.abs(xs - cx) < 0.25 * fw) & (ys > eye_y - 0.45 * fw) & (ys < eye_y)] = cv2.GC_FGD
    # outside the camera frame above the chin is background (below it, replicated clothing)
    mask[(inside == 0) & (ys < chin_y)] = cv2.GC_BGD
    return mask


def _segment(frame: Image, lm: npt.NDArray[np.float64], plan: CropPlan) -> tuple[Image, npt.NDArray[np.float64]]:
    """Foreground mask on a working canvas covering the planned photo plus a top margin, and
    the matrix frame → canvas."""
    top = TOP_MARGIN * PHOTO_H
    to_canvas = np.array([[WORK_SCALE, 0, 0], [0, WORK_SCALE, WORK_SCALE * top], [0, 0, 1]]) @ _affine3(plan.matrix())
    cw, ch = int(PHOTO_W * WORK_SCALE), int((PHOTO_H + top) * WORK_SCALE)
    m = to_canvas[:2]
    canvas = u8(cv2.warpAffine(frame, m, (cw, ch), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE))
    inside = u8(cv2.warpAffine(np.full(frame.shape[:2], 255, np.uint8), m, (cw, ch), flags=cv2.INTER_NEAREST,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=0))
    lm_w = np.hstack([lm, np.ones((len(lm), 1))]) @ m.T
    mask = _grabcut_init((ch, cw), lm_w, inside)
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(GRABCUT_SEED)  # GrabCut's GMM initialisation is random: same frame, same photo
    cv2.grabCut(canvas, mask, None, bgd, fgd,  # type: ignore[call-overload]
                GRABCUT_ITERATIONS, cv2.GC_INIT_WITH_MASK)
    fg = np.where((mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD), 255, 0).astype(np.uint8)
    fg = u8(cv2.morphologyEx(fg, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)))
    # keep the component holding the face
    n, labels = cv2.connectedComponents(fg)
    if n > 2:
        nose = lm_w[30]
        lab = labels[min(ch - 1, max(0, int(nose[1]))), min(cw - 1, max(0, int(nose[0])))]
        if lab:
            fg = np.where(labels == lab, 255, 0).astype(np.uint8)
    return fg, to_canvas


def head_top_row(mask: Image, cx: float, fw: float, min_fraction: float = 0.2) -> float | None:
    """First row where the foreground covers ``min_fraction`` of a band of half the face width
    centred on ``cx``; None when it never does."""
    x0, x1 = max(0, int(cx - fw / 4)), min(mask.shape[1], int(cx + fw / 4) + 1)
    band = mask[:, x0:x1] > 127
    if band.size == 0:
        return None
    rows = np.nonzero(band.mean(axis=1) >= min_fraction)[0]
    return float(rows[0]) if rows.size else None


def _check_cutout(alpha: Image, plan: CropPlan, fw_photo: float) -> None:
    ys, xs = np.mgrid[0:PHOTO_H, 0:PHOTO_W]
    side = (np.abs(xs - plan.eye_x) > SIDE_BAND_FACE_W * fw_photo) & (ys < plan.eye_y)
    if side.any() and float(alpha[side].mean()) / 255.0 > SIDE_BAND_MAX_ALPHA:
        raise PhotoError("background_uneven", "foreground found beside the head")


def encode_jpeg(photo: Image, min_bytes: int, max_bytes: int) -> tuple[bytes, int]:
    """The highest JPEG quality whose size is <= max_bytes; PhotoError when even that is
    below min_bytes or the lowest quality is too large. Binary search, about 7 encodes."""

    def enc(q: int) -> bytes:
        ok, buf = cv2.imencode(".jpg", photo, [cv2.IMWRITE_JPEG_QUALITY, q])
        if not ok:
            raise PhotoError("photo_size", "JPEG encoding failed")
        return set_jfif_dpi(buf.tobytes(), JFIF_DPI)

    lo, hi = 10, 100
    best: tuple[bytes, int] | None = None
    while lo <= hi:
        q = (lo + hi) // 2
        data = enc(q)
        if len(data) <= max_bytes:
            best = (data, q)
            lo = q + 1
        else:
            hi = q - 1
    if best is None:
        raise PhotoError("photo_size", f"larger than {max_bytes} bytes even at quality 10")
    if len(best[0]) < min_bytes:
        raise PhotoError("photo_size", f"{len(best[0])} bytes at quality {best[1]}, below {min_bytes}")
    return best


def set_jfif_dpi(jpeg: bytes, dpi: int) -> bytes:
    """Write the resolution into the JFIF APP0 header (units = dots per inch)."""
    if len(jpeg) < 20 or jpeg[2:4] != b"\xff\xe0" or jpeg[6:11] != b"JFIF\x00":
        return jpeg
    d = dpi.to_bytes(2, "big")
    return jpeg[:13] + b"\x01" + d + d + jpeg[18:]


def compose_card_photo(
    frame: Image, face: FaceDetection | None = None, settings: PhotoSettings | None = None
) -> CardPhoto:
    """Turn a compliant frame into the card photo. ``face`` is the subject found by the checks
    (detected again when None). Raises PhotoError with code "no_face", "photo_geometry" or
    "photo_size"."""
    s = settings or PhotoSettings()
    if face is None:
        faces = detect_faces(frame, max_side=s.detect_max_side, min_score=s.face_score_min)
        if len(faces) != 1:
            raise PhotoError("no_face" if not faces else "multiple_faces", f"{len(faces)} faces")
        face = faces[0]
    lm = face.landmarks
    rough = plan_crop(lm)
    method = "estimated"
    plan = rough
    fg_canvas: Image | None = None
    to_canvas: npt.NDArray[np.float64] | None = None
    if s.whiten_background:
        fg_canvas, to_canvas = _segment(frame, lm, rough)
        lm_c = np.hstack([lm, np.ones((len(lm), 1))]) @ to_canvas[:2].T
        le, re_ = eye_centres(lm_c)
        eye_y_c = float((le[1] + re_[1]) / 2.0)
        fw_c = face_width(lm_c)
        top_c = head_top_row(fg_canvas, float((le[0] + re_[0]) / 2.0), fw_c)
        if top_c is not None and top_c > 0 and 0.45 * fw_c <= eye_y_c - top_c <= 1.3 * fw_c:
            # canvas px → frame px: divide by the canvas scale
            above = (eye_y_c - top_c) / (WORK_SCALE * rough.scale)
            plan = plan_crop(lm, head_above_eyes=above)
            method = "segmented"
        else:
            raise PhotoError("background_uneven", "no plausible head outline against the background")
    m = plan.matrix()
    photo = u8(cv2.warpAffine(frame, m, (PHOTO_W, PHOTO_H), flags=cv2.INTER_AREA,
                              borderMode=cv2.BORDER_REPLICATE))
    alpha: Image | None = None
    if fg_canvas is not None and to_canvas is not None:
        canvas_to_photo = _affine3(m) @ np.linalg.inv(to_canvas)
        # replicate: beyond the canvas top is background, beyond its bottom edge the clothing
        alpha = u8(cv2.warpAffine(fg_canvas, canvas_to_photo[:2], (PHOTO_W, PHOTO_H), flags=cv2.INTER_LINEAR,
                                  borderMode=cv2.BORDER_REPLICATE))
        _check_cutout(alpha, plan, plan.scale * face_width(lm))
        a = cv2.GaussianBlur(alpha, (0, 0), 1.5).astype(np.float32)[..., None] / 255.0
        photo = (photo.astype(np.float32) * a + 255.0 * (1.0 - a)).astype(np.uint8)
    if photo.ndim == 2:
        photo = u8(cv2.cvtColor(photo, cv2.COLOR_GRAY2BGR))

    lm_p = np.hstack([lm, np.ones((len(lm), 1))]) @ m.T
    le, re_ = eye_centres(lm_p)
    eye_mid = (le + re_) / 2.0
    top = None
    if alpha is not None and method == "segmented":
        top = head_top_row(alpha, float(eye_mid[0]), face_width(lm_p))
    geometry = PhotoGeometry(
        face_width=face_width(lm_p),
        # estimated: the plan put the (estimated) head top at the target row by construction
        head_top=top if top is not None else TARGET_HEAD_TOP,
        eye_mid_x=float(eye_mid[0]),
        eye_line_from_bottom=float(PHOTO_H - eye_mid[1]),
        head_top_method=method,
    )
    bad = geometry.violations()
    if bad:
        raise PhotoError("photo_geometry", "; ".join(bad))
    jpeg, quality = encode_jpeg(photo, s.jpeg_min_bytes, s.jpeg_max_bytes)
    return CardPhoto(jpeg=jpeg, width=PHOTO_W, height=PHOTO_H, quality=quality, geometry=geometry,
                     whitened=alpha is not None)
