"""The console's `run_self_tests` and `upload_stock_ledger` actions, end to end.

An operator asks through the console's JSON API; the reference central (real HTTP) hands the
command to a real kiosk runtime (simulated devices) on its next heartbeat; the kiosk runs it when
no session is in progress, off the UI thread, and its command_result event is what the console
then shows beside the command.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from central_sim.server import ServerHandle
from kiosk.clock import CHINA_TZ
from kiosk.command_spool import CommandSpool
from kiosk.mode import Mode, ModeMachine
from kiosk.remote_commands import SELF_TEST_MESSAGE, RemoteCommands, Restarter
from kiosk.runtime import Runtime
from kiosk.stock_ledger import CardRecord, Kind
from tests.e2e.conftest import kiosk_config

Session = Callable[[str], httpx.Client]


def wait_for(pred: Callable[[], object], timeout: float = 20.0) -> Any:
    end = time.monotonic() + timeout
    while not (value := pred()):
        assert time.monotonic() < end, "condition not met in time"
        time.sleep(0.05)
    return value


@pytest.fixture
def kiosk(central: ServerHandle, tmp_path: Path) -> Iterator[Runtime]:
    cfg = kiosk_config(tmp_path, central.url)
    cfg = dataclasses.replace(cfg, central=dataclasses.replace(cfg.central, heartbeat_interval_s=0.3))
    rt = Runtime(cfg)
    rt.start()
    yield rt
    rt.stop()


def ask(session: Session, kiosk_id: str, action: str) -> tuple[httpx.Client, str]:
    operator = session("otto")
    token = operator.get("/console/api/session").json()["csrf"]
    r = operator.post(f"/console/api/kiosks/{kiosk_id}/actions", headers={"X-CSRF-Token": token},
                      json={"action": action, "reason": "asked by the branch", "confirm": True})
    assert r.status_code == 201, r.text
    return operator, str(r.json()["command"]["id"])


def outcome(operator: httpx.Client, kiosk_id: str, command_id: str) -> str | None:
    for c in operator.get(f"/console/api/kiosks/{kiosk_id}").json()["commands"]:
        if c["command_id"] == command_id:
            return c["outcome"] or None
    return None


def test_self_tests_run_on_the_kiosk_and_their_result_shows_in_the_console(
        central: ServerHandle, kiosk: Runtime, session: Session) -> None:
    kid = kiosk.cfg.kiosk.id
    wait_for(lambda: outcome_ready_kiosk(session, kid))
    kiosk.devices.issuer.steer("unplug")  # type: ignore[union-attr]  # a real fault the probes must report
    modes_seen: list[Mode] = []
    ran_on: list[str] = []
    real = kiosk.maintenance.selftests.run

    def spy(name: str) -> Any:  # records, then runs the real test
        modes_seen.append(kiosk.mode)
        ran_on.append(threading.current_thread().name)
        return real(name)

    kiosk.maintenance.selftests.run = spy  # type: ignore[method-assign]
    operator, cid = ask(session, kid, "self_tests")
    result = wait_for(lambda: outcome(operator, kid, cid))
    n = len(kiosk.devices.statuses())  # every configured device is probed
    assert result.startswith(f"run_self_tests_ok: probes {n - 1}/{n} usable (issuer=power_off)")
    assert "camera pass" in result and "audio pass" in result
    assert modes_seen == [Mode.OUT_OF_SERVICE, Mode.OUT_OF_SERVICE]  # no citizen may start meanwhile
    assert "MainThread" not in ran_on
    assert kiosk.mode is Mode.IN_SERVICE  # and back afterwards
    assert kiosk.maintenance.selftests.results["camera"].passed  # kept for the readiness report
    page = operator.get(f"/console/kiosks/{kid}").text
    assert "issuer=power_off" in page[page.index('id="commands"'):]


def test_self_tests_wait_for_the_session_in_progress(central: ServerHandle, kiosk: Runtime, session: Session,
                                                     db_url: str) -> None:
    kid = kiosk.cfg.kiosk.id
    wait_for(lambda: outcome_ready_kiosk(session, kid))
    kiosk.maintenance.session = object()  # type: ignore[assignment]  # a technician is at the kiosk
    operator, cid = ask(session, kid, "self_tests")
    delivered = f"SELECT delivered_at FROM kiosk_commands WHERE command_id = '{cid}'"
    wait_for(lambda: central_one(db_url, delivered))
    time.sleep(1.0)  # several heartbeats: still held while the session lasts
    assert outcome(operator, kid, cid) is None
    kiosk.maintenance.session = None
    assert wait_for(lambda: outcome(operator, kid, cid)).startswith("run_self_tests_ok")


def test_ledger_upload_reaches_the_central_through_the_queue(central: ServerHandle, kiosk: Runtime,
                                                             session: Session, db_url: str) -> None:
    kid = kiosk.cfg.kiosk.id
    wait_for(lambda: outcome_ready_kiosk(session, kid))
    now = dt.datetime.now(CHINA_TZ)
    kiosk.stock_ledger.record(Kind.SPOILED, now, "app-1", CardRecord(), "print error")
    operator, cid = ask(session, kid, "ledger")
    day = kiosk.clock.today().isoformat()
    result = wait_for(lambda: outcome(operator, kid, cid))
    assert result == f"upload_stock_ledger_ok: stock ledger {day} queued (1 rows)"
    row = wait_for(lambda: central_one(db_url, f"SELECT entries FROM stock_ledgers WHERE kiosk_id = '{kid}'"
                                                f" AND date = '{day}'"))
    entries = json.loads(row)
    assert [e.get("kind") for e in entries] == ["spoiled"]


def outcome_ready_kiosk(session: Session, kiosk_id: str) -> bool:
    """The central has heard the kiosk (the console knows it)."""
    return session("vera").get(f"/console/api/kiosks/{kiosk_id}").status_code == 200


def central_one(db: str, sql: str) -> Any:
    with sqlite3.connect(db) as conn:
        row = conn.execute(sql).fetchone()
    return row[0] if row else None


def test_through_the_ui_spool_the_kiosk_returns_to_the_mode_it_was_in(tmp_path: Path) -> None:
    """`kiosk sync` apart: the command reaches the UI through its spool; a kiosk already out of
    service for another reason stays so, with its own message, after the tests."""
    modes = ModeMachine()
    modes.set(Mode.OUT_OF_SERVICE, "网点装修 renovation")
    during: list[tuple[Mode, str]] = []

    def tests() -> str:
        during.append((modes.mode, modes.message))
        return "probes 8/8 usable"

    commands = RemoteCommands(modes=modes, reload_config=lambda: "reloaded", restarter=Restarter(),
                              self_tests=tests, upload_stock_ledger=lambda: "queued")
    spool = CommandSpool(tmp_path)
    spool.post({"id": "c1", "type": "run_self_tests"})
    spool.post({"id": "c2", "type": "upload_stock_ledger"})
    commands.run_spool(spool)
    assert {o["id"]: (o["ok"], o["message"]) for o in spool.outcomes()} == {
        "c1": (True, "probes 8/8 usable"), "c2": (True, "queued")}
    assert during == [(Mode.OUT_OF_SERVICE, SELF_TEST_MESSAGE)]
    assert (modes.mode, modes.message) == (Mode.OUT_OF_SERVICE, "网点装修 renovation")
