"""POST /v1/applications with ``applicant.id_source: household_register`` (issue 21 §3; arts. 16, 51): a
child without an ID card, by the 户口簿's number. The central checks the number, the age (under 16),
the guardian, the 户口簿 page received for review, and refuses instant production; it stores the
application with the register's name and keeps it from production until a reviewer has seen it."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx

from central_sim.clock import CST
from central_sim.idnumber import make_id_number
from central_sim.server import ServerHandle
from kiosk.demo import citizen
from tests.central.test_documents import body as document
from tests.central.test_documents import codes, post
from tests.central.tls_fixtures import KIOSK_ID

TODAY = dt.datetime.now(CST).date()
GUARDIAN = citizen("adult_active_card")
NAME = "林𠮷宝"


def child(central: ServerHandle, years: int, seq: str = "086") -> str:
    born = TODAY.replace(year=TODAY.year - years) - dt.timedelta(days=10)
    number = make_id_number("350102", born, seq)
    with central.central.db.transaction() as tx:
        tx.execute("INSERT INTO persons (id_number, name, sex, birth_date, insured, medical_insurance, updated_at)"
                   " VALUES (?,?,?,?,?,?,?)", (number, NAME, "2", born.isoformat(), 1, "resident", "2026-01-01"))
    return number


def application(number: str, **over: Any) -> dict[str, Any]:
    born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    return {"kind": "new", "bank_code": "ICBC", "delivery": "pickup",
            "applicant": {"sex": "2", "birth_date": born.isoformat(), "id_type": "01", "id_number": number,
                          "nationality": "CHN", "occupation": "学生", "mobile": "13800000001",
                          "residence_address": "福建省福州市鼓楼区示范路1号", "medical_insurance": "resident",
                          "id_source": "household_register"},
            "guardian": {"name": GUARDIAN["name"], "id_type": "01", "id_number": GUARDIAN["id_number"]},
            "photo_jpeg_b64": None,
            "mobile_unverified": True,  # the SMS confirmation of the mobile: tests/central/test_apply_mobile.py
            "deliver_later": {"reasons": ["child_register_review"], "working_days": 15, "postage_by_applicant": False},
            **over}


def apply(admin: httpx.Client, payload: dict[str, Any]) -> httpx.Response:
    return admin.post("/v1/applications", json={k: v for k, v in payload.items() if v is not None},
                      headers={"X-Kiosk-Id": KIOSK_ID, "Idempotency-Key": str(uuid.uuid4())})


def test_accepted_pending_review_and_kept_from_production(admin: httpx.Client, central: ServerHandle) -> None:
    number = child(central, 1)  # under 2: no photo needed
    assert post(admin, document(subject_id_number=number, presenter_id_number=GUARDIAN["id_number"])).status_code \
        == 201
    created = apply(admin, application(number))
    assert created.status_code == 201, created.text
    app_id = created.json()["application_id"]
    with central.central.db.read() as tx:
        timeline = [r["status"] for r in tx.all(
            "SELECT status FROM application_timeline WHERE application_id = ? ORDER BY seq", (app_id,))]
    assert "review_pending" in timeline
    account = admin.post(f"/v1/applications/{app_id}/bank-account",
                         json={"id_number": number, "card_no": created.json()["card_no"]},
                         headers={"X-Kiosk-Id": KIOSK_ID, "Idempotency-Key": str(uuid.uuid4())})
    assert account.status_code == 409 and account.json()["error"]["code"] == "review_pending"


def test_every_problem_at_once(admin: httpx.Client, central: ServerHandle) -> None:
    number = child(central, 16)  # too old for this path, no 户口簿 page sent, asked on the spot
    resp = apply(admin, application(number, delivery="instant", deliver_later=None))
    assert resp.status_code == 422
    assert {"register_child_too_old", "register_not_instant", "relationship_proof_missing",
            "photo_required"} <= codes(resp)
    bad = number[:-1] + ("0" if number[-1] != "0" else "1")
    resp = apply(admin, application(bad, guardian=None))
    assert {"invalid_id_number", "guardian_required"} <= codes(resp)
    resp = apply(admin, application(number, applicant={**application(number)["applicant"], "id_source": "passport"}))
    assert "invalid_id_source" in codes(resp)


def test_the_id_card_path_still_needs_the_card_fields(admin: httpx.Client, central: ServerHandle) -> None:
    number = child(central, 6)
    payload = application(number)
    payload["applicant"] = {k: v for k, v in payload["applicant"].items() if k != "id_source"}
    resp = apply(admin, payload)
    assert {"missing_name", "missing_id_valid_from", "missing_household_address"} <= codes(resp)


def lookup(admin: httpx.Client, number: str, guardian: str) -> httpx.Response:
    return admin.post("/v1/persons/lookup", json={"id_number": number, "guardian_id_number": guardian},
                      headers={"X-Kiosk-Id": KIOSK_ID})


def test_a_child_without_an_id_card_is_looked_up_by_the_guardian_who_presented_the_register_page(
        admin: httpx.Client, central: ServerHandle) -> None:
    """A replacement (issue 21 §3): the kiosk has the child's number but never the register's name. The
    central answers for the guardian whose 户口簿 page it received for this child, and for nobody else."""
    number = child(central, 6)
    with central.central.db.transaction() as tx:
        tx.execute("INSERT INTO cards (card_no, id_number, city, status, bank_code, status_changed_at)"
                   " VALUES (?,?,?,?,?,?)", ("A10000086", number, "350100", "normal", "FZB", "2025-01-01"))
    before = lookup(admin, number, GUARDIAN["id_number"])
    assert before.status_code == 422 and codes(before) == {"relationship_proof_missing"}  # no page yet
    page = document(service="replace", subject_id_number=number, presenter_id_number=GUARDIAN["id_number"])
    assert post(admin, page).status_code == 201
    found = lookup(admin, number, GUARDIAN["id_number"])
    assert found.status_code == 200, found.text
    assert [c["card_no"] for c in found.json()["cards"]] == ["A10000086"]
    other = citizen("other_city_resident")["id_number"]  # an adult who presented no page for this child
    assert codes(lookup(admin, number, other)) == {"relationship_proof_missing"}
    assert codes(lookup(admin, number, number)) == {"relationship_proof_missing"}  # the child for itself
    by_name = admin.post("/v1/persons/lookup", json={"id_number": number}, headers={"X-Kiosk-Id": KIOSK_ID})
    assert by_name.status_code == 400  # neither a name nor a guardian: nothing to check the number against


def test_a_child_of_16_is_looked_up_with_their_own_id_card(admin: httpx.Client, central: ServerHandle) -> None:
    number = child(central, 16, seq="088")  # the page itself is kept: the age is judged where it is used
    assert post(admin, document(service="replace", subject_id_number=number,
                                presenter_id_number=GUARDIAN["id_number"])).status_code == 201
    refused = lookup(admin, number, GUARDIAN["id_number"])
    assert refused.status_code == 422 and codes(refused) == {"register_child_too_old"}
