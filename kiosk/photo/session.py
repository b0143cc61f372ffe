"""The photo-capture session of service 1: feed camera frames, get an instruction per frame,
and an automatic capture once the citizen has passed every check for N steady frames."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kiosk.photo.checks import FrameAnalysis, analyse_frame
from kiosk.photo.compose import CardPhoto, PhotoError, compose_card_photo
from kiosk.photo.detector import Image
from kiosk.photo.messages import MESSAGES
from kiosk.photo.settings import PhotoSettings


@dataclass(frozen=True)
class FrameFeedback:
    code: str  # messages key
    zh: str
    en: str
    analysis: FrameAnalysis
    steady_count: int
    steady_needed: int
    photo: CardPhoto | None = None  # set on the frame that captured, and after

    @property
    def captured(self) -> bool:
        return self.photo is not None


class PhotoSession:
    """Stateful: a steadiness tracker over consecutive compliant frames, then auto-capture.

    A frame counts towards the N steady frames when it passes every check and the face moved
    less than ``steady_tolerance`` × face width (and changed size as little) since the
    previous one. After the capture the session keeps returning the photo until
    :meth:`reset` (the citizen chose "retake").
    """

    def __init__(self, settings: PhotoSettings | None = None) -> None:
        self.settings = settings or PhotoSettings()
        self._steady = 0
        self._last: tuple[float, float, float] | None = None  # centre x, y, width
        self._photo: CardPhoto | None = None

    @property
    def photo(self) -> CardPhoto | None:
        return self._photo

    def reset(self) -> None:
        """Forget the tracker and any captured photo (retake, or the end of the session)."""
        self._steady = 0
        self._last = None
        self._photo = None

    def _feedback(self, code: str, analysis: FrameAnalysis) -> FrameFeedback:
        zh, en = MESSAGES[code]
        return FrameFeedback(code, zh, en, analysis, self._steady, self.settings.steady_frames, self._photo)

    def feed(self, frame: Image) -> FrameFeedback:
        if self._photo is not None:
            return self._feedback("captured", FrameAnalysis((), None))
        s = self.settings
        analysis = analyse_frame(frame, s)
        face = analysis.face
        if not analysis.passed or face is None:
            self._steady, self._last = 0, None
            return self._feedback(analysis.code, analysis)
        cx, cy = face.centre
        w = float(face.width)
        if self._last is not None:
            lx, ly, lw = self._last
            moved = float(np.hypot(cx - lx, cy - ly)) / w
            if moved > s.steady_tolerance or abs(w - lw) / w > s.steady_tolerance:
                self._steady, self._last = 1, (cx, cy, w)
                return self._feedback("not_steady", analysis)
        self._last = (cx, cy, w)
        self._steady += 1
        if self._steady < s.steady_frames:
            return self._feedback("capturing" if self._steady > 1 else "ok", analysis)
        try:
            self._photo = compose_card_photo(frame, face, s)
        except PhotoError as exc:
            self._steady, self._last = 0, None
            return self._feedback(exc.code, analysis)
        return self._feedback("captured", analysis)
