"""Cameras through OpenCV's real capture stack, on a video made here with cv2.VideoWriter."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from hal.camera.opencv_camera import FileCamera, FpsMeter, OpenCvCamera
from hal.interfaces import Camera
from hal.status import DeviceState

FACES = Path(__file__).resolve().parents[1] / "data" / "faces"


def _make_video(path: Path, size: tuple[int, int] = (320, 240), fps: float = 25.0, frames: int = 30) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, size)
    assert writer.isOpened()
    for i in range(frames):
        frame = np.zeros((size[1], size[0], 3), np.uint8)
        cv2.putText(frame, str(i), (10, size[1] // 2), cv2.FONT_HERSHEY_SIMPLEX, 2, (255, 255, 255), 3)
        frame[:, :, 1] = (i * 8) % 256  # each frame distinct
        writer.write(frame)
    writer.release()
    return path


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _make_video(tmp_path_factory.mktemp("cam") / "clip.avi")


def test_protocol() -> None:
    cam: Camera = FileCamera(FACES / "obama_portrait.jpg")
    assert cam.name == "camera"


def test_opencv_camera_resolution_and_fps(video: Path) -> None:
    cam = OpenCvCamera(str(video), width=320, height=240)
    frames = [cam.read_frame() for _ in range(20)]
    assert all(f is not None and f.shape == (240, 320, 3) and f.dtype == np.uint8 for f in frames)
    assert cam.resolution == (320, 240)
    assert cam.reported_fps == pytest.approx(25.0, rel=0.01)
    assert cam.fps > 0  # measured over the frames actually delivered
    assert cam.status().state == DeviceState.ONLINE
    cam.close()


def test_opencv_camera_enforces_configured_size(video: Path) -> None:
    cam = OpenCvCamera(str(video), width=160, height=120, enforce_size=True)
    frame = cam.read_frame()
    assert frame is not None and frame.shape == (120, 160, 3)
    assert cam.resolution == (160, 120)
    cam.close()


def test_opencv_camera_reconnects_when_the_device_comes_back(tmp_path: Path, video: Path) -> None:
    path = tmp_path / "dev-video.avi"  # not there yet: "unplugged"
    cam = OpenCvCamera(str(path), width=320, height=240, reconnect_interval_s=0.05)
    assert cam.read_frame() is None
    assert cam.status().state == DeviceState.POWER_OFF
    shutil.copy(video, path)  # "plugged in"
    assert cam.read_frame() is None  # within the reconnect interval it does not retry
    time.sleep(0.06)
    frame = cam.read_frame()
    assert frame is not None and frame.shape == (240, 320, 3)
    assert cam.status().state == DeviceState.ONLINE
    # the end of the stream looks like a lost device: it reopens and carries on
    got = sum(cam.read_frame() is not None for _ in range(40))
    time.sleep(0.06)
    got += sum(cam.read_frame() is not None for _ in range(10))
    assert got >= 35 and cam.reconnects >= 2
    cam.close()


def test_file_camera_video_paced_fps(video: Path) -> None:
    cam = FileCamera(video, rate_fps=40.0)
    t0 = time.monotonic()
    frames = [cam.read_frame() for _ in range(21)]
    elapsed = time.monotonic() - t0
    assert all(f is not None and f.shape == (240, 320, 3) for f in frames)
    assert 0.45 < elapsed < 3.0  # 20 intervals at 40 fps; pacing never runs early
    assert 25.0 < cam.fps <= 41.0  # measured; a loaded machine may deliver fewer
    # loops past the end of the 30-frame clip
    assert all(cam.read_frame() is not None for _ in range(15))
    first, second = frames[0], frames[1]
    assert first is not None and second is not None and not np.array_equal(first, second)


def test_file_camera_directory_and_image(tmp_path: Path) -> None:
    cam = FileCamera(FACES, rate_fps=1000, size=(358, 441))
    frames = [cam.read_frame() for _ in range(5)]
    assert all(f is not None and f.shape == (441, 358, 3) for f in frames)
    assert frames[0] is not None and frames[4] is not None
    assert np.array_equal(frames[0], frames[4])  # 4 images, looped
    single = FileCamera(FACES / "obama_portrait.jpg", pace=False)
    a, b = single.read_frame(), single.read_frame()
    assert a is not None and b is not None and np.array_equal(a, b)
    single.set_source(FACES / "coffee_no_face.png")  # the simulator "presents" another image
    c = single.read_frame()
    assert c is not None and c.shape != a.shape


def test_file_camera_missing_source(tmp_path: Path) -> None:
    cam = FileCamera(tmp_path / "nothing.jpg")
    assert cam.read_frame() is None
    assert cam.status().state == DeviceState.POWER_OFF
    empty = tmp_path / "empty"
    empty.mkdir()
    assert FileCamera(empty).status().state == DeviceState.POWER_OFF


def test_fps_meter() -> None:
    m = FpsMeter(window=5)
    assert m.fps == 0.0
    for i in range(10):
        m.tick(i * 0.1)
    assert m.fps == pytest.approx(10.0)
