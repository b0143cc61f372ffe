"""Simulated camera: shows a presented face image (or an empty scene) as 640x480 frames."""

from __future__ import annotations

import numpy as np

from hal.interfaces import Frame
from hal.sim.base import SimDevice


def _empty_scene(width: int, height: int) -> Frame:
    frame = np.full((height, width, 3), 235, dtype=np.uint8)
    frame[int(height * 0.8):, :] = 200  # a counter edge, so the scene is not flat
    return frame


class SimCamera(SimDevice):
    def __init__(self, name: str = "camera", width: int = 640, height: int = 480) -> None:
        super().__init__(name)
        self.width = width
        self.height = height
        self._frame: Frame = _empty_scene(width, height)
        self._sequence: list[Frame] = []  # present_sequence: a live citizen (e.g. blinking), looped
        self._next = 0
        self.frames_read = 0  # frames handed out: proves when the camera was (not) used

    @property
    def fps(self) -> float:
        return 30.0

    def present(self, image: Frame | None) -> None:
        """Show an image (BGR) letterboxed into the frame; None shows the empty scene."""
        import cv2  # local: OpenCV is heavy and only needed once something is presented

        self._sequence = []
        if image is None:
            self._frame = _empty_scene(self.width, self.height)
            return
        h, w = image.shape[:2]
        scale = min(self.width / w, self.height / h)
        resized = cv2.resize(image, (int(w * scale), int(h * scale)))
        frame = _empty_scene(self.width, self.height)
        y = (self.height - resized.shape[0]) // 2
        x = (self.width - resized.shape[1]) // 2
        frame[y:y + resized.shape[0], x:x + resized.shape[1]] = resized
        self._frame = frame

    def present_sequence(self, frames: list[Frame]) -> None:
        """Frames (already 640x480-like) played in a loop: a live person in front of the camera."""
        self._sequence = list(frames)
        self._next = 0

    def read_frame(self) -> Frame | None:
        self._operation("read")
        self.frames_read += 1
        if self._sequence:
            frame = self._sequence[self._next % len(self._sequence)]
            self._next += 1
            return frame.copy()
        return self._frame.copy()

    def _steer(self, action: str, params: dict[str, object]) -> str:
        if action == "present":
            import cv2

            path = str(params.get("path", ""))
            img: Frame | None = cv2.imread(path) if path else None  # type: ignore[assignment]
            if path and img is None:
                raise ValueError(f"cannot read image {path}")
            self.present(img)
            return "presented" if path else "cleared"
        return super()._steer(action, params)
