"""A kiosk whose speaker is broken or missing still serves every citizen service, and the
heartbeat reports the speaker to the real reference central, which accepts it."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from central_sim.server import ServerHandle
from hal.sim.audio import SimAudio
from kiosk.domain.services import Availability, ServiceId
from kiosk.runtime import Runtime
from tests.maintenance.conftest import central, central_rows, eventually, kiosk_config

__all__ = ["central"]  # the fixture, imported for pytest


@pytest.fixture
def rt(tmp_path: Path, central: ServerHandle) -> Iterator[Runtime]:
    runtime = Runtime(kiosk_config(tmp_path, central.url))
    runtime.start()
    yield runtime
    runtime.stop()


def _available(rt: Runtime) -> set[ServiceId]:
    ok = {Availability.AVAILABLE, Availability.AVAILABLE_OFFLINE}
    return {s for s, (a, _) in rt.availability().items() if a in ok}


def test_a_broken_speaker_takes_no_service_away(rt: Runtime, central: ServerHandle) -> None:
    audio = rt.devices.audio
    assert isinstance(audio, SimAudio)
    before = _available(rt)
    assert ServiceId.LOSS_REPORT in before
    for fault in ("unplug", "no_device"):
        audio.steer(fault)
        assert eventually(lambda: not rt.statuses().get("audio", audio.status()).usable
                          and "audio" in rt.statuses(), timeout=5)
        assert _available(rt) == before
        assert rt.out_of_service_reason() is None
        audio.open()
        audio.steer("plug")
    audio.steer("unplug")
    eventually(lambda: not rt.statuses()["audio"].usable, timeout=5)
    assert rt.heartbeat_state()["devices"]["audio"]["state"] == "power_off"

    def central_saw_audio() -> bool:
        rows = central_rows(central, "SELECT state FROM kiosks WHERE kiosk_id = ?", rt.cfg.kiosk.id)
        return bool(rows) and json.loads(rows[0]["state"]).get("devices", {}).get("audio", {}).get(
            "state") == "power_off"

    assert eventually(central_saw_audio, timeout=10), "the central never stored the speaker's status"


def test_a_kiosk_without_a_speaker_serves_the_same(tmp_path: Path, central: ServerHandle) -> None:
    cfg = kiosk_config(tmp_path, central.url)
    cfg = dataclasses.replace(cfg, devices=dataclasses.replace(
        cfg.devices, audio=dataclasses.replace(cfg.devices.audio, driver="none")))
    runtime = Runtime(cfg)
    runtime.start()
    try:
        assert runtime.devices.audio is None
        assert ServiceId.LOSS_REPORT in _available(runtime)
        assert runtime.out_of_service_reason() is None
    finally:
        runtime.stop()


def test_a_remote_reload_applies_the_voice_settings_at_once(tmp_path: Path, central: ServerHandle) -> None:
    """A volume changed in the file (by a technician or the city) is heard after reload_config."""
    conf = tmp_path / "kiosk.toml"
    conf.write_text("[voice]\nvolume = 0.3\n", encoding="utf-8")
    cfg = dataclasses.replace(kiosk_config(tmp_path, central.url), source=str(conf))
    runtime = Runtime(cfg)
    runtime.start()
    try:
        audio = runtime.devices.audio
        assert isinstance(audio, SimAudio)
        conf.write_text("[voice]\nvolume = 0.55\nenabled = false\n", encoding="utf-8")
        runtime.commands.run("reload_config")
        assert audio.volume() == pytest.approx(0.55) and runtime.narrator.volume() == pytest.approx(0.55)
        assert runtime.narrator.enabled is False
    finally:
        runtime.stop()
