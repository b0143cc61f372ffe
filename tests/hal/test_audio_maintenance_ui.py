"""The speaker's volume buttons and self-test through the touchscreen, at 1280×800, with the real SDL
driver sharing Kivy's SDL in the kiosk's process (SDL's disk audio driver records what the sound card
got). The scenario runs in its own process (one Kivy window):
``python -m tests.hal.test_audio_maintenance_ui <out_dir>``."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hal.audio.chime import CHIME_S
from tests.ui.test_loss_report_ui import run_scenario

ADMIN = ("2001", "13572468")


def test_volume_and_speaker_test_through_the_touchscreen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    speaker = tmp_path / "speaker.raw"
    monkeypatch.setenv("SDL_AUDIODRIVER", "disk")
    monkeypatch.setenv("SDL_DISKAUDIOFILE", str(speaker))
    r = run_scenario("tests.hal.test_audio_maintenance_ui", str(tmp_path))
    assert "扬声器音量 50%" in str(r["text_before"]) and "Speaker volume 50%" in str(r["text_before"])
    assert "PASS test chime played at volume 50%" in str(r["test_audio"])
    assert "50% → 60%" in str(r["up"]) and "60% → 50%" in str(r["down"]) and "50% → 40%" in str(r["down2"])
    assert r["file_volume"] == r["device_volume"] == 0.4  # saved and applied
    assert "扬声器音量 40%" in str(r["text_after"])
    assert "not a simulator" in str(r["sim_refused"])  # a real speaker cannot be "unplugged" by software
    assert r["audit"] == ["voice.volume: 0.5 -> 0.6", "voice.volume: 0.6 -> 0.5", "voice.volume: 0.5 -> 0.4"]
    assert r["size_violations"] == [] and r["clip_violations"] == []
    assert r["targets_checked"] == 3
    assert (tmp_path / "maintenance-audio.png").stat().st_size > 5000
    # What the sound card got: the self-test chime at 50 %, then a chime at each new level.
    pcm = np.fromfile(speaker, dtype="<i2").reshape(-1, 2)[:, 0] / 32768.0
    loud = np.flatnonzero(np.abs(pcm) > 0.01)
    breaks = np.flatnonzero(np.diff(loud) > 0.1 * 48000)
    runs = list(zip(np.concatenate(([loud[0]], loud[breaks + 1])), np.concatenate((loud[breaks], [loud[-1]])),
                    strict=True))
    assert [round(float(np.max(np.abs(pcm[a:b + 1]))), 2) for a, b in runs] == [0.2, 0.24, 0.2, 0.16]
    assert all(abs((b + 1 - a) / 48000 - CHIME_S) < 0.03 for a, b in runs)


def main(out_dir: str) -> int:
    tmp = Path(tempfile.mkdtemp(prefix="ui-audio-"))
    from central_sim.server import run_in_thread

    central = run_in_thread(str(tmp / "central.sqlite"), port=0)
    from kiosk.config import load_config
    from kiosk.maintenance.roles import Role
    from tests.simulators import sim_devices_toml
    from tests.ui.harness import UiHarness

    path = tmp / "kiosk.toml"
    path.write_text(f"""[kiosk]
data_dir = "{tmp / 'kiosk'}"
language = "zh"
simulator_mode = true

[central]
url = "{central.url}"
connect_timeout_s = 1.0
read_timeout_s = 3.0

[ui]
width = 1280
height = 800

[devices.audio]
driver = "sdl"

[voice]
volume = 0.5
""" + sim_devices_toml(skip=["audio"]), encoding="utf-8")
    ui = UiHarness(load_config(path))
    svc = ui.runtime.maintenance
    svc.store.n = 2**10
    svc.store.add(ADMIN[0], Role.BANK_ADMIN, ADMIN[1])
    audio: Any = ui.runtime.devices.audio
    screen: Any = ui.app.maintenance_screen
    report: dict[str, Any] = {}

    def act(kiosk_id: str, timeout: float = 15.0) -> str:
        before = len(screen.results)
        ui.tap(kiosk_id)
        ui.pump_until(lambda: len(screen.results) > before, timeout, f"result of {kiosk_id}")
        ui.pump_until(lambda: not audio.playing(), 5, "the chime's end")
        ui.pump(0.2)  # a pause between the chimes, so each one is heard on its own
        return str(screen.results[-1])

    try:
        from kivy.core.window import Window

        ui.pump_until(lambda: ui.screen == "attract", what="attract")
        for _ in range(5):
            ui.app.corner_tap(2, Window.height - 2)
        ui.pump_until(lambda: ui.app.login is not None, what="login overlay")
        ui.type_digits(ADMIN[0])
        ui.tap("maint.ok")
        ui.type_digits(ADMIN[1])
        ui.tap("maint.ok")
        ui.pump_until(lambda: ui.screen == "maintenance" and not screen.loading, what="maintenance screen")
        ui.tap("maint.section.devices")
        # the section is read on the app's background worker: its text is there once loading ends
        ui.pump_until(lambda: screen.section == "devices" and not screen.loading, what="devices section")
        report["text_before"] = ui.text_of("maint.text")[:600]
        report["test_audio"] = act("maint.test.audio")
        report["up"] = act("maint.volume.up")
        report["down"] = act("maint.volume.down")
        report["down2"] = act("maint.volume.down")
        report["file_volume"] = load_config(path).voice.volume
        report["device_volume"] = round(audio.volume(), 3)
        ui.pump_until(lambda: not screen.loading, what="devices section re-read")
        report["text_after"] = ui.text_of("maint.text")[:600]
        ui.pump(0.1)
        mine = ("maint.volume", "maint.test.audio")
        report["size_violations"] = [v for v in ui.check_sizes() if any(m in v for m in mine)]
        report["clip_violations"] = [v for v in ui.check_clipping() if any(m in v for m in mine)]
        report["targets_checked"] = sum(1 for k in ("maint.volume.up", "maint.volume.down", "maint.test.audio")
                                        if ui.app.widgets[k].get_root_window() is not None)
        ui.shot(Path(out_dir) / "maintenance-audio.png")
        ui.tap("maint.section.simulator")
        ui.pump_until(lambda: screen.section == "simulator" and not screen.loading, what="simulator section")
        report["sim_refused"] = act("maint.sim.audio.unplug")
        report["audit"] = [r.get("detail", "") for r in svc.audit.records() if r["action"] == "config.edit"]
        ui.tap("maint.logout")
        ui.pump_until(lambda: ui.screen == "attract", what="attract after logout")
    finally:
        ui.close()
        central.stop()
    print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
