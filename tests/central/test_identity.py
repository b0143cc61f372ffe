"""Who may act for which kiosk (issue 18, item 3): the kiosk id comes from the client certificate
(CN, or a single SAN DNS name), must match the path and every /v1/batch item, and idempotency keys
are scoped per kiosk. Over plain loopback HTTP (development, tests) X-Kiosk-Id stands in."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path
from typing import Any

import httpx
import pytest

from central_sim.central import Central
from central_sim.pki import Issued, issue
from central_sim.server import ServerHandle, create_app
from tests.central.test_heartbeat_monitor import kiosk_state
from tests.central.tls_fixtures import KIOSK_ID, Pki

OTHER = "FZ-TEST-0002"


def _tls(h: ServerHandle, pki: Pki, cert: Issued) -> httpx.Client:
    ctx = ssl.create_default_context(cafile=pki.ca.cert_file)
    ctx.load_cert_chain(cert.cert_file, cert.key_file)
    return httpx.Client(base_url=h.url, verify=ctx, timeout=10)


def _beat(kiosk: str, seq: int = 1) -> dict[str, Any]:
    return {**kiosk_state(), "kiosk_id": kiosk, "seq": seq}


def _events(n: int = 1) -> dict[str, Any]:
    return {"events": [{"event_id": f"00000000-0000-4000-8000-00000000000{i}", "at": "2026-12-06T10:00:00+08:00",
                        "type": "technician_action", "severity": "info", "code": "door_opened", "message": "-"}
                       for i in range(n)]}


def test_a_ca_signed_certificate_without_a_cn_acts_for_no_kiosk(tls_central: ServerHandle, pki: Pki,
                                                                 tmp_path: Path) -> None:
    no_cn = issue(tmp_path, "no-cn", pki.ca, None, server=False)
    with _tls(tls_central, pki, no_cn) as c:
        for kiosk in (KIOSK_ID, OTHER):
            r = c.post(f"/v1/kiosks/{kiosk}/heartbeat", json=_beat(kiosk), headers={"X-Kiosk-Id": kiosk})
            assert r.status_code == 403 and r.json()["error"]["code"] == "certificate_without_kiosk_id"
        assert c.get("/v1/health").status_code == 200  # the link probe needs no identity


def test_another_kiosks_certificate_cannot_act_for_this_kiosk(tls_central: ServerHandle, pki: Pki,
                                                              tmp_path: Path) -> None:
    other = issue(tmp_path, "other", pki.ca, OTHER, server=False)
    with _tls(tls_central, pki, other) as c:
        r = c.post(f"/v1/kiosks/{KIOSK_ID}/heartbeat", json=_beat(KIOSK_ID), headers={"X-Kiosk-Id": KIOSK_ID})
        assert r.status_code == 403 and r.json()["error"]["code"] == "kiosk_id_mismatch"
        r = c.post(f"/v1/kiosks/{KIOSK_ID}/heartbeat", json=_beat(KIOSK_ID))  # no header: the cert says OTHER
        assert r.status_code == 403 and r.json()["error"]["code"] == "kiosk_id_mismatch"
        # /v1/batch without the header acts as the certificate's kiosk, and only as that kiosk.
        items = [{"idempotency_key": "b1", "method": "POST", "path": f"/v1/kiosks/{KIOSK_ID}/events",
                  "body": _events()},
                 {"idempotency_key": "b2", "method": "POST", "path": f"/v1/kiosks/{OTHER}/events", "body": _events()}]
        r = c.post("/v1/batch", json={"items": items})
        assert r.status_code == 200
        assert [x["status"] for x in r.json()["results"]] == [403, 200]
    with tls_central.central.db.read() as tx:
        assert {row["kiosk_id"] for row in tx.all("SELECT kiosk_id FROM kiosk_events")} == {OTHER}


def test_a_certificate_may_name_the_kiosk_in_its_san_instead(tls_central: ServerHandle, pki: Pki,
                                                             tmp_path: Path) -> None:
    san = issue(tmp_path, "san", pki.ca, None, server=False, dns_names=(KIOSK_ID,))
    two = issue(tmp_path, "two", pki.ca, None, server=False, dns_names=(KIOSK_ID, OTHER))
    with _tls(tls_central, pki, san) as c:
        assert c.post(f"/v1/kiosks/{KIOSK_ID}/heartbeat", json=_beat(KIOSK_ID)).status_code == 200
    with _tls(tls_central, pki, two) as c:  # ambiguous: acts for nobody
        r = c.post(f"/v1/kiosks/{KIOSK_ID}/heartbeat", json=_beat(KIOSK_ID))
        assert r.status_code == 403 and r.json()["error"]["code"] == "certificate_without_kiosk_id"


def test_batch_over_loopback_needs_the_kiosk_header_and_acts_only_for_it(central: ServerHandle) -> None:
    items = [{"idempotency_key": "e1", "method": "POST", "path": f"/v1/kiosks/{KIOSK_ID}/events", "body": _events()}]
    r = httpx.post(central.url + "/v1/batch", json={"items": items})
    assert r.status_code == 400 and r.json()["error"]["code"] == "missing_kiosk_id"
    r = httpx.post(central.url + "/v1/batch", json={"items": items}, headers={"X-Kiosk-Id": OTHER})
    assert r.status_code == 200 and r.json()["results"][0]["status"] == 403
    beat = [{"idempotency_key": "h1", "method": "POST", "path": f"/v1/kiosks/{OTHER}/heartbeat",
             "body": _beat(KIOSK_ID)}]  # the item's body names another kiosk than its path
    r = httpx.post(central.url + "/v1/batch", json={"items": beat}, headers={"X-Kiosk-Id": OTHER})
    assert r.json()["results"][0]["status"] == 422
    with central.central.db.read() as tx:
        assert tx.scalar("SELECT COUNT(*) FROM kiosk_events") == 0


def test_production_result_names_the_sending_kiosk_only(central: ServerHandle) -> None:
    body = {"result": "failed", "failure_reason": "print head", "card_no": "A2", "produced_at":
            "2026-12-06T10:00:00+08:00", "kiosk_id": OTHER}
    r = httpx.post(central.url + "/v1/applications/APP-1/production-result", json=body,
                   headers={"X-Kiosk-Id": KIOSK_ID, "Idempotency-Key": "p1"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "kiosk_id_mismatch"


def test_idempotency_keys_are_scoped_per_kiosk(central: ServerHandle) -> None:
    key = "00000000-0000-4000-8000-0000000000aa"

    def send(kiosk: str, n: int) -> httpx.Response:
        return httpx.post(f"{central.url}/v1/kiosks/{kiosk}/events", json=_events(n),
                          headers={"X-Kiosk-Id": kiosk, "Idempotency-Key": key})

    first = send(KIOSK_ID, 1)
    assert first.status_code == 200 and first.json() == {"accepted": 1}
    other = send(OTHER, 2)  # same key, other kiosk: neither blocked (422 reused) nor served the first's outcome
    assert other.status_code == 200 and "idempotent-replayed" not in other.headers
    again = send(KIOSK_ID, 1)
    assert again.headers["idempotent-replayed"] == "true" and again.json() == {"accepted": 1}


def test_without_a_certificate_only_loopback_may_name_itself(tmp_path: Path) -> None:
    """The X-Kiosk-Id stand-in is for loopback development only: from any other address it is refused.
    (The real app, reached through httpx's ASGI transport so the peer address can be a LAN one.)"""
    central = Central(str(tmp_path / "c.sqlite"), seed=False)
    app = create_app(central.db.url, central=central)

    async def run() -> list[tuple[int, str]]:
        out = []
        transport = httpx.ASGITransport(app=app, client=("192.0.2.9", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://central") as c:
            for headers in ({"X-Kiosk-Id": KIOSK_ID}, {}):
                r = await c.post(f"/v1/kiosks/{KIOSK_ID}/heartbeat", json=_beat(KIOSK_ID), headers=headers)
                out.append((r.status_code, r.json()["error"]["code"]))
            out.append(((await c.get("/v1/health")).status_code, ""))
        return out

    try:
        assert asyncio.run(run()) == [(403, "client_certificate_required"), (403, "client_certificate_required"),
                                      (200, "")]
    finally:
        central.close()


@pytest.mark.parametrize("header", ["../etc", "FZ 1", "x" * 65])
def test_a_malformed_kiosk_header_is_refused(central: ServerHandle, header: str) -> None:
    r = httpx.post(f"{central.url}/v1/kiosks/FZ-1/heartbeat", json=_beat("FZ-1"), headers={"X-Kiosk-Id": header})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_kiosk_id"
