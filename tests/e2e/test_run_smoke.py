"""`kiosk run --screenshot PATH --exit-after S`: the smoke test of the whole demo stack."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np

from tests.simulators import sim_devices_toml

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_demo_boots_offscreen_with_the_embedded_central_and_saves_its_first_frame(tmp_path: Path) -> None:
    cfg = tmp_path / "demo.toml"
    cfg.write_text(
        f'[kiosk]\ndata_dir = "{tmp_path / "kiosk"}"\nsimulator_mode = true\n'
        f'[central]\nurl = "http://127.0.0.1:{free_port()}"\nembedded = true\n'
        f'embedded_db = "{tmp_path / "central.sqlite"}"\n'
        '[ui]\nwidth = 1280\nheight = 800\n' + sim_devices_toml(),
        encoding="utf-8",
    )
    shot = tmp_path / "first.png"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    proc = subprocess.run([sys.executable, "-m", "kiosk.cli", "run", "--config", str(cfg), "--screenshot", str(shot),
                           "--exit-after", "60"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    img = cv2.imread(str(shot))
    assert img is not None and img.shape[:2] == (800, 1280)
    # not a black or blank frame: the brand-blue service tiles are drawn
    blue = np.all(np.abs(img.astype(int) - np.array([158, 84, 0])) < 40, axis=2)
    assert blue.mean() > 0.2


def test_a_bad_configuration_names_the_key_and_exits_78(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[devices.issuer]\ndriver = "laser"\n', encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "kiosk.cli", "run", "--config", str(cfg)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 78  # EX_CONFIG (kiosk/startup_guard.py): systemd logs it as 78/CONFIG
    assert "devices.issuer.driver" in proc.stderr and "Traceback" not in proc.stderr
