"""The switch waits for the kiosk: no session in progress, then out of service (asked through the UI spool)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from kiosk.command_spool import CommandSpool
from kiosk.config import Config, KioskSection
from kiosk.sync import UiStateFile
from kiosk.update.health import NotNow, wait_for_switch_window


def cfg_for(tmp: Path) -> Config:
    return Config(kiosk=KioskSection(data_dir=str(tmp / "data"), run_dir=str(tmp / "run")))


class FakeUiLoop:
    """The UI's side of the files: publishes its state, obeys set_mode commands from the spool."""

    def __init__(self, cfg: Config, busy_for_s: float) -> None:
        self.state = UiStateFile(cfg.run_path("ui-state.json"))
        self.spool = CommandSpool(cfg.run_path(""))
        self.busy_until = time.monotonic() + busy_for_s
        self.mode = "in_service"
        self.stop = threading.Event()
        self.saw_busy_command = False

    def run(self) -> None:
        while not self.stop.is_set():
            busy = time.monotonic() < self.busy_until
            for cmd in self.spool.take():
                self.saw_busy_command |= busy
                if cmd.get("type") == "set_mode":
                    self.mode = str(cmd["mode"])
            self.state.write({"mode": self.mode, "in_transaction": busy, "devices": {}})
            time.sleep(0.02)


def test_waits_for_the_session_to_end_then_takes_the_kiosk_out_of_service(tmp_path: Path) -> None:
    cfg = cfg_for(tmp_path)
    ui = FakeUiLoop(cfg, busy_for_s=0.5)
    ui.state.write({"mode": "in_service", "in_transaction": True, "devices": {}})
    t = threading.Thread(target=ui.run)
    t.start()
    try:
        from kiosk.update.cli import _ask_out_of_service

        t0 = time.monotonic()
        wait_for_switch_window(cfg, timeout_s=10, poll_s=0.02, request_out_of_service=lambda: _ask_out_of_service(cfg))
        assert time.monotonic() - t0 >= 0.4  # not before the citizen was done
        assert ui.mode == "out_of_service"
        assert not ui.saw_busy_command  # never asked to go out of service mid-session
    finally:
        ui.stop.set()
        t.join()


def test_gives_up_when_a_session_does_not_end(tmp_path: Path) -> None:
    cfg = cfg_for(tmp_path)
    ui = FakeUiLoop(cfg, busy_for_s=60)
    ui.state.write({"mode": "in_service", "in_transaction": True, "devices": {}})
    t = threading.Thread(target=ui.run)
    t.start()
    try:
        with pytest.raises(NotNow, match="session is in progress"):
            wait_for_switch_window(cfg, timeout_s=0.3, poll_s=0.02)
    finally:
        ui.stop.set()
        t.join()
