"""The maintenance screens through the touchscreen, in their own process (one Kivy window each)."""

from __future__ import annotations

from pathlib import Path

from tests.ui.test_loss_report_ui import run_scenario


def test_technician_session_through_the_touchscreen(tmp_path: Path) -> None:
    r = run_scenario("tests.maintenance.ui_scenario", str(tmp_path))
    assert r["wrong_password_screen"] == "attract" and r["login_still_open"] is True
    assert r["mode"] == r["heartbeat_mode"] == "maintenance" and r["citizen_reason"] == "maintenance"
    assert str(r["test_id_reader"]).endswith("PASS ID card read with photo") or "PASS" in str(r["test_id_reader"])
    assert "PASS" in str(r["test_card_reader"]) and "PASS" in str(r["test_receipt"])
    assert "hopper: " in str(r["refill"]) and "50" in str(r["refill"])
    assert "PermissionDenied" in str(r["config_edit"])  # outlet staff may not edit the configuration
    assert "id_reader" in str(r["devices_text"]) and "PASS" in str(r["devices_text"])
    assert r["mode_after_logout"] == "in_service"
    assert r["after_timeout"] == ["attract", "in_service"]
    actions = r["audit_actions"]
    assert isinstance(actions, list) and r["audit_ok"] is True
    for a in ("login", "sim.id_reader.place", "selftest.id_reader", "refill_hopper", "config_edit", "logout"):
        assert a in actions, a
    png = tmp_path / "maintenance-devices.png"
    assert png.exists() and png.stat().st_size > 5000


def test_maintenance_screens_read_no_file_or_sqlite_on_the_kivy_thread(tmp_path: Path) -> None:
    """Every section (queue pages, log tails, ledgers, device states), the login, the session check
    and the logout read and write on a background thread; the Kivy thread only renders."""
    r = run_scenario("tests.maintenance.main_thread_scenario", str(tmp_path))
    shown = r["shown"]
    assert isinstance(shown, list) and [s[0] for s in shown] == [
        "devices", "consumables", "ledger", "queue", "logs", "config", "service", "simulator"]
    assert "depth" in dict(shown)["queue"] and "level" in dict(shown)["logs"]  # the lines did arrive
    # The watch sees such reads: a probe on the main thread before the UI ran, and the screens'
    # own reads on the background worker (the log file, the audit log).
    probe, elsewhere = r["probe"], r["elsewhere"]
    assert isinstance(probe, list) and isinstance(elsewhere, list)
    assert "sqlite3.connect :memory:" in probe and "sqlite3 Connection.execute" in probe, probe
    assert any(p.startswith("open ") and p.endswith("probe.txt") for p in probe), probe
    assert any(e.startswith("open ") and e.endswith(".log") for e in elsewhere), elsewhere[:20]
    assert r["main_thread"] == []
