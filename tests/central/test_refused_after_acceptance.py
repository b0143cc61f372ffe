"""An application the kiosk accepted offline (``mobile_unverified`` / ``insured_status_unverified``) and
the central refuses on delivery: the answer is the same 422 with every reason, and the refusal is kept
where the citizen will look, since the kiosk gave a receipt: the progress query lists the application
as ``refused`` with its reasons. A refusal of an online request, which the citizen saw at once, keeps
nothing."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from central_sim.server import ServerHandle
from kiosk.central.client import CentralClient
from kiosk.demo import citizen
from tests.central.test_apply_mobile import body
from tests.central.tls_fixtures import KIOSK_ID

PERSON = citizen("adult_never_applied")


def post(central: ServerHandle, b: dict[str, Any], key: str) -> httpx.Response:
    return httpx.post(f"{central.url}/v1/applications", json=b, timeout=10,
                      headers={"X-Kiosk-Id": KIOSK_ID, "Idempotency-Key": key})


def progress(client: CentralClient) -> list[tuple[str, list[str], list[tuple[str, str]]]]:
    return [(a.status, [t.status for t in a.timeline], [(r.code, r.message) for r in a.reasons])
            for a in client.application_status(PERSON["id_number"]).applications]


def test_a_queued_application_refused_on_delivery_is_listed_with_its_reasons(client: CentralClient,
                                                                             central: ServerHandle) -> None:
    queued = body("13912340031", mobile_unverified=True, photo_jpeg_b64=None)
    queued["applicant"]["name"] = "别人"
    key = str(uuid.uuid4())
    first = post(central, queued, key)
    assert first.status_code == 422 and first.json()["error"]["code"] == "application_rejected"
    codes = [r["code"] for r in first.json()["error"]["reasons"]]
    assert {"name_mismatch", "photo_required"} <= set(codes)
    [(status, steps, reasons)] = progress(client)
    assert status == "refused" and steps == ["submitted", "not_accepted"]
    assert [code for code, _ in reasons] == codes and all(message for _, message in reasons)
    again = post(central, queued, key)  # the queue's retry after a lost answer: replayed, not kept twice
    assert again.status_code == 422 and again.headers["idempotent-replayed"] == "true"
    assert len(progress(client)) == 1
    ok = body("13912340031", mobile_unverified=True)  # the citizen applies again: not "in progress"
    assert post(central, ok, str(uuid.uuid4())).status_code == 201
    assert sorted(status for status, _, _ in progress(client)) == ["approved", "refused"]


def test_an_online_refusal_keeps_nothing(client: CentralClient, central: ServerHandle) -> None:
    online = body("13912340032", photo_jpeg_b64=None)  # no SMS proof and no offline mark: refused at once
    r = post(central, online, str(uuid.uuid4()))
    assert r.status_code == 422
    assert progress(client) == []
