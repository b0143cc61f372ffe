"""A throwaway PostgreSQL for the central tests: $CENTRAL_SIM_TEST_PG_URL, or a temporary cluster.

The cluster is started with the distribution's initdb/pg_ctl on a free port (as the ``postgres``
user when the tests run as root, since PostgreSQL refuses to run as root), fsync off because
it is discarded after the session. Each test gets its own freshly created database.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ENV_URL = "CENTRAL_SIM_TEST_PG_URL"
BOTH_BACKENDS = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


@dataclass
class PgServer:
    admin_url: str  # a URL whose database we may CREATE/DROP other databases from

    def url_for(self, dbname: str) -> str:
        base, _, _ = self.admin_url.rpartition("/")
        return f"{base}/{dbname}"


def _bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_cluster() -> Iterator[PgServer]:
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    if initdb is None or pg_ctl is None:
        pytest.skip(f"no PostgreSQL: initdb/pg_ctl not installed (apt-get install postgresql) and ${ENV_URL} unset")
    as_user: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("runuser") is None or subprocess.run(["id", "postgres"], capture_output=True).returncode:
            pytest.skip(f"no PostgreSQL: running as root without a 'postgres' user to run it, and ${ENV_URL} unset")
        as_user = ["runuser", "-u", "postgres", "--"]
    root = tempfile.mkdtemp(prefix="central-pg-")
    if as_user:
        shutil.chown(root, "postgres")
    data, port = os.path.join(root, "data"), _free_port()
    subprocess.run([*as_user, initdb, "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"],
                   check=True, capture_output=True, timeout=60)
    opts = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
    subprocess.run([*as_user, pg_ctl, "-D", data, "-o", opts, "-l", os.path.join(root, "log"), "-w", "-t", "30",
                    "start"], check=True, capture_output=True, timeout=60)
    try:
        yield PgServer(f"postgresql://postgres@127.0.0.1:{port}/postgres")
    finally:
        subprocess.run([*as_user, pg_ctl, "-D", data, "-m", "immediate", "stop"], capture_output=True, timeout=30)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("no PostgreSQL: psycopg is not installed (pip install 'psycopg[binary]')")
    if os.environ.get(ENV_URL):
        yield PgServer(os.environ[ENV_URL])
    else:
        yield from _start_cluster()


@pytest.fixture
def pg_url(pg_server: PgServer) -> Iterator[str]:
    """A new empty database for one test, dropped afterwards."""
    import psycopg

    name = f"central_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server.admin_url, autocommit=True, connect_timeout=10) as admin:
        admin.execute(f'CREATE DATABASE "{name}"'.encode())
    yield pg_server.url_for(name)
    with psycopg.connect(pg_server.admin_url, autocommit=True, connect_timeout=10) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())


# The backend a test runs on, shared by tests/central and tests/fleet (their conftests import these).
@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """"sqlite" unless a test is marked with BOTH_BACKENDS."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
def db_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if backend == "postgresql":
        return str(request.getfixturevalue("pg_url"))
    return str(tmp_path / "central.sqlite")
