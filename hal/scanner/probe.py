"""Technician probe of the QR scanner: open it, arm it, wait for one code and report.

Wired as ``kiosk hal probe scanner --driver honeywell-serial|evdev|camera …``. A code is a
credential (an e-card token): the probe shows its length and a short digest, never its text.
Errors are one line on stderr (Chinese + English) and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time

from hal.scanner.types import Scan, Scanner
from hal.status import DeviceError

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_UNAVAILABLE = 3
EXIT_NO_CODE = 4
DRIVERS = ("honeywell-serial", "evdev", "camera")


def _build(driver: str, port: str, baud: int, suffix: str, source: str) -> Scanner:
    if driver == "honeywell-serial":
        from hal.scanner.serial_scanner import HoneywellSerialScanner

        return HoneywellSerialScanner(port, baud, suffix=suffix)
    if driver == "evdev":
        from hal.scanner.evdev_wedge import EvdevWedgeScanner

        return EvdevWedgeScanner(port)
    from hal.camera.opencv_camera import OpenCvCamera
    from hal.scanner.camera_scanner import CameraQrScanner

    return CameraQrScanner(OpenCvCamera(int(source) if source.isdigit() else source))


def describe(scan: Scan | None) -> dict[str, object]:
    if scan is None:
        return {"outcome": "none"}
    digest = hashlib.sha256(scan.text.encode("utf-8")).hexdigest()[:8] if scan.text else ""
    return {"outcome": scan.outcome.value, "length": len(scan.text), "sha256_8": digest}


def probe(driver: str, port: str, baud: int, suffix: str, source: str, wait_s: float, as_json: bool) -> int:
    if driver not in DRIVERS:
        print(f"错误：未知驱动 {driver!r} / error: unknown driver {driver!r}", file=sys.stderr)
        return EXIT_ERROR
    scanner = _build(driver, port, baud, suffix, source)
    scan: Scan | None = None
    try:
        try:
            scanner.open()
            deadline = time.monotonic() + wait_s
            while scan is None and time.monotonic() < deadline:
                scan = scanner.read_code(min(0.5, max(0.0, deadline - time.monotonic())))
        except DeviceError as exc:
            print(f"错误：扫码器不可用 / error: scanner unavailable ({exc.code})", file=sys.stderr)
            return EXIT_UNAVAILABLE
        st = scanner.status()
    finally:
        scanner.stop()
        scanner.close()
    result = {"driver": driver, "state": st.state.value, "revision": getattr(scanner, "revision", ""),
              "scan": describe(scan)}
    if as_json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(f"scanner {driver}: {st.state.value} {result['revision']}")
        print(f"scan: {json.dumps(result['scan'])}")
    return EXIT_OK if scan is not None else EXIT_NO_CODE
