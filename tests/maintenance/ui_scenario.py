"""Run as a subprocess: the technician's way through the touchscreen, offscreen.

Hidden corner taps → login (a wrong password first) → maintenance screen (citizens blocked,
heartbeat says maintenance) → simulator control, self-tests, hopper refill on the keypad, a
config edit refused to outlet staff → logout; then a second session that times out.
Prints one JSON line.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any


def main(out_dir: str) -> int:
    tmp = Path(tempfile.mkdtemp(prefix="ui-maint-"))
    from central_sim.server import run_in_thread

    central = run_in_thread(str(tmp / "central.sqlite"), port=0)
    from kiosk.maintenance.roles import Role
    from tests.ui.harness import UiHarness, test_config

    ui = UiHarness(test_config(tmp / "kiosk", central.url, kiosk={"language": "zh"}))
    svc = ui.runtime.maintenance
    svc.store.n = 2**10
    svc.store.add("1001", Role.OUTLET_STAFF, "24681357")
    report: dict[str, Any] = {}
    screen: Any = ui.app.maintenance_screen

    def login(tech: str, password: str) -> None:
        from kivy.core.window import Window

        for _ in range(5):
            ui.app.corner_tap(2, Window.height - 2)
        ui.pump_until(lambda: ui.app.login is not None, what="login overlay")
        ui.type_digits(tech)
        ui.tap("maint.ok")
        ui.type_digits(password)
        ui.tap("maint.ok")
        ui.pump(0.2)

    def section(name: str) -> None:
        """Open a section and wait for its lines: they are read in the background."""
        ui.tap(f"maint.section.{name}")
        ui.pump_until(lambda: screen.section == name and not screen.loading, what=f"section {name}")

    def act(kiosk_id: str, timeout: float = 15.0) -> str:
        before = len(screen.results)
        ui.tap(kiosk_id)
        ui.pump_until(lambda: len(screen.results) > before and not screen.loading, timeout, f"result of {kiosk_id}")
        return str(screen.results[-1])

    try:
        ui.pump_until(lambda: ui.screen == "attract", what="attract")
        login("1001", "11111111")
        report["wrong_password_screen"] = ui.screen
        report["login_still_open"] = ui.app.login is not None
        ui.tap("maint.cancel")
        login("1001", "24681357")
        ui.pump_until(lambda: ui.screen == "maintenance" and not screen.loading, what="maintenance screen")
        report["mode"] = ui.runtime.mode.value
        report["heartbeat_mode"] = ui.runtime.heartbeat_state()["mode"]
        report["citizen_reason"] = ui.runtime.out_of_service_reason()
        section("simulator")
        report["sim_place"] = act("maint.sim.id_reader.place")
        report["sim_insert"] = act("maint.sim.card_reader.insert")
        section("devices")
        report["test_id_reader"] = act("maint.test.id_reader")
        report["test_card_reader"] = act("maint.test.card_reader")
        report["test_receipt"] = act("maint.test.receipt_printer")
        ui.shot(Path(out_dir) / "maintenance-devices.png")
        report["devices_text"] = ui.text_of("maint.text")[:2000]
        section("consumables")
        ui.tap("maint.refill")
        ui.type_digits("50")
        before = len(screen.results)
        ui.tap("maint.number.ok")
        ui.pump_until(lambda: len(screen.results) > before and not screen.loading, 10, "refill result")
        report["refill"] = screen.results[-1]
        section("config")
        ui.tap("maint.cfg.timeouts.idle_s")
        ui.type_digits("90")
        before = len(screen.results)
        ui.tap("maint.number.ok")
        ui.pump_until(lambda: len(screen.results) > before and not screen.loading, 10, "config result")
        report["config_edit"] = screen.results[-1]
        section("logs")
        report["logs_text"] = ui.text_of("maint.text")[:200]
        ui.tap("maint.logout")
        ui.pump_until(lambda: ui.screen == "attract", what="attract after logout")
        report["mode_after_logout"] = ui.runtime.mode.value
        login("1001", "24681357")
        ui.pump_until(lambda: ui.screen == "maintenance", what="maintenance again")
        assert svc.session is not None
        svc.session.last_active -= 301  # five idle minutes pass
        ui.pump_until(lambda: ui.screen == "attract", 6, "idle timeout back to attract")
        report["after_timeout"] = [ui.screen, ui.runtime.mode.value]
        report["audit_ok"] = svc.audit.verify().ok
        report["audit_actions"] = [r["action"] for r in svc.audit.records()]
        report["max_frame_gap_s"] = ui.app.max_frame_gap_s
    finally:
        ui.close()
        central.stop()
    print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
