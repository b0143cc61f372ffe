"""`kiosk run`: wire configuration, the runtime and the Kivy app together."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from hal.atomic_file import write_atomic
from kiosk import watchdog
from kiosk.config import Config
from kiosk.dev_central import DevCentralMissing, RunningCentral, serve_in_thread
from kiosk.runtime import Runtime

log = logging.getLogger("kiosk.app")


def start_embedded_central(cfg: Config) -> RunningCentral:
    """The demo's reference central, on loopback only, through the development plug-in point."""
    parts = urlsplit(cfg.central.url)
    host = parts.hostname or "127.0.0.1"
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("central.embedded needs a loopback central.url")
    Path(cfg.central.embedded_db).parent.mkdir(parents=True, exist_ok=True)
    try:
        return serve_in_thread(cfg.central.embedded_db, host=host, port=parts.port or 8480)
    except DevCentralMissing as exc:  # an appliance install: no reference central to embed
        raise SystemExit(str(exc)) from exc


def save_screenshot(path: str) -> None:
    """Render the whole widget tree into an offscreen buffer and save it as PNG.

    Reading the window's framebuffer after a flip is undefined offscreen (it came out black
    at times); rendering the tree into an Fbo is deterministic.
    """
    from kivy.core.window import Window

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp.png")
    Window.children[0].export_to_png(str(tmp))
    write_atomic(target, tmp.read_bytes(), mode=0o644)
    tmp.unlink()


def run_app(cfg: Config, *, screenshot: str | None = None, exit_after: float | None = None) -> int:
    from screens.bootstrap import configure_kivy, register_fonts

    configure_kivy(cfg, headless=screenshot is not None)
    central = start_embedded_central(cfg) if cfg.central.embedded else None
    runtime = Runtime(cfg)
    simctl = None
    try:
        runtime.start()
        if cfg.kiosk.simulator_mode:
            from kiosk.simctl import SimControlServer

            simctl = SimControlServer(cfg.run_path("sim.sock"), runtime.devices)
            simctl.start()
        register_fonts()
        from kivy.clock import Clock
        from kivy.core.window import Window

        from kiosk.ui_feeds import runtime_feeds
        from screens.app import KioskApp

        app = KioskApp(runtime, runtime_feeds(runtime))
        ui_watchdog = watchdog.UiWatchdog()
        Clock.schedule_interval(ui_watchdog.tick, 0.5)  # pings only while the main loop runs
        Clock.schedule_once(lambda _dt: watchdog.ready("kiosk UI running"), 0)
        # restart_app (remote command): leave cleanly; systemd's Restart=always starts us again.
        runtime.restart_handlers.append(lambda: Clock.schedule_once(lambda _dt: app.stop(), 0))
        if screenshot:
            def shoot(*_a: Any) -> None:
                Window.unbind(on_flip=shoot)
                def finish(_dt: float) -> None:
                    save_screenshot(screenshot)
                    app.stop()

                Clock.schedule_once(finish, 0.3)

            Window.bind(on_flip=shoot)
        if exit_after is not None:
            Clock.schedule_once(lambda _dt: app.stop(), exit_after)
        app.run()
    finally:
        watchdog.stopping()
        if simctl is not None:
            simctl.stop()
        runtime.stop()
        if central is not None:
            central.stop()
    return 0
