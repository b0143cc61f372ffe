"""An image-backed document camera for the driver's tests: images become an MJPG stream that the
real driver opens with ``cv2.VideoCapture``, as it would open /dev/videoN.

v4l2loopback would put the frames behind a real V4L2 node, but it needs a kernel module (a
container has neither /lib/modules nor /dev/video*). So the emulator writes an AVI file instead:
the driver reads it through the same OpenCV capture path (open, read, release, reconnect at the
end of the stream), and ``present`` swaps the stream atomically, so the next reconnect "sees" the
new document.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from hal.atomic_file import replace_path

Frame = npt.NDArray[np.uint8]
FOURCC = "MJPG"  # what UVC document cameras send, and what OpenCV's own codec writes without FFmpeg


def v4l2loopback_usable() -> bool:
    """A writable /dev/videoN from v4l2loopback is there (never on this project's CI machine)."""
    sysfs = Path("/sys/module/v4l2loopback")
    return sysfs.is_dir() and any(os.access(p, os.W_OK) for p in Path("/dev").glob("video*"))


class DocumentCameraEmulator:
    """Serves frames from images at ``path`` (an AVI the driver opens as its ``source``)."""

    def __init__(self, path: Path, size: tuple[int, int] = (1280, 960), fps: float = 15.0,
                 repeat: int = 4) -> None:
        self.path = path
        self.size = size
        self.fps = fps
        self.repeat = repeat  # frames per image: a document lies still for a moment

    def present(self, images: Sequence[Frame]) -> Path:
        """Make ``images`` (BGR) the stream; each is resized to the camera's size."""
        tmp = self.path.with_name(self.path.stem + ".tmp.avi")
        writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter.fourcc(*FOURCC), self.fps, self.size)
        if not writer.isOpened():
            raise OSError(f"cannot write the emulated stream {tmp.name}")
        try:
            for img in images:
                frame = img if (img.shape[1], img.shape[0]) == self.size else cv2.resize(img, self.size)
                for _ in range(self.repeat):
                    writer.write(frame)
        finally:
            writer.release()
        replace_path(tmp, self.path)  # the driver never opens a half-written stream
        return self.path

    def unplug(self) -> None:
        self.path.unlink(missing_ok=True)
