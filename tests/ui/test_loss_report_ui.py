"""The walking skeleton's slice through the touchscreen: attract → loss report → receipt → home."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_scenario(module: str, *args: str) -> dict[str, object]:
    env = {**os.environ, "KIVY_NO_ARGS": "1", "KIVY_NO_CONSOLELOG": "1"}
    env.pop("DISPLAY", None)
    proc = subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-4000:]
    report: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return report


def test_loss_report_through_the_touchscreen(tmp_path: Path) -> None:
    report = run_scenario("tests.ui.loss_report_scenario", str(tmp_path))
    assert report["card_status"] == "loss_reported"
    assert report["receipts"] == 1
    views = report["views"]
    assert isinstance(views, list)
    assert views[0] == "read_id" and "confirm_card" in views and views[-2:] == ["done", "take_id_card"]
    assert report["screens"] == ["attract", "flow", "attract"]
    for name in ("attract", "loss_report-read_id", "loss_report-confirm", "loss_report-done"):
        png = tmp_path / f"{name}.png"
        assert png.exists() and png.stat().st_size > 5000, name
