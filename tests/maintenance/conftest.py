"""A kiosk Runtime on simulators against the real reference central, with two technicians."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from central_sim.server import ServerHandle, run_in_thread
from kiosk.config import Config, load_config, simulated
from kiosk.maintenance.roles import Role
from kiosk.runtime import Runtime

STAFF = ("S1001", "staff-password-1")
ADMIN = ("A2001", "admin-password-1")
CENTRE = ("C3001", "centre-password-1")


def kiosk_config(tmp_path: Path, central_url: str, **kiosk: Any) -> Config:
    cfg = simulated(load_config(None))
    return dataclasses.replace(
        cfg,
        kiosk=dataclasses.replace(cfg.kiosk, data_dir=str(tmp_path / "kiosk"), **kiosk),
        central=dataclasses.replace(cfg.central, url=central_url, read_timeout_s=2.0, answer_wait_s=2.0,
                                    connect_timeout_s=0.5, heartbeat_interval_s=1.0),
        timeouts=dataclasses.replace(cfg.timeouts, idle_s=3.0, idle_warning_s=1.0, id_card_read_s=3.0,
                                     card_insert_s=3.0, pin_entry_s=3.0, card_take_s=2.0),
    )


@pytest.fixture
def central(tmp_path: Path) -> Iterator[ServerHandle]:
    handle = run_in_thread(str(tmp_path / "central.sqlite"), port=0)
    yield handle
    handle.stop()


def add_technicians(rt: Runtime) -> None:
    store = rt.maintenance.store
    store.n = 2**10  # tests only: cheap hashes
    store.add(*STAFF[:1], Role.OUTLET_STAFF, STAFF[1], card_code="TECHCARD00001001")
    store.add(*ADMIN[:1], Role.BANK_ADMIN, ADMIN[1])
    store.add(*CENTRE[:1], Role.DATA_CENTRE_ADMIN, CENTRE[1])


@pytest.fixture
def runtime(tmp_path: Path, central: ServerHandle) -> Iterator[Runtime]:
    rt = Runtime(kiosk_config(tmp_path, central.url))
    add_technicians(rt)
    rt.start()
    yield rt
    rt.maintenance.logout()
    rt.stop()


def central_rows(central: ServerHandle, sql: str, *params: Any) -> list[dict[str, Any]]:
    with central.central.db.read() as tx:
        return [dict(r) for r in tx.all(sql, params)]


def eventually(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got or time.monotonic() > deadline:
            return got
        time.sleep(0.05)
