"""HttpTransport over mutual TLS to the reference central (trusting only the configured CA)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from central_sim.pki import make_dev_pki
from central_sim.server import run_in_thread
from offline_queue import Forwarder, ForwarderConfig, LinkMonitor, Outbox, QueueEvent, State, TransportError
from offline_queue.http_transport import HttpTransport

KIOSK = "FZ-TEST-0001"


def test_mutual_tls_delivery_and_refusals(
    tmp_path: Path, make_outbox: Callable[..., Outbox], events: list[QueueEvent]
) -> None:
    pki = make_dev_pki(tmp_path / "pki", [KIOSK])
    other = make_dev_pki(tmp_path / "other", [KIOSK])  # a CA the kiosk must not trust
    h = run_in_thread(
        str(tmp_path / "c.sqlite"),
        ssl_certfile=pki["server"].cert_file,
        ssl_keyfile=pki["server"].key_file,
        ssl_ca_certs=pki["ca"].cert_file,
        require_client_cert=True,
        seed=False,
    )
    try:
        assert h.url.startswith("https://")
        ob = make_outbox()
        a = ob.enqueue("POST", "/v1/_test/echo", b'{"n": 1}', service="test")
        good = HttpTransport(
            h.url,
            ca_file=pki["ca"].cert_file,
            cert_file=pki[KIOSK].cert_file,
            key_file=pki[KIOSK].key_file,
            default_headers={"X-Kiosk-Id": KIOSK},
        )
        fwd = Forwarder(
            ob, good, link=LinkMonitor(), config=ForwarderConfig(backoff_base_s=0.01), on_event=events.append
        )
        fwd.start()
        assert fwd.flush(10)
        fwd.stop()
        assert ob.get(a.id).state == State.ACKED

        wrong_ca = HttpTransport(
            h.url, ca_file=other["ca"].cert_file, cert_file=pki[KIOSK].cert_file, key_file=pki[KIOSK].key_file
        )
        with pytest.raises(TransportError):
            wrong_ca.send("POST", "/v1/_test/echo", b"{}", "0f6f3a4e-0000-4000-8000-000000000001")
        no_cert = HttpTransport(h.url, ca_file=pki["ca"].cert_file)
        with pytest.raises(TransportError):
            no_cert.send("POST", "/v1/_test/echo", b"{}", "0f6f3a4e-0000-4000-8000-000000000002")
    finally:
        h.stop()
