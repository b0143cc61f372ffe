"""The maintenance session on a real runtime: only from idle, blocks citizens, shows in the
heartbeat, checks roles, audits every action and batches the audit events to the central."""

from __future__ import annotations

import queue
from pathlib import Path

import pytest

from central_sim.server import ServerHandle
from hal.sim.card_reader import SimCardReader
from hal.sim.id_reader import SimIdCardReader
from kiosk.audit import verify_file
from kiosk.domain.services import ServiceId
from kiosk.flows.base import UserInput, View
from kiosk.maintenance.auth import AuthError
from kiosk.maintenance.roles import Perm, PermissionDenied
from kiosk.maintenance.service import NoSession, NotIdle
from kiosk.runtime import Mode, Runtime
from tests.maintenance.conftest import ADMIN, CENTRE, STAFF, central_rows, eventually


def mode(rt: Runtime) -> Mode:
    return rt.mode


def test_login_only_from_idle_and_the_session_blocks_citizen_services(runtime: Runtime) -> None:
    views: queue.Queue[View] = queue.Queue()
    channel = runtime.start_service(ServiceId.LOSS_REPORT, views.put)
    assert views.get(timeout=5).screen == "read_id"
    with pytest.raises(NotIdle):
        runtime.maintenance.login_password(*STAFF)
    assert runtime.enter_maintenance_requested(*STAFF) is False  # the UI hook says no, quietly
    channel.send(UserInput("cancel"))
    runtime.wait_idle(5)
    assert runtime.enter_maintenance_requested(*STAFF) is True
    assert mode(runtime) is Mode.MAINTENANCE
    assert runtime.out_of_service_reason() == "maintenance"
    assert runtime.heartbeat_state()["mode"] == "maintenance"
    with pytest.raises(NotIdle):  # a second technician cannot barge in
        runtime.maintenance.login_password(*ADMIN)
    with pytest.raises(RuntimeError):  # no citizen service starts, whatever the screen shows
        runtime.start_service(ServiceId.LOSS_REPORT, views.put)
    assert not runtime.is_idle()  # remote commands (e.g. set_mode from the central) wait for the technician
    runtime.maintenance.logout()
    assert mode(runtime) is Mode.IN_SERVICE and runtime.out_of_service_reason() is None


def test_roles_are_checked_and_every_action_is_audited_and_sent_to_the_central(
        runtime: Runtime, central: ServerHandle) -> None:
    svc = runtime.maintenance
    with pytest.raises(NoSession):
        svc.require(Perm.VIEW_DEVICES)
    with pytest.raises(AuthError):
        svc.login_password(STAFF[0], "wrong password")
    svc.login_password(*STAFF)
    with pytest.raises(PermissionDenied):
        svc.require(Perm.CONFIG_EDIT)
    svc.act(Perm.QUEUE_FLUSH, "queue.flush", lambda: None)
    svc.logout()
    svc.login_password(*CENTRE)
    svc.require(Perm.TECHNICIANS)
    svc.logout()
    records = svc.audit.records()
    actions = [(r["actor"], r["action"], r["outcome"]) for r in records]
    assert (STAFF[0], "login", "refused") in actions
    assert (STAFF[0], "config_edit", "denied") in actions
    assert (STAFF[0], "queue.flush", "ok") in actions
    assert (CENTRE[0], "logout", "logout") in actions
    assert svc.audit.verify().ok and verify_file(svc.audit.path, svc.audit._key).records == len(records)
    sent = eventually(lambda: len(central_rows(
        central, "SELECT * FROM kiosk_events WHERE type = 'technician_action'")) >= 6 or None, timeout=15)
    assert sent, "technician actions never reached the central's /events"


def test_citizen_transaction_outcomes_are_audited(runtime: Runtime) -> None:
    views: queue.Queue[View] = queue.Queue()
    channel = runtime.start_service(ServiceId.LOSS_REPORT, views.put)
    views.get(timeout=5)
    channel.send(UserInput("cancel"))
    runtime.wait_idle(5)
    rec = [r for r in runtime.maintenance.audit.records() if r["kind"] == "transaction"]
    assert rec and rec[-1]["action"].startswith("loss_report.")


def test_idle_session_ends_and_restores_the_mode(runtime: Runtime) -> None:
    now = [0.0]
    svc = runtime.maintenance
    svc.auth.clock = lambda: now[0]
    svc.login_password(*STAFF)
    now[0] += 299
    svc.require(Perm.VIEW_DEVICES)  # activity
    now[0] += 299
    assert svc.tick() and mode(runtime) is Mode.MAINTENANCE
    now[0] += 2
    assert not svc.tick()
    assert mode(runtime) is Mode.IN_SERVICE
    assert svc.audit.records()[-1]["outcome"] == "idle_timeout"
    with pytest.raises(NoSession):
        svc.require(Perm.VIEW_DEVICES)


def test_out_of_service_with_a_message_outlasts_the_session_and_restart_asks_the_app(runtime: Runtime) -> None:
    svc = runtime.maintenance
    svc.login_password(*STAFF)
    svc.out_of_service("打印机维修中 printer under repair\x1b[2J")
    svc.logout()
    assert mode(runtime) is Mode.OUT_OF_SERVICE and runtime.mode_message == "打印机维修中 printer under repair[2J"
    assert runtime.heartbeat_state()["mode"] == "out_of_service"
    restarted: list[bool] = []
    runtime.restart_handlers.append(lambda: restarted.append(True))
    svc.login_password(*STAFF)
    svc.back_in_service()
    svc.restart_app()
    assert restarted == [True] and runtime.restart_requested and svc.session is None
    assert mode(runtime) is Mode.IN_SERVICE


def test_technician_card_login_through_the_ui_hook(runtime: Runtime) -> None:
    svc = runtime.maintenance
    svc.login_password(*STAFF)
    svc.simulator("card_reader", "insert", technician=STAFF[0], card_code="TECHCARD00001001", pin="246810")
    svc.logout()
    assert runtime.enter_maintenance_requested("", "000000") is False
    assert runtime.enter_maintenance_requested("", "246810") is True
    assert svc.session is not None and svc.session.method == "card" and svc.session.tech_id == STAFF[0]


def test_simulator_control_steers_the_simulators(runtime: Runtime) -> None:
    svc = runtime.maintenance
    svc.login_password(*STAFF)
    svc.simulator("id_reader", "place", citizen="adult_active_card")
    assert isinstance(runtime.devices.id_reader, SimIdCardReader) and runtime.devices.id_reader.card_present()
    svc.simulator("card_reader", "insert", citizen="adult_active_card")
    assert isinstance(runtime.devices.card_reader, SimCardReader) and runtime.devices.card_reader.card_present()
    svc.simulator("card_reader", "remove")
    assert not runtime.devices.card_reader.card_present()
    svc.simulator("receipt_printer", "fail", op="print", code="paper_jam")
    assert svc.run_selftest("receipt_printer").passed is False
    face = Path(__file__).parents[1] / "data" / "faces"
    if any(face.glob("*.jpg")):
        svc.simulator("camera", "present", face=str(next(face.glob("*.jpg"))))
    with pytest.raises(ValueError):
        svc.simulator("door", "open")
    assert any(r["action"] == "sim.id_reader.place" for r in svc.audit.records())


def test_simulator_control_is_refused_outside_simulator_mode(tmp_path: Path, central: ServerHandle) -> None:
    from tests.maintenance.conftest import add_technicians, kiosk_config

    cfg = kiosk_config(tmp_path, central.url, simulator_mode=False)
    from offline_queue import create_key_file

    Path(cfg.kiosk.data_dir).mkdir(parents=True, mode=0o700)
    create_key_file(cfg.data_path(cfg.offline.queue_key_file))
    rt = Runtime(cfg)
    add_technicians(rt)
    rt.start()
    try:
        rt.maintenance.login_password(*STAFF)
        with pytest.raises(PermissionError):
            rt.maintenance.simulator("id_reader", "remove")
    finally:
        rt.maintenance.logout()
        rt.stop()


def test_audit_events_go_through_the_shared_queue_when_sync_runs_apart(tmp_path: Path,
                                                                        central: ServerHandle) -> None:
    import dataclasses

    from tests.maintenance.conftest import add_technicians, kiosk_config

    cfg = kiosk_config(tmp_path, central.url)
    cfg = dataclasses.replace(cfg, central=dataclasses.replace(cfg.central, sync="external"))
    rt = Runtime(cfg)
    add_technicians(rt)
    rt.start()
    try:
        assert rt.heartbeat is None
        rt.maintenance.login_password(*STAFF)
        rt.maintenance.logout()
        items = rt.outbox.list_items(limit=50)
        assert [i for i in items if i.path.endswith("/events")], items  # `kiosk sync` sends them
    finally:
        rt.stop()
