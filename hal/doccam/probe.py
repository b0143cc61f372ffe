"""Technician probe of the document camera: open it, read a few frames and report what came.

Wired as ``kiosk hal probe document-camera [--source S] [--width W --height H] [--json]``. It reports
the resolution, measured fps, brightness and sharpness (for focusing the lens); it never saves a
frame, since a document on the platen is personal data. Errors are one line on stderr in Chinese
and English and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import json
import sys
import time

import cv2
import numpy as np

from hal.doccam.opencv_doccam import OpenCvDocumentCamera
from hal.interfaces import Frame

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_UNAVAILABLE = 3
DRIVERS = ("opencv",)


def frame_stats(frame: Frame) -> dict[str, float]:
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    return {"brightness": round(float(np.mean(gray)), 1),
            "sharpness": round(float(cv2.Laplacian(gray, cv2.CV_64F).var()), 1)}


def probe(driver: str, source: str, width: int, height: int, as_json: bool, frames: int = 10,
          timeout_s: float = 10.0) -> int:
    if driver not in DRIVERS:
        print(f"错误：未知驱动 {driver!r} / error: unknown driver {driver!r} (use: opencv)", file=sys.stderr)
        return EXIT_ERROR
    cam = OpenCvDocumentCamera(source, width=width, height=height, reconnect_interval_s=0.2)
    got: list[Frame] = []
    deadline = time.monotonic() + timeout_s
    try:
        while len(got) < frames and time.monotonic() < deadline:
            frame = cam.read_frame()
            if frame is not None:
                got.append(frame)
            elif cam.frames == 0 and cam.status().last_error == "unavailable":
                break  # nothing to open: no need to wait out the timeout
            else:
                time.sleep(0.05)
        st = cam.status()
        fps, resolution = cam.fps, cam.resolution
    finally:
        cam.close()
    if not got:
        print("错误：高拍仪无法打开或没有画面 / error: the document camera cannot be opened or sends no frames",
              file=sys.stderr)
        return EXIT_UNAVAILABLE
    result = {"driver": driver, "state": st.state.value, "frames": len(got),
              "resolution": list(resolution) if resolution else None, "fps": round(fps, 1), **frame_stats(got[-1])}
    if as_json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(f"高拍仪 document camera: {result['state']}, {len(got)} frames, "
              f"{resolution[0] if resolution else 0}x{resolution[1] if resolution else 0}, {result['fps']} fps, "
              f"brightness {result['brightness']}, sharpness {result['sharpness']}")
    return EXIT_OK
