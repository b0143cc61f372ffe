"""The technician's side of the speaker: the volume setting (an audited configuration change that
survives a restart, applied at once, only for the roles that may edit the configuration), the
speaker self-test on the simulator and through real SDL, and the simulator control."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from central_sim.server import ServerHandle
from hal.audio.chime import CHIME_S, NOTES_HZ
from hal.audio.sdl_audio import SdlAudio
from hal.sim.audio import SimAudio
from kiosk.config import load_config
from kiosk.devices import DeviceSet, build_devices
from kiosk.maintenance.roles import PermissionDenied
from kiosk.maintenance.selftests import SelfTests
from kiosk.runtime import Runtime
from kiosk.simctl import apply
from tests.maintenance.conftest import ADMIN, STAFF, add_technicians, central
from tests.simulators import sim_devices_toml

__all__ = ["central"]  # the fixture, imported for pytest


def write_config(tmp_path: Path, central_url: str, volume: float) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(f"""[kiosk]
data_dir = "{tmp_path / 'kiosk'}"
simulator_mode = true

[central]
url = "{central_url}"
connect_timeout_s = 0.5
read_timeout_s = 2.0
heartbeat_interval_s = 1.0

[voice]
volume = {volume}
""" + sim_devices_toml(), encoding="utf-8")
    return path


@pytest.fixture
def rt(tmp_path: Path, central: ServerHandle) -> Iterator[Runtime]:
    runtime = Runtime(load_config(write_config(tmp_path, central.url, 0.5)))
    add_technicians(runtime)
    runtime.start()
    yield runtime
    runtime.maintenance.logout()
    runtime.stop()


def test_volume_is_saved_audited_applied_and_survives_a_restart(rt: Runtime) -> None:
    audio = rt.devices.audio
    assert isinstance(audio, SimAudio) and audio.volume() == pytest.approx(0.5)
    svc = rt.maintenance
    svc.login_password(*ADMIN)
    old, new = svc.set_volume(0.7000000001)
    assert (old, new) == (0.5, 0.7)
    assert audio.volume() == pytest.approx(0.7)  # live
    assert audio.played() == ["audio-selftest.wav"]  # the technician hears the new level
    assert rt.cfg.voice.volume == pytest.approx(0.7)
    assert svc.set_volume(3.0)[1] == 1.0  # clamped to the allowed range, never a broken file
    audit = [(r["action"], r["outcome"], r.get("detail", "")) for r in svc.audit.records()]
    assert ("config.edit", "ok", "voice.volume: 0.5 -> 0.7") in audit
    restarted = build_devices(load_config(rt.cfg.source))  # what the next start builds
    assert restarted.audio is not None and restarted.audio.volume() == pytest.approx(1.0)


def test_only_the_roles_that_edit_the_configuration_may_change_the_volume(rt: Runtime) -> None:
    svc = rt.maintenance
    svc.login_password(*STAFF)
    with pytest.raises(PermissionDenied):
        svc.set_volume(0.9)
    assert rt.devices.audio is not None and rt.devices.audio.volume() == pytest.approx(0.5)
    assert load_config(rt.cfg.source).voice.volume == pytest.approx(0.5)
    assert any(r["action"] == "config_edit" and r["outcome"] == "denied" for r in svc.audit.records())


def test_speaker_self_test_and_simulator_control(rt: Runtime) -> None:
    svc = rt.maintenance
    svc.login_password(*STAFF)
    audio = rt.devices.audio
    assert isinstance(audio, SimAudio)
    audio.clip_seconds = 0.2
    ok = svc.run_selftest("audio")
    assert ok.passed and "volume 50%" in ok.detail and audio.played() == ["audio-selftest.wav"]
    assert svc.simulator("audio", "unplug") == "unplugged"
    failed = svc.run_selftest("audio")
    assert not failed.passed and failed.detail == "unplugged"
    report = svc.readiness()
    assert "audio: power_off" in report.text() and "FAIL" in report.text() and not report.ready
    stored = json.loads(svc.selftests.path.read_text(encoding="utf-8"))
    assert stored["audio"]["passed"] is False
    assert apply(rt.devices, {"device": "audio", "action": "plug"}) == "plugged"  # `kiosk sim plug audio`
    assert svc.run_selftest("audio").passed
    assert apply(rt.devices, {"device": "audio", "action": "fail", "op": "play"}) == "armed"
    assert svc.run_selftest("audio").detail == "hardware_error"


def test_speaker_self_test_through_sdl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "speaker.raw"
    monkeypatch.setenv("SDL_AUDIODRIVER", "disk")
    monkeypatch.setenv("SDL_DISKAUDIOFILE", str(out))
    audio = SdlAudio(name="audio")
    audio.set_volume(0.6)
    tests = SelfTests(DeviceSet(audio=audio), tmp_path / "selftests.json", timeout_s=2.0)
    try:
        result = tests.run("audio")  # opens the card itself: nobody opened it before
        assert result.passed, result
        assert result.detail == "test chime played at volume 60%"
        time.sleep(0.1)
    finally:
        audio.close()
    pcm = np.fromfile(out, dtype="<i2").reshape(-1, 2)[:, 0] / 32768.0
    sound = np.flatnonzero(np.abs(pcm) > 0.01)
    heard = pcm[sound[0]:sound[-1] + 1]
    assert abs(heard.size / 48000 - CHIME_S) < 0.03
    assert np.max(np.abs(heard)) == pytest.approx(0.4 * 0.6, rel=0.05)  # the chime's level times the volume
    half = heard.size // 2
    for part, hz in ((heard[:half], NOTES_HZ[0]), (heard[half:], NOTES_HZ[1])):
        spectrum = np.abs(np.fft.rfft(part))
        assert abs(np.fft.rfftfreq(part.size, 1 / 48000)[int(np.argmax(spectrum))] - hz) < 5


def test_speaker_self_test_fails_with_a_code_when_there_is_no_sound_card(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SDL_AUDIODRIVER", "no-such-sound-card")
    audio = SdlAudio(name="audio")
    try:
        result = SelfTests(DeviceSet(audio=audio), tmp_path / "selftests.json").run("audio")
    finally:
        audio.close()
    assert not result.passed and result.detail == "unavailable"
