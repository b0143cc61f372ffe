"""`kiosk hal probe audio` through SDL's disk audio driver, and `kiosk hal status` listing the speaker."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from kiosk.cli import main
from tests.simulators import sim_devices_toml


def test_probe_plays_the_chime_and_reports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "speaker.raw"
    monkeypatch.setenv("SDL_AUDIODRIVER", "disk")
    monkeypatch.setenv("SDL_DISKAUDIOFILE", str(out))
    assert main(["hal", "probe", "audio", "--volume", "0.5", "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["played"] is True and result["state"] == "online" and result["frequency"] == 48000
    pcm = np.fromfile(out, dtype="<i2").astype(np.float64) / 32768.0
    assert np.max(np.abs(pcm)) == pytest.approx(0.2, rel=0.05)  # the chime (0.4) at half volume


def test_probe_without_a_sound_card_is_one_line_and_exit_3(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SDL_AUDIODRIVER", "no-such-sound-card")
    assert main(["hal", "probe", "audio"]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("错误：没有可用的声卡 / error: no usable sound card")
    assert "Traceback" not in "\n".join(err)


def test_probe_refuses_a_wrong_volume(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hal", "probe", "audio", "--volume", "1.5"]) == 1
    assert "volume" in capsys.readouterr().err


def test_hal_status_lists_the_speaker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "k.toml"
    cfg.write_text(f"[kiosk]\ndata_dir = \"{tmp_path / 'd'}\"\n" + sim_devices_toml(), encoding="utf-8")
    assert main(["hal", "status", "--config", str(cfg), "--json"]) == 0
    statuses = json.loads(capsys.readouterr().out)
    assert statuses["audio"]["state"] == "online"
    others = sim_devices_toml(skip=["audio"])
    cfg.write_text(f"[kiosk]\ndata_dir = \"{tmp_path / 'd'}\"\n[devices.audio]\ndriver = \"none\"\n" + others,
                   encoding="utf-8")
    assert main(["hal", "status", "--config", str(cfg), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["audio"]["state"] == "no_device"
    monkeypatch.setenv("SDL_AUDIODRIVER", "disk")  # driver = "sdl": the real driver, built from the file
    monkeypatch.setenv("SDL_DISKAUDIOFILE", str(tmp_path / "speaker.raw"))
    cfg.write_text(f"[kiosk]\ndata_dir = \"{tmp_path / 'd'}\"\n[devices.audio]\ndriver = \"sdl\"\n" + others,
                   encoding="utf-8")
    assert main(["hal", "status", "--config", str(cfg), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["audio"]["state"] == "online"
    monkeypatch.setenv("SDL_AUDIODRIVER", "no-such-sound-card")
    assert main(["hal", "status", "--config", str(cfg), "--json"]) == 0
    audio = json.loads(capsys.readouterr().out)["audio"]
    assert audio["state"] == "no_device" and audio["last_error"] == "no_audio_device"
