"""Steering a running demo's simulators over its control socket (`kiosk sim …`)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from kiosk.config import load_config, simulated
from kiosk.devices import build_devices
from kiosk.simctl import SimControlServer
from tests.simulators import sim_devices_toml

ROOT = Path(__file__).resolve().parents[2]


def test_cli_places_a_seeded_id_card_and_reports_errors() -> None:
    with tempfile.TemporaryDirectory(prefix="sim") as d:  # short path: AF_UNIX limits it to 108 bytes
        cfg_file = Path(d) / "k.toml"
        cfg_file.write_text(f'[kiosk]\ndata_dir = "{d}"\nsimulator_mode = true\n' + sim_devices_toml(),
                            encoding="utf-8")
        cfg = load_config(cfg_file)
        devices = build_devices(cfg)
        server = SimControlServer(cfg.run_path("sim.sock"), devices)
        server.start()

        def sim(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([sys.executable, "-m", "kiosk.cli", "sim", "--config", str(cfg_file), *args],
                                  cwd=ROOT, capture_output=True, text=True, timeout=60)

        try:
            assert not devices.id_reader.card_present()  # type: ignore[union-attr]
            done = sim("place-id", "adult_active_card")
            assert done.returncode == 0, done.stderr
            card = devices.id_reader.read_card(0.1)  # type: ignore[union-attr]
            assert card is not None and card.id_number.startswith("3501")
            assert sim("unplug", "receipt_printer").returncode == 0
            assert devices.receipt_printer.status().state.value == "power_off"  # type: ignore[union-attr]
            bad = sim("place-id", "nobody")
            assert bad.returncode == 1 and "失败" in bad.stderr and "Traceback" not in bad.stderr
        finally:
            server.stop()
        gone = sim("remove-id")
        assert gone.returncode == 3 and "cannot reach" in gone.stderr


def test_unknown_device_is_a_clear_error() -> None:
    from kiosk.simctl import apply

    devices = build_devices(simulated(load_config(None)))
    with pytest.raises(ValueError, match="no simulated device"):
        apply(devices, {"device": "teleporter", "action": "jam"})


def test_a_seeded_citizen_blinks_before_the_camera_for_the_face_check() -> None:
    from kiosk.demo import citizen
    from kiosk.photo.liveness import LivenessChallenge
    from kiosk.simctl import apply

    devices = build_devices(simulated(load_config(None)))
    assert "before the camera" in apply(devices, {"action": "live-face", "citizen": "card_lost"})
    challenge = LivenessChallenge("blink", max_frames=60)
    camera = devices.camera
    assert camera is not None
    while challenge.status == "pending":
        frame = camera.read_frame()
        assert frame is not None
        challenge.feed(frame)
    assert challenge.status == "passed"
    assert citizen("child_under_2").get("photo_path") is None
    with pytest.raises(ValueError, match="no live face"):
        apply(devices, {"action": "live-face", "citizen": "child_under_2"})
