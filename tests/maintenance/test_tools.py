"""Self-tests, readiness report, consumables, stock ledger export/upload, queue, logs and config tools."""

from __future__ import annotations

import datetime as dt
import json
import logging
import stat
from pathlib import Path

import pytest
from openpyxl import load_workbook

from central_sim.faults import FaultRule
from central_sim.server import ServerHandle
from hal.sim.issuer import SimCardIssuer
from hal.sim.receipt_printer import SimReceiptPrinter
from kiosk.central.bodies import ContactBody
from kiosk.clock import CHINA_TZ
from kiosk.config import ConfigError, load_config
from kiosk.demo import chip_of, citizen, id_card_for
from kiosk.logs import JsonFormatter, add_log_file
from kiosk.maintenance import config_edit
from kiosk.maintenance.ledger_export import csv_bytes, export_day
from kiosk.maintenance.logs_view import read_logs
from kiosk.maintenance.queue_tools import QueueTools
from kiosk.maintenance.roles import Perm, PermissionDenied
from kiosk.maintenance.selftests import TESTS
from kiosk.runtime import Runtime, Services
from kiosk.stock_ledger import CardRecord, Kind
from tests.maintenance.conftest import ADMIN, STAFF, central_rows, eventually

PERSON = citizen("adult_active_card")


def test_self_tests_pass_on_working_devices_and_fail_with_a_code(runtime: Runtime, tmp_path: Path) -> None:
    svc = runtime.maintenance
    svc.login_password(*STAFF)
    svc.selftests.timeout_s = 0.5
    assert svc.run_selftest("id_reader").passed is False  # no card on the reader
    svc.simulator("id_reader", "place", citizen="adult_active_card")
    svc.simulator("card_reader", "insert", citizen="adult_active_card")
    assert not svc.readiness().ready  # not every device has passed a self-test yet
    results = {name: svc.run_selftest(name) for name in TESTS}
    assert all(r.passed for r in results.values()), results
    svc.simulator("id_reader", "place", citizen="adult_active_card")
    assert svc.run_selftest("id_reader").passed and svc.readiness().ready
    issuer = runtime.devices.issuer
    assert isinstance(issuer, SimCardIssuer) and issuer.rejected == 1  # the test card went to the reject box
    today = dt.datetime.now(CHINA_TZ).date()
    assert [r.reason for r in runtime.stock_ledger.rows(today)] == ["self-test card"]  # art. 27: spoiled stock
    svc.simulator("issuer", "unplug")
    failed = svc.run_selftest("issuer")
    assert not failed.passed and failed.detail == "unplugged" and failed.at
    stored = json.loads(svc.selftests.path.read_text(encoding="utf-8"))
    assert stored["issuer"]["passed"] is False and stored["camera"]["passed"] is True
    text = json.dumps(stored, ensure_ascii=False)
    assert PERSON["name"] not in text and PERSON["id_number"] not in text
    report = svc.readiness()
    assert not report.ready and "NOT READY" in report.text() and "issuer: power_off" in report.text()
    assert "<li>" in report.html() and "&lt;" not in report.html()[:60]
    printer = runtime.devices.receipt_printer
    assert isinstance(printer, SimReceiptPrinter)
    assert svc.print_readiness() and printer.printed[-1].title.startswith("就绪报告")
    assert svc.save_readiness(tmp_path / "exports").startswith("saved")
    html_file = next((tmp_path / "exports").glob("readiness-*.html"))
    assert "NOT READY" in html_file.read_text(encoding="utf-8") and stat.S_IMODE(html_file.stat().st_mode) == 0o600


def test_consumables_are_recorded_and_their_levels_feed_the_heartbeat(runtime: Runtime) -> None:
    svc = runtime.maintenance
    svc.login_password(*STAFF)
    issuer = runtime.devices.issuer
    assert isinstance(issuer, SimCardIssuer)
    issuer.steer("hopper", count=0)
    svc.act(Perm.CONSUMABLES, "refill_hopper", lambda: svc.consumables.refill_hopper(21, STAFF[0]))
    assert issuer.blanks == 21 and svc.consumables.blank_cards_left() == 21
    assert svc.consumables.levels()["blank_cards"].value == "ok"
    svc.run_selftest("issuer")  # one blank used
    assert svc.consumables.blank_cards_left() == 20
    runtime.poll_devices()
    assert runtime.heartbeat_state()["devices"]["issuer"]["supplies"]["blank_cards"] == "low"
    with pytest.raises(ValueError):
        svc.consumables.refill_hopper(0, STAFF[0])
    svc.run_selftest("issuer")
    spoiled = svc.consumables.empty_reject_box(3, STAFF[0])
    assert len(spoiled.cards) == 2 and spoiled.mismatch and "MISMATCH" in spoiled.lines()[1]
    assert issuer.rejected == 0 and svc.consumables.reject_box_used() == 0
    svc.consumables.replace_ribbon(STAFF[0])
    svc.consumables.change_receipt_paper(STAFF[0])
    actions = [r["action"] for r in svc.consumables.records()]
    assert actions == ["refill_hopper", "empty_reject_box", "replace_ribbon", "change_receipt_paper"]
    assert stat.S_IMODE(svc.consumables.path.stat().st_mode) == 0o600
    assert any(r["action"] == "refill_hopper" for r in svc.audit.records())


def test_stock_ledger_exports_masked_csv_and_xlsx_and_uploads_through_the_queue(
        runtime: Runtime, central: ServerHandle, tmp_path: Path) -> None:
    today = dt.datetime.now(CHINA_TZ)
    card = PERSON["cards"][0]
    runtime.stock_ledger.record(Kind.ISSUED, today, "APP-1", CardRecord(PERSON["name"], PERSON["id_number"],
                                                                       card["card_no"], "6217000012345678901"))
    runtime.stock_ledger.record(Kind.SPOILED, today, "APP-2", CardRecord("=HYPERLINK(\"x\")", "", "", ""),
                                "=cmd|' /C calc'!A0")
    csv_path, xlsx_path = export_day(runtime.stock_ledger, today.date(), tmp_path / "out")
    raw = csv_path.read_bytes() + xlsx_path.read_bytes()
    for secret in (PERSON["name"], PERSON["id_number"], card["card_no"], "6217000012345678901"):
        assert secret.encode() not in raw
    assert "3501**********0012" in csv_bytes(runtime.stock_ledger, today.date()).decode("utf-8")
    assert "'=cmd" in csv_path.read_text(encoding="utf-8-sig")  # a formula is text, never executed
    ws = load_workbook(xlsx_path).active
    assert ws is not None and ws.cell(2, 6).value == "林**" and ws.cell(3, 10).value.startswith("'=")
    assert ws.cell(2, 4).value == ws.cell(2, 3).value and ws.cell(3, 4).value is None  # handover: issued / spoiled
    assert stat.S_IMODE(csv_path.stat().st_mode) == 0o600
    Services(runtime).submit_stock_ledger(today.date())
    rows = eventually(lambda: central_rows(central, "SELECT * FROM stock_ledgers"), timeout=10)
    assert rows and PERSON["id_number"] in json.dumps(rows, ensure_ascii=False)  # the central gets it in full


def test_queue_tools_show_masked_items_and_flush(runtime: Runtime, central: ServerHandle) -> None:
    central.faults.add(FaultRule.from_dict({"path": "*", "down_for_s": 3600}))
    for _ in range(runtime.cfg.offline.link_down_after_failures):
        runtime.link.report_failure()
    runtime.gateway.change_contact(ContactBody(id_number=PERSON["id_number"], mobile="13912345678"))
    tools = QueueTools(runtime.outbox, runtime.forwarder)
    view = tools.view()
    assert view.depth >= 1 and any("contact" in line for line in view.lines)
    assert PERSON["id_number"] not in "".join(view.lines) and "13912345678" not in "".join(view.lines)
    central.faults.clear()
    assert tools.flush(timeout_s=10)
    assert tools.view().depth == 0


def test_logs_are_written_to_a_private_rotating_file_and_filtered(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "kiosk.log"
    add_log_file(path, max_bytes=2000, backups=3)
    root = logging.getLogger()
    old = root.level
    root.setLevel(logging.DEBUG)
    log = logging.getLogger("kiosk.test")
    try:
        for i in range(40):
            log.info("info line %d for 350102199003070012", i)
        log.warning("a warning")
        log.error("an error 13800000002")
    finally:
        root.setLevel(old)
        for h in [h for h in root.handlers if getattr(h, "_kiosk_file", False)]:
            root.removeHandler(h)
            h.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and (tmp_path / "logs" / "kiosk.log.1").exists()
    warnings = read_logs(path, min_level="warning")
    assert [e.msg for e in warnings] == ["a warning", "an error 138****0002"]
    every = read_logs(path, limit=10_000)
    assert all("350102199003070012" not in e.line() for e in every) and len(every) > 10
    future = dt.datetime.now() + dt.timedelta(hours=1)
    assert read_logs(path, since=future) == []
    with pytest.raises(ValueError):
        read_logs(path, min_level="loud")
    assert json.loads(JsonFormatter().format(logging.makeLogRecord({"msg": "x", "levelname": "INFO"})))["msg"] == "x"


def test_config_edit_is_for_administrators_validated_and_audited(runtime: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text('[kiosk]\nid = "FZ-T-1"\n\n[timeouts]\nidle_s = 60.0\n', encoding="utf-8")
    runtime.cfg = load_config(path)
    svc = runtime.maintenance
    svc.login_password(*STAFF)
    with pytest.raises(PermissionDenied):
        svc.edit_config("timeouts.idle_s", "90")
    svc.logout()
    svc.login_password(*ADMIN)
    old, value = svc.edit_config("timeouts.idle_s", "90")
    new = runtime.cfg
    assert (old, value, new.timeouts.idle_s, new.kiosk.id) == (60.0, 90.0, 90.0, "FZ-T-1")
    assert load_config(path).timeouts.idle_s == 90.0
    before = path.read_text(encoding="utf-8")
    for key, text in (("timeouts.idle_warning_s", "500"), ("nope.key", "1"), ("kiosk.simulator_mode", "yes"),
                      ("kiosk.outlet_name", "a\u202eb"), ("devices", "x")):
        with pytest.raises(ConfigError):
            config_edit.edit(new, key, text)
    assert path.read_text(encoding="utf-8") == before  # a refused edit leaves the file alone
    assert config_edit.flatten(new)["devices.camera.driver"] == "opencv"  # the default, kept
    with pytest.raises(ConfigError):
        svc.edit_config("timeouts.idle_s", "ninety")
    details = [(r["outcome"], r["detail"]) for r in svc.audit.records() if r["action"] == "config.edit"]
    assert ("ok", "timeouts.idle_s: 60.0 -> 90.0") in details and ("failed:ConfigError", "timeouts.idle_s") in details
    assert config_edit.dump_toml({"a": {"b": {"c": 'x"y'}}}).strip() == '[a.b]\nc = "x\\"y"'


def test_chip_and_id_helpers_are_the_demo_ones() -> None:
    assert chip_of(PERSON).data is not None and id_card_for(PERSON).id_number == PERSON["id_number"]
