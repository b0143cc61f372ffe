"""Tunables of the photo pipeline and face verification, with the documented defaults.

The kiosk configuration maps its ``[photo]`` keys onto this dataclass; the card-photo
geometry itself is the published spec and lives in ``geometry.py``, not here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PhotoSettings:
    # detection
    detect_max_side: int = 400  # frames are downscaled to this longest side before HOG detection
    face_score_min: float = 0.0  # dlib HOG score a face must reach to count as the subject
    other_face_score_min: float = -0.3  # any further detection above this rejects the frame
    # per-frame checks
    max_yaw_deg: float = 15.0
    max_roll_deg: float = 10.0
    max_pitch: float = 0.15  # |nose-height ratio - neutral|, see checks.estimate_pose
    eyes_open_min_ear: float = 0.16  # mean eye aspect ratio of both eyes
    min_face_luma: float = 70.0
    max_face_luma: float = 225.0
    hat_max_colour_distance: float = 55.0  # forehead vs cheek colour, Lab units
    centre_tolerance: float = 0.18  # eye midpoint distance from the frame centre, fraction of width
    require_plain_background: bool = False  # check a light, even backdrop (kiosks without whitening)
    background_min_luma: float = 150.0
    background_max_std: float = 28.0
    # auto-capture
    steady_frames: int = 5
    steady_tolerance: float = 0.04  # movement between frames, fraction of face width
    # composing
    whiten_background: bool = True
    jpeg_min_bytes: int = 14 * 1024
    jpeg_max_bytes: int = 40 * 1024
    # verification
    match_threshold: float = 0.6
