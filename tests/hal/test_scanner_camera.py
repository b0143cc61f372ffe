"""CameraQrScanner: zxing-cpp decoding QR codes (made with segno) rendered into camera frames,
straight, rotated and in perspective, through a SimCamera and the FileCamera driver."""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
import pytest
import segno

from hal.camera.opencv_camera import FileCamera
from hal.interfaces import Frame
from hal.scanner.camera_scanner import CameraQrScanner, decode_frame
from hal.scanner.types import ScanOutcome
from hal.sim.camera import SimCamera
from hal.status import DeviceState

TOKEN = "ESSC1.kiosk-FZ-DEMO-0001.7Qm3vX9pLr2sT8wYb4nK"


def qr_image(text: str, scale: int = 8) -> Frame:
    buf = io.BytesIO()
    segno.make(text, error="m").save(buf, kind="png", scale=scale, border=4)
    img = cv2.imdecode(np.frombuffer(buf.getvalue(), np.uint8), cv2.IMREAD_COLOR)
    assert img is not None
    return img  # type: ignore[return-value]


def in_scene(img: Frame, size: tuple[int, int] = (640, 480)) -> Frame:
    """The code on a phone screen held in front of a grey, noisy lobby."""
    w, h = size
    rng = np.random.default_rng(7)
    scene = rng.integers(90, 160, (h, w, 3), dtype=np.uint8)
    side = min(h, w) * 2 // 3
    code = cv2.resize(img, (side, side), interpolation=cv2.INTER_NEAREST)
    y, x = (h - side) // 2, (w - side) // 2
    scene[y:y + side, x:x + side] = code
    return scene


def rotated(frame: Frame, degrees: float) -> Frame:
    h, w = frame.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 0.8)
    return cv2.warpAffine(frame, m, (w, h), borderValue=(120, 120, 120))  # type: ignore[return-value]


def tilted(frame: Frame) -> Frame:
    h, w = frame.shape[:2]
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = np.float32([[w * 0.12, h * 0.05], [w * 0.86, h * 0.16], [w * 0.8, h * 0.88], [w * 0.2, h * 0.96]])
    return cv2.warpPerspective(frame, cv2.getPerspectiveTransform(src, dst), (w, h),  # type: ignore[return-value]
                               borderValue=(120, 120, 120))


@pytest.mark.parametrize("transform", ["straight", "rotated_30", "rotated_90", "perspective", "blurred"])
def test_a_qr_code_in_a_frame_is_decoded(transform: str) -> None:
    frame = in_scene(qr_image(TOKEN))
    if transform == "rotated_30":
        frame = rotated(frame, 30)
    elif transform == "rotated_90":
        frame = rotated(frame, 90)
    elif transform == "perspective":
        frame = tilted(frame)
    elif transform == "blurred":
        frame = cv2.GaussianBlur(frame, (5, 5), 1.2)  # type: ignore[assignment]
    scans = decode_frame(frame)
    assert [(s.outcome, s.text) for s in scans] == [(ScanOutcome.CODE, TOKEN)]


def test_an_empty_scene_has_no_code() -> None:
    assert decode_frame(in_scene(np.full((200, 200, 3), 128, np.uint8))) == []


def damaged(img: Frame) -> Frame:
    """Glare over most of the data area: finder patterns still found, the data is gone."""
    out = img.copy()
    h, w = out.shape[:2]
    out[int(h * 0.3):int(h * 0.75), int(w * 0.3):int(w * 0.75)] = 255
    return out


def test_a_damaged_code_is_found_but_unreadable() -> None:
    scans = decode_frame(in_scene(damaged(qr_image(TOKEN))))
    assert scans and all(s.outcome is ScanOutcome.UNREADABLE for s in scans)


def test_the_scanner_reads_the_sim_camera_and_reports_busy_while_armed() -> None:
    camera = SimCamera()
    scanner = CameraQrScanner(camera, frame_interval_s=0.01)
    scanner.open()
    assert scanner.read_code(0.1) is None
    assert scanner.status().state is DeviceState.BUSY
    camera.present(in_scene(qr_image(TOKEN)))
    got = scanner.read_code(1.0)
    assert got is not None and got.outcome is ScanOutcome.CODE and got.text == TOKEN
    scanner.stop()
    assert scanner.status().state is DeviceState.ONLINE and scanner.status().counters["scans"] == 1


def test_a_code_that_stays_undecodable_is_reported_once_unreadable() -> None:
    camera = SimCamera()
    scanner = CameraQrScanner(camera, frame_interval_s=0.0, unreadable_after=3)
    camera.present(in_scene(damaged(qr_image(TOKEN))))
    got = scanner.read_code(2.0)
    assert got is not None and got.outcome is ScanOutcome.UNREADABLE
    assert scanner.status().counters["unreadable"] == 1 and scanner.status().counters["frames"] == 3


def test_an_unplugged_camera_makes_the_scanner_power_off() -> None:
    camera = SimCamera()
    scanner = CameraQrScanner(camera)
    camera.steer("unplug")
    assert scanner.status().state is DeviceState.POWER_OFF


def test_through_the_opencv_file_camera_driver(tmp_path: Path) -> None:
    path = tmp_path / "phone.png"
    cv2.imwrite(str(path), tilted(in_scene(qr_image(TOKEN))))
    camera = FileCamera(str(path), size=(640, 480))
    scanner = CameraQrScanner(camera, frame_interval_s=0.01)
    try:
        scanner.open()
        got = scanner.read_code(2.0)
        assert got is not None and got.text == TOKEN
    finally:
        scanner.close()
        camera.close()
