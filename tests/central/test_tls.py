"""Mutual TLS: the client trusts only the configured CA and presents the kiosk certificate; refusals are typed."""

from __future__ import annotations

from pathlib import Path

import pytest

from central_sim.seed import citizen
from central_sim.server import ServerHandle, run_in_thread
from kiosk.central.client import CentralClient
from kiosk.central.errors import CentralAuthError, CentralConfigError
from tests.central.tls_fixtures import KIOSK_ID, Pki


def _client(h: ServerHandle, ca: str, cert: str = "", key: str = "", kiosk_id: str = KIOSK_ID) -> CentralClient:
    return CentralClient(h.url, kiosk_id, ca_file=ca, cert_file=cert, key_file=key)


def test_mutual_tls_round_trip(tls_central: ServerHandle, pki: Pki) -> None:
    assert tls_central.url.startswith("https://127.0.0.1:")
    p = citizen("adult_active_card")
    with _client(tls_central, pki.ca.cert_file, pki.kiosk.cert_file, pki.kiosk.key_file) as c:
        assert c.health().status == "ok"
        person = c.lookup_person(p["id_number"], p["name"])
        assert [card.card_no for card in person.cards] == ["A10000002"]


def test_server_from_an_untrusted_ca_is_refused(tls_central: ServerHandle, pki: Pki) -> None:
    with _client(tls_central, pki.other_ca.cert_file, pki.kiosk.cert_file, pki.kiosk.key_file) as c, \
            pytest.raises(CentralAuthError) as err:
        c.health()
    assert err.value.code == "server_certificate_refused"


def test_missing_client_certificate_is_refused(tls_central: ServerHandle, pki: Pki) -> None:
    with _client(tls_central, pki.ca.cert_file) as c, pytest.raises(CentralAuthError) as err:
        c.health()
    assert err.value.code == "client_certificate_refused"


@pytest.mark.parametrize("which", ["kiosk_expired", "kiosk_from_other_ca"])
def test_expired_or_foreign_client_certificate_is_refused(tls_central: ServerHandle, pki: Pki, which: str) -> None:
    cert = getattr(pki, which)
    with _client(tls_central, pki.ca.cert_file, cert.cert_file, cert.key_file) as c, \
            pytest.raises(CentralAuthError) as err:
        c.health()
    assert err.value.code == "client_certificate_refused"


def test_expired_server_certificate_is_refused(tmp_path: Path, pki: Pki) -> None:
    h = run_in_thread(str(tmp_path / "c.sqlite"), ssl_certfile=pki.server_expired.cert_file,
                      ssl_keyfile=pki.server_expired.key_file, ssl_ca_certs=pki.ca.cert_file,
                      require_client_cert=True, seed=False)
    try:
        with _client(h, pki.ca.cert_file, pki.kiosk.cert_file, pki.kiosk.key_file) as c, \
                pytest.raises(CentralAuthError) as err:
            c.health()
        assert err.value.code == "server_certificate_refused"
    finally:
        h.stop()


def test_kiosk_id_must_match_the_certificate(tls_central: ServerHandle, pki: Pki) -> None:
    p = citizen("adult_active_card")
    with _client(tls_central, pki.ca.cert_file, pki.kiosk.cert_file, pki.kiosk.key_file, "FZ-OTHER-9") as c, \
            pytest.raises(CentralAuthError) as err:
        c.lookup_person(p["id_number"], p["name"])
    assert (err.value.status, err.value.code) == (403, "kiosk_id_mismatch")


def test_plain_http_only_to_loopback_and_https_needs_a_ca() -> None:
    with pytest.raises(CentralConfigError):
        CentralClient("http://central.example.cn", KIOSK_ID)
    with pytest.raises(CentralConfigError):
        CentralClient("https://central.example.cn", KIOSK_ID)
    CentralClient("http://[::1]:1", KIOSK_ID).close()


def test_development_pki_from_the_cli(tmp_path: Path) -> None:
    from central_sim.cli import main

    assert main(["--make-pki", str(tmp_path / "pki"), "--kiosk-id", "FZ-GL-0009"]) == 0
    d = tmp_path / "pki"
    assert oct((d / "kiosk-FZ-GL-0009.key").stat().st_mode & 0o777) == "0o600"
    h = run_in_thread(str(tmp_path / "c.sqlite"), ssl_certfile=str(d / "server.crt"), ssl_keyfile=str(d / "server.key"),
                      ssl_ca_certs=str(d / "ca.crt"), require_client_cert=True, seed=False)
    try:
        with CentralClient(h.url, "FZ-GL-0009", ca_file=str(d / "ca.crt"), cert_file=str(d / "kiosk-FZ-GL-0009.crt"),
                           key_file=str(d / "kiosk-FZ-GL-0009.key")) as c:
            assert c.health().status == "ok"
    finally:
        h.stop()
