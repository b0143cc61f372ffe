"""Drives the real Kivy app offscreen in this process: pump frames, tap widgets by id.

Kivy creates one window per process, so each UI scenario runs in its own subprocess
(see run_scenario.py); the test only reads the scenario's exit code and JSON report.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk.config import Config, load_config


def test_config(data_dir: Path, central_url: str, **sections: dict[str, Any]) -> Config:
    cfg = load_config(None)
    cfg = dataclasses.replace(
        cfg,
        kiosk=dataclasses.replace(cfg.kiosk, data_dir=str(data_dir), **sections.get("kiosk", {})),
        central=dataclasses.replace(cfg.central, url=central_url, read_timeout_s=3.0, connect_timeout_s=1.0,
                                    **sections.get("central", {})),
        timeouts=dataclasses.replace(cfg.timeouts, **sections.get("timeouts", {})),
        ui=dataclasses.replace(cfg.ui, width=1280, height=800, **sections.get("ui", {})),
    )
    return cfg


class UiHarness:
    def __init__(self, cfg: Config, central: Any = None) -> None:
        from screens.bootstrap import configure_kivy, register_fonts

        home = Path(cfg.kiosk.data_dir) / "kivy"
        home.mkdir(parents=True, exist_ok=True)
        os.environ.setdefault("KIVY_HOME", str(home))
        configure_kivy(cfg, headless=True)
        from kiosk.runtime import Runtime

        self.runtime = Runtime(cfg, central=central)
        self.runtime.start()
        register_fonts()
        from kivy.base import EventLoop

        from screens.app import KioskApp

        self.app = KioskApp(self.runtime)
        self.app._run_prepare()
        self._loop = EventLoop
        self.pump(0.2)

    def pump(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self._loop.idle()
            time.sleep(0.005)

    def pump_until(self, pred: Callable[[], bool], timeout: float = 10.0, what: str = "") -> None:
        end = time.monotonic() + timeout
        while not pred():
            if time.monotonic() > end:
                raise AssertionError(f"timed out waiting for {what or pred}; screen={self.screen}")
            self._loop.idle()
            time.sleep(0.005)

    @property
    def screen(self) -> str:
        return str(self.app.sm.current)

    @property
    def view(self) -> Any:
        return self.app.flow.view

    def tap(self, kiosk_id: str) -> None:
        self.pump_until(lambda: kiosk_id in self.app.widgets and not self.app.widgets[kiosk_id].disabled,
                        what=f"widget {kiosk_id}")
        self.app.tap(kiosk_id)
        self.pump(0.05)

    def shot(self, path: str | Path) -> None:
        from kiosk.app_main import save_screenshot

        self.pump(0.1)
        save_screenshot(str(path))

    def close(self) -> None:
        self.app.stop()
        self.runtime.stop()
