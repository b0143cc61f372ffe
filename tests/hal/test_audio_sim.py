"""The simulated speaker, the [devices.audio]/[voice] configuration and DeviceSet.audio."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile

from hal.sim.audio import SimAudio
from hal.status import DeviceState
from kiosk.config import ConfigError, load_config
from kiosk.devices import DeviceSet, build_devices
from kiosk.domain.services import Device as ServiceDevice

ROOT = Path(__file__).resolve().parents[2]


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_log_records_plays_and_stops_with_clip_stems() -> None:
    audio = SimAudio()
    audio.play([Path("assets/voice/zh/read_id.title.ogg"), Path("/x/zh/read_id.hint.ogg")])
    audio.stop()
    audio.play([Path("done.ogg")])
    assert audio.log == [("play", "read_id.title", "read_id.hint"), ("stop",), ("play", "done")]
    assert audio.played() == ["read_id.title", "read_id.hint", "done"]


def test_playing_lasts_clip_seconds_per_clip_and_stop_ends_it() -> None:
    clock = FakeClock()
    audio = SimAudio(clip_seconds=0.5, clock=clock)
    assert not audio.playing()
    audio.play([Path("a.ogg"), Path("b.ogg")])
    clock.now += 0.9
    assert audio.playing()
    clock.now += 0.2
    assert not audio.playing()
    audio.play([Path("a.ogg")])
    assert audio.playing()
    audio.stop()
    assert not audio.playing()


def test_real_durations_come_from_the_files(tmp_path: Path) -> None:
    clip = tmp_path / "tone.ogg"
    soundfile.write(clip, np.zeros(22050 * 3, dtype=np.float32), 22050, format="OGG")
    clock = FakeClock()
    audio = SimAudio(clip_seconds=None, clock=clock)
    audio.play([clip])
    clock.now += 2.9
    assert audio.playing()
    clock.now += 0.2
    assert not audio.playing()


def test_volume_is_clamped() -> None:
    audio = SimAudio()
    audio.set_volume(0.3)
    assert audio.volume() == pytest.approx(0.3)
    audio.set_volume(7)
    assert audio.volume() == 1.0
    audio.set_volume(-1)
    assert audio.volume() == 0.0


@pytest.mark.parametrize(("action", "state"), [("unplug", DeviceState.POWER_OFF),
                                                 ("no_device", DeviceState.NO_DEVICE)])
def test_a_missing_speaker_is_a_status_not_an_exception(action: str, state: DeviceState) -> None:
    audio = SimAudio()
    audio.play([Path("a.ogg")])
    assert audio.steer(action)
    assert not audio.playing()
    audio.play([Path("b.ogg")])  # never raises on the UI thread
    assert audio.played() == ["a"]
    assert audio.status().state is state and not audio.status().usable
    if action == "unplug":
        audio.steer("plug")
    else:
        audio.open()  # reconnect
    audio.play([Path("c.ogg")])
    assert audio.played() == ["a", "c"] and audio.status().usable


def test_an_injected_hardware_error_shows_in_status_and_the_next_play_retries() -> None:
    audio = SimAudio()
    audio.steer("fail", code="hardware_error")
    audio.play([Path("a.ogg")])
    st = audio.status()
    assert st.state is DeviceState.HARDWARE_ERROR and st.last_error == "hardware_error"
    assert audio.played() == []
    audio.play([Path("b.ogg")])
    assert audio.played() == ["b"] and audio.status().state is DeviceState.ONLINE


# ---- configuration ----------------------------------------------------------------------------
def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "k.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_voice_defaults_and_example_file() -> None:
    for cfg in (load_config(None), load_config(ROOT / "config" / "kiosk.example.toml")):
        assert cfg.voice.enabled is True
        assert cfg.voice.volume == pytest.approx(0.8)
        assert cfg.voice.elderly_timeout_factor == pytest.approx(2.0)
        assert cfg.devices.audio.driver == "sdl"  # production's speaker; the simulator only when asked for
    assert load_config(ROOT / "config" / "demo.toml").devices.audio.driver == "sim"


@pytest.mark.parametrize(("text", "key"), [
    ("[voice]\nvolume = 1.5\n", "voice.volume"),
    ("[voice]\nvolume = -0.1\n", "voice.volume"),
    ("[voice]\nvolume = \"loud\"\n", "voice.volume"),
    ("[voice]\nelderly_timeout_factor = 0.5\n", "voice.elderly_timeout_factor"),
    ("[voice]\nenabled = 1\n", "voice.enabled"),
    ("[voice]\npitch = 3\n", "voice.pitch"),
    ("[devices.audio]\ndriver = \"alsa\"\n", "devices.audio.driver"),
])
def test_wrong_voice_values_name_the_key(tmp_path: Path, text: str, key: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, text))
    assert err.value.key == key


def test_audio_driver_choice_builds_the_device_with_the_configured_volume(tmp_path: Path) -> None:
    base = f"[kiosk]\ndata_dir = \"{tmp_path / 'd'}\"\n[voice]\nvolume = 0.25\n"
    ds = build_devices(load_config(write(tmp_path, base + "[devices.audio]\ndriver = \"sim\"\n")))
    assert isinstance(ds.audio, SimAudio) and ds.audio.volume() == pytest.approx(0.25)
    ds = build_devices(load_config(write(tmp_path, base + "[devices.audio]\ndriver = \"none\"\n")))
    assert ds.audio is None
    assert ds.statuses()["audio"].state is DeviceState.NO_DEVICE


# ---- a broken speaker never takes a service away ----------------------------------------------
def test_audio_is_never_a_service_device() -> None:
    audio = SimAudio()
    ds = DeviceSet(audio=audio)
    assert ServiceDevice.ID_READER not in ds.usable()
    assert ds.usable() == set()  # and no ValueError for the name "audio"
    audio.steer("unplug")
    assert "audio" in ds.statuses() and not ds.statuses()["audio"].usable
