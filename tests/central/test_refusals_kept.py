"""A loss report, contact change or activation refused on delivery is kept for the citizen.

These requests travel through the kiosk's queue, so a citizen may have left with a "pending" receipt
when the central refuses one. The refusal is then listed by the progress query (``refused_requests``)
with every reason, once however often the queue resends it; a request the central applies, or one
that names nobody on record, keeps nothing.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from central_sim.server import ServerHandle
from kiosk.central.client import CentralClient
from kiosk.demo import citizen
from tests.central.pg_fixtures import BOTH_BACKENDS
from tests.central.tls_fixtures import KIOSK_ID

NO_CARD = citizen("adult_never_applied")
LOST = citizen("card_lost")
ACTIVE = citizen("adult_active_card")


def post(central: ServerHandle, path: str, body: dict[str, Any], key: str) -> httpx.Response:
    return httpx.post(f"{central.url}{path}", json=body, timeout=10,
                      headers={"X-Kiosk-Id": KIOSK_ID, "Idempotency-Key": key})


def refused(client: CentralClient, person: dict[str, Any]) -> list[Any]:
    return client.application_status(person["id_number"]).refused_requests


@BOTH_BACKENDS
def test_a_queued_loss_report_refused_on_delivery_is_listed_once_with_its_reasons(
        client: CentralClient, central: ServerHandle) -> None:
    # Offline the kiosk knows no card number: the central looks for the citizen's cards and finds none.
    body = {"id_number": NO_CARD["id_number"], "reported_at": "2026-12-01T09:30:00+08:00"}
    key = str(uuid.uuid4())
    first = post(central, "/v1/cards/loss-report", body, key)
    assert first.status_code == 404 and first.json()["error"]["code"] == "card_not_found"
    again = post(central, "/v1/cards/loss-report", body, key)  # the queue's resend after a lost answer
    assert again.status_code == 404 and again.headers["idempotent-replayed"] == "true"
    [kept] = refused(client, NO_CARD)
    assert (kept.service, kept.code) == ("loss_report", "card_not_found")
    assert kept.submitted_at is not None and kept.submitted_at == "2026-12-01T09:30:00+08:00"
    assert kept.refused_at and kept.request_id.startswith("REQ-") and key not in kept.request_id
    assert [(r.code, bool(r.message)) for r in kept.reasons] == [("card_not_found", True)]


@BOTH_BACKENDS
def test_an_activation_of_a_frozen_card_is_kept_for_its_holder(client: CentralClient, central: ServerHandle) -> None:
    [card] = LOST["cards"]
    r = post(central, "/v1/cards/activate", {"card_no": card["card_no"], "id_number": LOST["id_number"]},
             str(uuid.uuid4()))
    assert r.status_code == 409
    [kept] = refused(client, LOST)
    assert (kept.service, kept.code, kept.submitted_at) == ("activation", "card_not_normal", None)
    assert refused(client, ACTIVE) == []


def test_a_card_that_is_not_the_citizens_is_their_refusal_not_the_cards_holder(
        client: CentralClient, central: ServerHandle) -> None:
    [card] = ACTIVE["cards"]
    body = {"card_no": card["card_no"], "id_number": LOST["id_number"], "reported_at": "2026-12-01T09:30:00+08:00"}
    r = post(central, "/v1/cards/loss-report", body, str(uuid.uuid4()))
    assert r.status_code == 422 and r.json()["error"]["code"] == "card_holder_mismatch"
    assert [k.code for k in refused(client, LOST)] == ["card_holder_mismatch"]
    assert refused(client, ACTIVE) == []


def test_a_contact_change_refused_is_kept_and_one_applied_is_not(client: CentralClient,
                                                                  central: ServerHandle) -> None:
    ok = post(central, "/v1/persons/contact", {"id_number": ACTIVE["id_number"], "postal_code": "350001"},
              str(uuid.uuid4()))
    assert ok.status_code == 200
    assert refused(client, ACTIVE) == []
    # Queued with an SMS proof that no longer holds when it arrives (a verification lasts 30 minutes).
    r = post(central, "/v1/persons/contact", {"id_number": ACTIVE["id_number"], "mobile": "13912340077",
                                              "mobile_verification_id": str(uuid.uuid4())}, str(uuid.uuid4()))
    assert r.status_code == 422 and r.json()["error"]["code"] == "mobile_not_verified"
    [kept] = refused(client, ACTIVE)
    assert (kept.service, kept.code) == ("contact_change", "mobile_not_verified")
    assert [x.code for x in kept.reasons] == ["mobile_not_verified"]


def test_a_report_naming_nobody_on_record_keeps_nothing(client: CentralClient, central: ServerHandle) -> None:
    r = post(central, "/v1/cards/loss-report", {"card_no": "Z99999999", "reported_at": "2026-12-01T09:30:00+08:00"},
             str(uuid.uuid4()))
    assert r.status_code == 404
    for person in (NO_CARD, LOST, ACTIVE):
        assert refused(client, person) == []
