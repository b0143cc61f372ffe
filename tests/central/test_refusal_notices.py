"""The outcome of a request decided after the citizen left the kiosk is texted to them (art. 23).

The kiosk's "pending" page promises it ("We'll text you the result"). The kiosk dates an activation and
a contact change (``requested_at``) as it dates a loss report (``reported_at``). An outcome that comes 2
minutes or more after that, or with no time, sends one SMS to the mobile on record: the service, when,
done or the first reason it was refused, the request number, the hotline. One the kiosk could still
show on its screen sends none. The message names no person, ID or card number.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx

from central_sim import notices
from central_sim.clock import CST, rfc3339
from central_sim.server import ServerHandle
from kiosk.central.client import CentralClient
from kiosk.demo import citizen
from tests.central.pg_fixtures import BOTH_BACKENDS
from tests.central.test_apply_mobile import body as application_body
from tests.central.test_apply_mobile import verified
from tests.central.test_heartbeat_monitor import kiosk_state
from tests.central.test_refusals_kept import post, refused
from tests.central.tls_fixtures import KIOSK_ID

LOST = citizen("card_lost")
ACTIVE = citizen("adult_active_card")
NEW = citizen("adult_never_applied")
CHILD = citizen("child_under_14")


def texts(central: ServerHandle, mobile: str) -> list[dict[str, Any]]:
    with central.central.db.read() as tx:
        return notices.notices_to(tx, mobile)


def ago(**delta: float) -> str:
    return rfc3339(dt.datetime.now(CST) - dt.timedelta(**delta))


def activate_lost_card(central: ServerHandle, requested_at: str | None, key: str | None = None) -> None:
    [card] = LOST["cards"]
    b = {"card_no": card["card_no"], "id_number": LOST["id_number"]}
    if requested_at is not None:
        b["requested_at"] = requested_at
    assert post(central, "/v1/cards/activate", b, key or str(uuid.uuid4())).status_code == 409


@BOTH_BACKENDS
def test_an_activation_refused_an_hour_after_it_was_made_is_texted_once(client: CentralClient,
                                                                        central: ServerHandle) -> None:
    made = ago(hours=1)
    key = str(uuid.uuid4())
    activate_lost_card(central, made, key)
    activate_lost_card(central, made, key)  # the queue's resend after a lost answer
    [kept] = refused(client, LOST)
    assert kept.submitted_at == made
    [sms] = texts(central, LOST["mobile"])
    assert sms["reference"] == kept.request_id and sms["kind"] == "refusal"
    text = sms["body"]
    at = dt.datetime.fromisoformat(made)
    assert text.startswith("【福州社保卡】") and f"于{at:%m月%d日%H:%M}" in text
    assert "社保卡启用未能办理：卡片状态为 loss_reported，不能启用。" in text
    assert kept.request_id in text and notices.HOTLINE in text
    for personal in (LOST["id_number"], LOST["name"], LOST["cards"][0]["card_no"], LOST["mobile"]):
        assert personal not in text


def test_a_refusal_the_kiosk_could_still_show_is_not_texted(client: CentralClient, central: ServerHandle) -> None:
    activate_lost_card(central, ago(seconds=3))
    [kept] = refused(client, LOST)
    assert kept.submitted_at is not None  # kept and dated all the same
    assert texts(central, LOST["mobile"]) == []


def test_a_refusal_after_the_kiosk_stopped_waiting_is_texted(client: CentralClient, central: ServerHandle) -> None:
    # The kiosk waits answer_wait_s (at least LATE_AFTER) for the answer, then says "pending, we'll text
    # you". Before, only outcomes 2 minutes late were texted: one at 20 s was neither shown nor texted.
    activate_lost_card(central, ago(seconds=20))
    [kept] = refused(client, LOST)
    [sms] = texts(central, LOST["mobile"])
    assert sms["reference"] == kept.request_id and "社保卡启用未能办理" in sms["body"]


def test_no_kiosk_may_stop_waiting_before_the_central_starts_texting() -> None:
    from kiosk.config import RANGES, load_config

    assert RANGES["central.answer_wait_s"][0] >= notices.LATE_AFTER_S
    assert load_config(None).central.answer_wait_s >= notices.LATE_AFTER_S


def beat(central: ServerHandle, kiosk_clock: dt.datetime) -> None:
    body = {**kiosk_state("in_service"), "kiosk_id": KIOSK_ID, "seq": 1, "sent_at": rfc3339(kiosk_clock)}
    r = httpx.post(f"{central.url}/v1/kiosks/{KIOSK_ID}/heartbeat", json=body, headers={"X-Kiosk-Id": KIOSK_ID})
    assert r.status_code == 200, r.text
    central.central.heartbeats.flush()


def test_lateness_is_judged_on_the_kiosks_clock_as_its_heartbeats_show_it(
        client: CentralClient, central: ServerHandle) -> None:
    behind = dt.timedelta(minutes=5)  # the kiosk's clock, as its last heartbeat said
    beat(central, dt.datetime.now(CST) - behind)
    just_now = rfc3339(dt.datetime.now(CST) - behind)  # stamped by that clock a moment ago
    activate_lost_card(central, just_now)
    assert texts(central, LOST["mobile"]) == []  # on screen at the kiosk: no SMS
    activate_lost_card(central, rfc3339(dt.datetime.now(CST) - behind - dt.timedelta(seconds=30)))
    assert len(texts(central, LOST["mobile"])) == 1  # 30 s late on the kiosk's own clock


def test_an_undated_or_future_dated_request_is_texted_and_a_future_time_dates_nothing(
        client: CentralClient, central: ServerHandle) -> None:
    activate_lost_card(central, None)
    activate_lost_card(central, rfc3339(dt.datetime.now(CST) + dt.timedelta(days=1)))  # a kiosk clock far ahead
    kept = refused(client, LOST)
    assert [k.submitted_at for k in kept] == [None, None]
    sent = texts(central, LOST["mobile"])
    assert sorted(s["reference"] for s in sent) == sorted(k.request_id for k in kept)
    assert all("您在自助服务终端提交的社保卡启用" in s["body"] for s in sent)  # no time said


def test_a_contact_change_refused_late_is_texted_to_the_number_on_record_not_the_new_one(
        client: CentralClient, central: ServerHandle) -> None:
    new_mobile = "13912340077"
    r = post(central, "/v1/persons/contact", {"id_number": ACTIVE["id_number"], "mobile": new_mobile,
                                              "mobile_verification_id": str(uuid.uuid4()),
                                              "requested_at": ago(minutes=30)}, str(uuid.uuid4()))
    assert r.status_code == 422
    [kept] = refused(client, ACTIVE)
    assert kept.submitted_at is not None
    [sms] = texts(central, ACTIVE["mobile"])
    assert "联系方式变更未能办理" in sms["body"] and new_mobile not in sms["body"]
    assert texts(central, new_mobile) == []


def test_an_offline_application_refused_on_delivery_is_texted(client: CentralClient, central: ServerHandle) -> None:
    queued = application_body("13912340031", mobile_unverified=True, photo_jpeg_b64=None)
    r = post(central, "/v1/applications", queued, str(uuid.uuid4()))
    assert r.status_code == 422
    [app] = client.application_status(NEW["id_number"]).applications
    [sms] = texts(central, NEW["mobile"])  # the number on record, not the one the form gave
    assert sms["reference"] == app.application_id and "社保卡申领未能办理" in sms["body"]
    assert texts(central, "13912340031") == []


def test_a_loss_report_carried_out_late_is_texted_and_one_carried_out_at_once_is_not(
        central: ServerHandle) -> None:
    [card] = ACTIVE["cards"]
    made = ago(hours=3)
    r = post(central, "/v1/cards/loss-report", {"card_no": card["card_no"], "reported_at": made}, str(uuid.uuid4()))
    assert r.status_code == 200
    [sms] = texts(central, ACTIVE["mobile"])
    at = dt.datetime.fromisoformat(made)
    assert sms["kind"] == "done"
    assert sms["body"].startswith(
        f"【福州社保卡】您于{at:%m月%d日%H:%M}在自助服务终端提交的社保卡挂失已生效，卡片已冻结。")
    assert card["card_no"] not in sms["body"]
    r = post(central, "/v1/persons/contact", {"id_number": ACTIVE["id_number"], "postal_code": "350002",
                                              "requested_at": ago(seconds=5)}, str(uuid.uuid4()))
    assert r.status_code == 200
    assert len(texts(central, ACTIVE["mobile"])) == 1  # applied while the citizen was still there


def test_an_offline_application_approved_on_delivery_is_texted(client: CentralClient, central: ServerHandle) -> None:
    r = post(central, "/v1/applications", application_body("13912340031", mobile_unverified=True), str(uuid.uuid4()))
    assert r.status_code == 201
    app_id = r.json()["application_id"]
    [sms] = texts(central, "13912340031")  # the application put the form's number on record
    assert sms["reference"] == app_id and "社保卡申领已通过审核，正在制卡" in sms["body"] and app_id in sms["body"]


def test_an_application_approved_online_is_not_texted(client: CentralClient, central: ServerHandle) -> None:
    proof = verified(client, central, "13912340032")
    created = client.apply(application_body("13912340032", mobile_verification_id=proof))
    assert created.status == "approved"  # shown on the kiosk's screen, with the citizen in front of it
    assert texts(central, "13912340032") == []


def test_nobody_is_texted_without_a_mobile_anywhere(central: ServerHandle) -> None:
    now = dt.datetime.now(CST)
    with central.central.db.transaction() as tx:
        assert tx.one("SELECT mobile FROM persons WHERE id_number = ?", (CHILD["id_number"],)) == {"mobile": ""}
        assert not notices.tell(tx, CHILD["id_number"], "application", "APP-X", submitted_at=None, at=now,
                                refused=[{"code": "x", "message": "原因"}])
        assert notices.tell(tx, CHILD["id_number"], "application", "APP-X", submitted_at=None, at=now, refused=[],
                            mobile_given="13912340099")
        assert tx.all("SELECT mobile, body FROM sms_notices WHERE reference = 'APP-X'") == [
            {"mobile": "13912340099", "body": "【福州社保卡】您在自助服务终端提交的社保卡申领未能办理：未通过审核。"
                                              f"请重新办理，或拨打{notices.HOTLINE}咨询（查询号 APP-X）。"}]
