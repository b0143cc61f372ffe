"""Fixtures: the reference central over real HTTP/HTTPS on loopback, a throwaway PKI, clients."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from central_sim.server import ServerHandle, run_in_thread
from kiosk.central.client import CentralClient
from tests.central import pg_fixtures
from tests.central.tls_fixtures import KIOSK_ID, Pki, make_pki

# The shared backend fixtures (one definition, in tests/central/pg_fixtures.py)
backend, db_url, pg_server, pg_url = pg_fixtures.backend, pg_fixtures.db_url, pg_fixtures.pg_server, pg_fixtures.pg_url


@pytest.fixture
def central(db_url: str) -> Iterator[ServerHandle]:
    handle = run_in_thread(db_url)
    yield handle
    handle.stop()


@pytest.fixture
def client(central: ServerHandle) -> Iterator[CentralClient]:
    with CentralClient(central.url, KIOSK_ID) as c:
        yield c


@pytest.fixture
def admin(central: ServerHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=central.url, timeout=10) as c:
        yield c


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def tls_central(tmp_path: Path, pki: Pki) -> Iterator[ServerHandle]:
    handle = run_in_thread(str(tmp_path / "central-tls.sqlite"), ssl_certfile=pki.server.cert_file,
                           ssl_keyfile=pki.server.key_file, ssl_ca_certs=pki.ca.cert_file, require_client_cert=True)
    yield handle
    handle.stop()
