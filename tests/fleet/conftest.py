"""Fixtures: the reference central (real HTTP, loopback) with the console configured: three operators, one
per role, a reviewer, and a site registry; sessions logged in through the real login form."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from central_sim.clock import CST
from central_sim.console.auth import CONFIG_ENV, hash_password
from central_sim.server import ServerHandle, run_in_thread
from tests.central import pg_fixtures

# The shared backend fixtures (one definition, in tests/central/pg_fixtures.py)
backend, db_url, pg_server, pg_url = pg_fixtures.backend, pg_fixtures.db_url, pg_fixtures.pg_server, pg_fixtures.pg_url


PASSWORDS = {"vera": "viewer-pass-1", "otto": "operator-pass-1", "ada": "admin-pass-1", "lin": "reviewer-pass-1"}
ROLES = {"vera": "viewer", "otto": "operator", "ada": "admin", "lin": "viewer"}
DUTIES = {"lin": ["review"]}  # the 户口簿 review desk: a duty apart from the fleet roles
SITES = {"FZ-GL-0001": {"district": "GL", "branch": "鼓楼区社保中心", "name": "东街口"},
         "FZ-GL-0002": {"district": "GL", "branch": "鼓楼区社保中心", "name": "东街口"},
         "FZ-TJ-0001": {"district": "TJ", "branch": "台江区行政服务中心", "name": "宝龙"}}


class Clock:
    """The central's clock, moved by tests (heartbeat ages, consumption rates, the art. 21 limit)."""

    def __init__(self) -> None:
        self.now = dt.datetime.now(CST).replace(microsecond=0)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def write_console_config(directory: Path, sites: dict[str, dict[str, str]] | None = None) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "sites.json").write_text(json.dumps(sites or SITES, ensure_ascii=False), encoding="utf-8")
    users = [{"name": n, "role": ROLES[n], "duties": DUTIES.get(n, []), "password": hash_password(p, iterations=1000)}
             for n, p in PASSWORDS.items()]
    config = {"secret": "ab" * 32, "users": users, "sites": "sites.json"}
    path = directory / "console.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def central(db_url: str, tmp_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> Iterator[ServerHandle]:
    monkeypatch.setenv(CONFIG_ENV, str(write_console_config(tmp_path / "console")))
    handle = run_in_thread(db_url, clock=clock)
    yield handle
    handle.stop()


def login(central: ServerHandle, user: str) -> httpx.Client:
    client = httpx.Client(base_url=central.url, timeout=20)
    r = client.post("/console/login", data={"user": user, "password": PASSWORDS[user], "next": "/console"})
    assert r.status_code == 303 and r.headers["location"] == "/console", r.text
    return client


@pytest.fixture
def session(central: ServerHandle) -> Iterator[Callable[[str], httpx.Client]]:
    clients: list[httpx.Client] = []

    def make(user: str) -> httpx.Client:
        clients.append(login(central, user))
        return clients[-1]

    yield make
    for c in clients:
        c.close()
