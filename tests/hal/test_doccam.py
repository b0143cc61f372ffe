"""The document camera through OpenCV's real capture path (an image-backed MJPG stream, since this
machine has no v4l2loopback), its simulator's faults, and the probe CLI line."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from hal.doccam import DocumentCamera
from hal.doccam.opencv_doccam import DEFAULT_INDEX, OpenCvDocumentCamera, parse_source
from hal.doccam.probe import EXIT_OK, EXIT_UNAVAILABLE
from hal.emulators.doccam_stream import DocumentCameraEmulator
from hal.sim.document_camera import SimDocumentCamera
from hal.sim.document_scene import Scene, render
from hal.status import DeviceError, DeviceState, Media

ROOT = Path(__file__).resolve().parents[2]
SIZE = (640, 480)


@pytest.fixture
def stream(tmp_path: Path) -> DocumentCameraEmulator:
    return DocumentCameraEmulator(tmp_path / "video1.avi", size=SIZE, repeat=3)


def test_source_from_config() -> None:
    assert parse_source("") == DEFAULT_INDEX == 1
    assert parse_source("2") == 2
    assert parse_source("/dev/v4l/by-id/usb-doccam-video-index0") == "/dev/v4l/by-id/usb-doccam-video-index0"


def test_driver_reads_the_served_documents_in_order(stream: DocumentCameraEmulator) -> None:
    pages = [render(Scene(kind="household_register"), SIZE), render(Scene(kind="authorisation_letter"), SIZE)]
    stream.present(pages)
    cam: DocumentCamera = OpenCvDocumentCamera(str(stream.path), width=SIZE[0], height=SIZE[1])
    frames = [cam.read_frame() for _ in range(6)]
    assert all(f is not None and f.shape == (480, 640, 3) for f in frames)
    assert cam.resolution == SIZE and cam.name == "document_camera"
    first, last = frames[0], frames[-1]
    assert first is not None and last is not None
    # MJPG is lossy: each frame is its page within a small mean error, and the two pages differ
    assert float(np.abs(first.astype(int) - pages[0].astype(int)).mean()) < 4
    assert float(np.abs(last.astype(int) - pages[1].astype(int)).mean()) < 4
    assert float(np.abs(first.astype(int) - last.astype(int)).mean()) > 10
    assert cam.status().state is DeviceState.ONLINE
    cam.close()


def test_driver_unplugged_then_back(stream: DocumentCameraEmulator) -> None:
    cam = OpenCvDocumentCamera(str(stream.path), width=SIZE[0], height=SIZE[1], reconnect_interval_s=0.05)
    assert cam.read_frame() is None
    st = cam.status()
    assert st.state is DeviceState.POWER_OFF and st.last_error == "unavailable"
    stream.present([render(Scene(kind="id_card"), SIZE)])  # plugged in
    time.sleep(0.06)
    assert cam.read_frame() is not None
    assert cam.status().state is DeviceState.ONLINE
    cam.close()


def test_sim_faults() -> None:
    cam = SimDocumentCamera(width=320, height=240)
    good = cam.read_frame()
    assert good is not None and good.shape == (240, 320, 3)
    assert cam.status().media is Media.PRESENT
    cam.steer("fault", kind="glare")
    glare = cam.read_frame()
    assert glare is not None and int((glare >= 250).all(axis=2).sum()) > int((good >= 250).all(axis=2).sum()) + 500
    cam.steer("fault", kind="blur")
    blurred = cam.read_frame()
    assert blurred is not None and float(np.abs(np.diff(blurred.astype(int), axis=1)).mean()) < float(
        np.abs(np.diff(good.astype(int), axis=1)).mean())
    cam.steer("fault", kind="no_page")
    assert cam.status().media is Media.NOT_PRESENT
    cam.steer("fault", kind="none")
    cam.steer("document", kind="none")
    assert cam.status().media is Media.NOT_PRESENT
    cam.steer("unplug")  # absent
    with pytest.raises(DeviceError) as exc:
        cam.read_frame()
    assert exc.value.code == "unplugged" and cam.status().state is DeviceState.POWER_OFF
    cam.steer("plug")
    cam.steer("fail", op="read", code="usb_reset")
    with pytest.raises(DeviceError):
        cam.read_frame()
    assert cam.status().state is DeviceState.HARDWARE_ERROR
    assert cam.read_frame() is not None and cam.status().state is DeviceState.ONLINE
    with pytest.raises(ValueError):
        cam.steer("fault", kind="smudge")


def _probe(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(Path(sys.executable).parent / "kiosk"), "hal", "probe", "document-camera", *args],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)


def test_probe_cli_reads_the_stream(stream: DocumentCameraEmulator) -> None:
    stream.present([render(Scene(kind="birth_certificate"), SIZE)] * 4)
    done = _probe("--source", str(stream.path), "--width", "640", "--height", "480", "--json")
    assert done.returncode == EXIT_OK, done.stderr
    out = json.loads(done.stdout)
    assert out["state"] == "online" and out["resolution"] == [640, 480] and out["frames"] >= 5
    assert out["sharpness"] > 100 and 60 < out["brightness"] < 220


def test_probe_cli_without_a_camera(tmp_path: Path) -> None:
    done = _probe("--source", str(tmp_path / "no-such-video"))
    assert done.returncode == EXIT_UNAVAILABLE
    assert "高拍仪" in done.stderr and "document camera" in done.stderr and "Traceback" not in done.stderr


def test_demo_steering_reaches_the_simulator() -> None:
    from kiosk.devices import DeviceSet
    from kiosk.simctl import apply

    devices = DeviceSet(document_camera=SimDocumentCamera(width=320, height=240))
    assert apply(devices, {"device": "document_camera", "action": "document", "kind": "none"}) == "document none"
    assert devices.document_camera is not None and devices.document_camera.status().media is Media.NOT_PRESENT
    assert apply(devices, {"device": "document_camera", "action": "fault", "kind": "glare"}) == "fault glare"
    with pytest.raises(ValueError):
        apply(devices, {"device": "document_camera", "action": "document", "kind": "passport"})
