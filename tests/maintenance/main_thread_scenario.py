"""Run as a subprocess: every maintenance screen is built and shown offscreen while an audit hook
and a profiler watch the Kivy (main) thread for reads of the kiosk's files and SQLite.

Login → every section → a log filter action → logout → a second session that times out.
Recorded on the main thread, while the UI runs: any ``open`` of a file under the kiosk's data
directory, any new SQLite connection, any call into a SQLite connection or cursor (queries on
connections opened earlier raise no audit event, so the profiler catches those). Prints one
JSON line: what was seen on the main thread, and what was seen on other threads (proof that
the watch works: the same reads happen, elsewhere).
"""

from __future__ import annotations

import json
import sqlite3
import sys
import tempfile
import threading
from pathlib import Path
from types import FrameType
from typing import Any

MAIN = threading.main_thread()


class Watch:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = str(data_dir.resolve())
        self.kivy_home = str((data_dir / "kivy").resolve())
        self.on = False
        self.main: list[str] = []
        self.elsewhere: list[str] = []

    def _note(self, what: str) -> None:
        (self.main if threading.current_thread() is MAIN else self.elsewhere).append(what)

    def audit(self, event: str, args: tuple[Any, ...]) -> None:
        if not self.on:
            return
        if event == "sqlite3.connect":
            self._note(f"sqlite3.connect {args[0]}")
        elif event == "open" and isinstance(args[0], str | Path):
            path = str(Path(args[0]).resolve()) if not str(args[0]).startswith(self.data_dir) else str(args[0])
            if path.startswith(self.data_dir) and not path.startswith(self.kivy_home):
                self._note(f"open {path}")

    def profile(self, _frame: FrameType, event: str, arg: Any) -> None:
        if self.on and event == "c_call" and isinstance(getattr(arg, "__self__", None),
                                                        sqlite3.Connection | sqlite3.Cursor):
            self._note(f"sqlite3 {arg.__qualname__}")


def main(out_dir: str) -> int:
    tmp = Path(tempfile.mkdtemp(prefix="ui-maint-main-"))
    from central_sim.server import run_in_thread

    central = run_in_thread(str(tmp / "central.sqlite"), port=0)
    from kiosk.maintenance.roles import Role
    from screens.maintenance_ui.sections import SECTIONS
    from tests.ui.harness import UiHarness, test_config

    ui = UiHarness(test_config(tmp / "kiosk", central.url, kiosk={"language": "zh"}))
    svc = ui.runtime.maintenance
    svc.store.n = 2**10
    svc.store.add("1002", Role.DATA_CENTRE_ADMIN, "24681357")
    watch = Watch(tmp / "kiosk")
    sys.addaudithook(watch.audit)
    sys.setprofile(watch.profile)  # this (the Kivy) thread only
    report: dict[str, Any] = {"shown": []}
    screen: Any = ui.app.maintenance_screen

    def login() -> None:
        from kivy.core.window import Window

        for _ in range(5):
            ui.app.corner_tap(2, Window.height - 2)
        ui.pump_until(lambda: ui.app.login is not None, what="login overlay")
        ui.type_digits("1002")
        ui.tap("maint.ok")
        ui.type_digits("24681357")
        ui.tap("maint.ok")
        ui.pump_until(lambda: ui.screen == "maintenance" and not screen.loading, what="maintenance screen")

    try:
        ui.pump_until(lambda: ui.screen == "attract", what="attract")
        watch.on = True  # the probe: reads on this thread are seen
        sqlite3.connect(":memory:").execute("select 1").close()
        (tmp / "kiosk" / "probe.txt").write_text("probe")
        report["probe"], watch.main = watch.main, []
        login()
        for name in SECTIONS:
            ui.tap(f"maint.section.{name}")
            ui.pump_until(lambda n=name: screen.section == n and not screen.loading, what=f"section {name}")
            report["shown"].append([name, ui.text_of("maint.text")[:80]])
            if name == "logs":  # an action re-reads the section
                before = len(screen.results)
                ui.tap("maint.log.error")
                ui.pump_until(lambda b=before: len(screen.results) > b and not screen.loading, what="log filter")
        ui.pump(2.5)  # the session check ticks at least once
        ui.tap("maint.logout")
        ui.pump_until(lambda: ui.screen == "attract", what="attract after logout")
        login()
        assert svc.session is not None
        svc.session.last_active -= 301  # five idle minutes pass
        ui.pump_until(lambda: ui.screen == "attract", 6, "idle timeout back to attract")
        watch.on = False
        report["main_thread"] = watch.main
        report["elsewhere"] = watch.elsewhere
        report["messages"] = list(screen.results)
    finally:
        sys.setprofile(None)
        watch.on = False
        ui.close()
        central.stop()
    print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
