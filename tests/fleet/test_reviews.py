"""The 户口簿 review desk (central_sim/reviews.py, /console/reviews): a child's application by the
household register waits for a reviewer, who approves it (production may go on) or refuses it with a
reason (the application is refused and its card number cancelled). Only the review duty may decide;
each decision is audited and final; the guardian sees it through the kiosk's progress query and is
texted it (the kiosk's page said "We'll text you the result")."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from central_sim import notices
from central_sim.server import ServerHandle
from kiosk.central.client import CentralClient
from kiosk.strings import t
from tests.central.pg_fixtures import BOTH_BACKENDS
from tests.central.test_documents import body as document
from tests.central.test_documents import post
from tests.central.test_household_register_application import GUARDIAN, application, apply, child
from tests.central.tls_fixtures import KIOSK_ID

Session = Callable[[str], httpx.Client]


def waiting_application(central: ServerHandle, seq: str = "086") -> tuple[str, str, dict[str, Any]]:
    """A one-year-old's application with its 户口簿 page: (application id, child's number, creation reply)."""
    with httpx.Client(base_url=central.url, timeout=20) as admin:
        number = child(central, 1, seq)
        page = post(admin, document(subject_id_number=number, presenter_id_number=GUARDIAN["id_number"]))
        assert page.status_code == 201, page.text
        created = apply(admin, application(number))
        assert created.status_code == 201, created.text
    return created.json()["application_id"], number, created.json()


def texted(central: ServerHandle, number: str) -> list[str]:
    """The SMS notices sent to the number on record for the child (the one the guardian's form gave)."""
    with central.central.db.read() as tx:
        row = tx.one("SELECT mobile FROM persons WHERE id_number = ?", (number,))
        assert row is not None and row["mobile"]
        return [str(n["body"]) for n in notices.notices_to(tx, str(row["mobile"]))]


def csrf(client: httpx.Client, path: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert found is not None
    return found.group(1)


def open_account(central: ServerHandle, app_id: str, number: str, card_no: str) -> httpx.Response:
    return httpx.post(f"{central.url}/v1/applications/{app_id}/bank-account",
                      json={"id_number": number, "card_no": card_no},
                      headers={"X-Kiosk-Id": KIOSK_ID, "Idempotency-Key": str(uuid.uuid4())}, timeout=20)


def progress(central: ServerHandle, number: str, app_id: str) -> tuple[str, list[str]]:
    with CentralClient(central.url, KIOSK_ID) as c:
        app = next(a for a in c.application_status(number).applications if a.application_id == app_id)
    return app.status, [s.status for s in app.timeline]


@BOTH_BACKENDS
def test_approve_lets_production_go_on_and_the_guardian_sees_it(central: ServerHandle, session: Session) -> None:
    app_id, number, created = waiting_application(central)
    assert open_account(central, app_id, number, created["card_no"]).json()["error"]["code"] == "review_pending"
    assert texted(central, number) == []  # taken offline, but not approved yet: nothing to tell
    lin = session("lin")
    listing = lin.get("/console/reviews")
    assert listing.status_code == 200 and app_id in listing.text
    assert number not in listing.text  # the list shows masked numbers only
    case = lin.get(f"/console/reviews/{app_id}")
    assert case.status_code == 200 and "data:image/jpeg;base64," in case.text and "林𠮷宝" in case.text
    done = lin.post(f"/console/reviews/{app_id}", data={"csrf": csrf(lin, f"/console/reviews/{app_id}"),
                                                        "decision": "approve"})
    assert done.status_code == 303 and done.headers["location"] == "/console/reviews?done=1"
    assert app_id not in lin.get("/console/reviews").text
    assert open_account(central, app_id, number, created["card_no"]).status_code == 200
    status, steps = progress(central, number, app_id)
    assert "reviewed" in steps and status == "account_opened"
    [sms] = texted(central, number)
    assert "社保卡申领已通过审核，正在制卡" in sms and app_id in sms
    assert t("zh", "timeline.row", status="reviewed", at="").startswith("户口簿材料审核通过")
    with central.central.db.read() as tx:
        audit = tx.all("SELECT operator, action, detail FROM console_audit WHERE detail = ?", (app_id,))
        pages = tx.all("SELECT review_status FROM documents WHERE subject_id_number = ?", (number,))
    assert audit == [{"operator": "lin", "action": "review_approve", "detail": app_id}]
    assert pages == [{"review_status": "accepted"}]


@BOTH_BACKENDS
def test_refuse_needs_a_reason_then_ends_the_application(central: ServerHandle, session: Session) -> None:
    app_id, number, created = waiting_application(central)
    lin = session("lin")
    token = csrf(lin, f"/console/reviews/{app_id}")
    no_reason = lin.post(f"/console/reviews/{app_id}", data={"csrf": token, "decision": "refuse", "refusal": ""})
    assert no_reason.status_code == 400 and "请选择不通过的原因" in no_reason.text
    assert progress(central, number, app_id) == ("approved", ["submitted", "review_pending", "deliver_later_agreed",
                                                              "mobile_unverified", "approved"])
    refused = lin.post(f"/console/reviews/{app_id}",
                       data={"csrf": token, "decision": "refuse", "refusal": "page_unreadable"})
    assert refused.status_code == 303
    status, steps = progress(central, number, app_id)
    assert status == "refused" and steps[-1] == "review_refused"
    assert t("en", "prompt.timeline", status=status).endswith("Not approved")
    with CentralClient(central.url, KIOSK_ID) as c:
        [app] = [a for a in c.application_status(number).applications if a.application_id == app_id]
    assert [(r.code, r.message) for r in app.reasons] == [("register_review_refused", "户口簿页不清晰，无法核对")]
    with central.central.db.read() as tx:
        card = tx.one("SELECT status FROM cards WHERE card_no = ?", (created["card_no"],))
        note = tx.scalar("SELECT note FROM application_timeline WHERE application_id = ? AND status = ?",
                         (app_id, "review_refused"))
    assert card == {"status": "cancelled"} and note == "户口簿页不清晰，无法核对"
    [sms] = texted(central, number)
    assert "社保卡申领未能办理：户口簿页不清晰，无法核对。" in sms and app_id in sms
    assert open_account(central, app_id, number, created["card_no"]).json()["error"]["code"] == "application_not_open"
    again = lin.post(f"/console/reviews/{app_id}", data={"csrf": token, "decision": "approve"})
    assert again.status_code == 409  # final: a second decision changes nothing
    assert progress(central, number, app_id)[0] == "refused"


@pytest.mark.parametrize("user", ["vera", "otto", "ada"])
def test_only_the_review_duty_sees_or_decides(central: ServerHandle, session: Session, user: str) -> None:
    app_id, number, _created = waiting_application(central)
    client = session(user)
    assert client.get("/console/reviews").status_code == 403
    assert client.get(f"/console/reviews/{app_id}").status_code == 403
    assert "/console/reviews" not in client.get("/console").text  # no link to a desk they cannot use
    form = {"csrf": client.get("/console/api/session").json()["csrf"], "decision": "approve"}  # a valid token:
    assert client.post(f"/console/reviews/{app_id}", data=form).status_code == 403  # refused for the duty alone
    assert "reviewed" not in progress(central, number, app_id)[1]


def test_the_json_api_needs_the_session_token_and_refuses_unknown_input(central: ServerHandle,
                                                                        session: Session) -> None:
    app_id, number, _created = waiting_application(central)
    lin = session("lin")
    items = lin.get("/console/api/reviews").json()["items"]
    assert [i["application_id"] for i in items] == [app_id] and items[0]["id_masked"] != number
    token = lin.get("/console/api/session").json()["csrf"]
    url = f"/console/api/reviews/{app_id}"
    assert lin.post(url, json={"decision": "approve"}).status_code == 403  # no X-CSRF-Token
    bad = lin.post(url, json={"decision": "maybe"}, headers={"X-CSRF-Token": token})
    assert bad.status_code == 400 and bad.json()["error"] == "unknown_decision"
    assert lin.get("/console/api/reviews/APP-NOPE").status_code == 404
    ok = lin.post(url, json={"decision": "approve"}, headers={"X-CSRF-Token": token})
    assert ok.status_code == 200 and ok.json() == {"application_id": app_id, "decision": "approve"}
    assert lin.get("/console/api/reviews").json()["items"] == []
