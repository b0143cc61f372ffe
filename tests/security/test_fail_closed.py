"""Fail closed (issue 18, item 7): the built-in defaults are production's (real drivers, no
simulator mode), so a production file missing a line never runs on fakes; simulators run only
where a file or a test asks for them. A missing or wrong queue key with items waiting refuses
to start (naming the key file and the recovery step) instead of setting those items aside."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from kiosk.config import PRODUCTION_DRIVERS, Config, load_config, simulated
from kiosk.queue_setup import QueueKeyRefused, check_queue_key, open_queue
from offline_queue import BodyCipher, LinkMonitor, Outbox, State, create_key_file

ROOT = Path(__file__).resolve().parents[2]


def _drivers(cfg: Config) -> dict[str, str]:
    return {name: getattr(cfg.devices, name).driver for name in PRODUCTION_DRIVERS}


def test_the_defaults_are_real_devices_without_simulator_mode() -> None:
    cfg = load_config(None)
    assert cfg.kiosk.simulator_mode is False
    assert "sim" not in _drivers(cfg).values()
    assert _drivers(cfg) == PRODUCTION_DRIVERS


def test_a_production_file_with_lines_missing_still_runs_on_real_devices(tmp_path: Path) -> None:
    text = (ROOT / "packaging" / "kiosk.toml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^simulator_mode = .*\n", "", text)  # the line a tired installer forgets
    text = re.sub(r"(?m)^\[devices\.camera\]\n(?:[^\[\n].*\n)*", "", text)  # a whole device table
    text = text.replace('[devices.pin_pad]\ndriver = "zt588"\n', "[devices.pin_pad]\n")  # a driver line
    assert "simulator_mode" not in text and "[devices.camera]" not in text
    path = tmp_path / "kiosk.toml"
    path.write_text(text, encoding="utf-8")
    cfg = load_config(path)
    assert cfg.kiosk.simulator_mode is False
    assert cfg.devices.camera.driver == "opencv" and cfg.devices.pin_pad.driver == "zt588"
    assert cfg.devices.pin_pad.port == "/dev/ttyUSB1"  # the rest of that table still applies
    assert "sim" not in _drivers(cfg).values()


def test_the_demo_asks_for_simulators_by_name() -> None:
    demo = load_config(ROOT / "config" / "demo.toml")
    assert demo.kiosk.simulator_mode is True and set(_drivers(demo).values()) == {"sim"}
    assert "sim" not in _drivers(load_config(ROOT / "config" / "kiosk.example.toml")).values()
    on_sims = simulated(load_config(None))  # what tests call
    assert on_sims.kiosk.simulator_mode is True and set(_drivers(on_sims).values()) == {"sim"}


# ---- the queue key ---------------------------------------------------------------------------
def _cfg(tmp_path: Path, *, simulator: bool) -> Config:
    base = load_config(None)
    cfg = dataclasses.replace(base, kiosk=dataclasses.replace(base.kiosk, data_dir=str(tmp_path / "kiosk")),
                              central=dataclasses.replace(base.central, url="http://127.0.0.1:9"))
    return simulated(cfg) if simulator else cfg


def _queue_two_items(cfg: Config) -> None:
    outbox, _forwarder, transport, _key = open_queue(cfg, LinkMonitor(), None)
    for n in range(2):
        outbox.enqueue("POST", "/v1/_test/echo", b'{"n": %d}' % n, service="test")
    outbox.close()
    transport.close()


def _states(cfg: Config, key: bytes) -> list[str]:
    ob = Outbox(cfg.data_path(cfg.offline.queue_db), BodyCipher(key))
    try:
        ob.claim_due(10)  # what the forwarder does first: a body that does not open is set aside here
        return [i.state for i in ob.list_items()]
    finally:
        ob.close()


def test_a_missing_key_with_items_waiting_refuses_and_names_the_file(tmp_path: Path) -> None:
    cfg = _cfg(tmp_path, simulator=True)  # even the demo must not replace the key under queued items
    _queue_two_items(cfg)
    key_path = cfg.data_path(cfg.offline.queue_key_file)
    key = bytes.fromhex(key_path.read_text().strip())
    key_path.unlink()  # a restore that forgot the key
    with pytest.raises(QueueKeyRefused) as err:
        open_queue(cfg, LinkMonitor(), None)
    message = str(err.value)
    assert str(key_path) in message and "2 queued item(s)" in message
    assert "restore" in message and str(cfg.data_path(cfg.offline.queue_db)) in message
    assert not key_path.exists()  # no new key was made over them
    create_key_file(key_path)  # put back: the recovery step
    key_path.write_text(key.hex() + "\n")
    assert _states(cfg, key) == [State.IN_FLIGHT, State.IN_FLIGHT]  # nothing was set aside


@pytest.mark.parametrize("simulator", [True, False])
def test_another_key_with_items_waiting_refuses(tmp_path: Path, simulator: bool) -> None:
    cfg = _cfg(tmp_path, simulator=True)
    _queue_two_items(cfg)
    key_path = cfg.data_path(cfg.offline.queue_key_file)
    key_path.unlink()
    create_key_file(key_path)  # a key, but not theirs
    cfg = _cfg(tmp_path, simulator=simulator)
    with pytest.raises(QueueKeyRefused, match=r"is not the key 2 queued item\(s\) are sealed with") as err:
        open_queue(cfg, LinkMonitor(), None)
    assert str(key_path) in str(err.value)
    with pytest.raises(QueueKeyRefused):
        check_queue_key(cfg)


def test_production_never_makes_a_key_and_the_demo_only_for_an_empty_queue(tmp_path: Path) -> None:
    prod = _cfg(tmp_path, simulator=False)
    key_path = prod.data_path(prod.offline.queue_key_file)
    with pytest.raises(QueueKeyRefused, match="kiosk queue init-key"):
        check_queue_key(prod)
    assert not key_path.exists()
    demo = _cfg(tmp_path, simulator=True)
    outbox, _f, transport, _k = open_queue(demo, LinkMonitor(), None)  # an empty queue: a fresh demo key
    outbox.close()
    transport.close()
    assert key_path.exists()
    check_queue_key(prod)  # the right key and an empty queue: production starts too
