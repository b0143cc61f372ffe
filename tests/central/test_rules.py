"""The central's business rules over real HTTP, through the kiosk's client (seeded citizens)."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from central_sim import hsm
from central_sim.idnumber import birth_date_of
from central_sim.seed import citizen, keys
from central_sim.server import ServerHandle
from hal.emulators.vcard import VirtualSsCard
from kiosk.central.client import CentralClient, FaceMatch
from kiosk.central.errors import CentralRejected
from tests.central.pg_fixtures import BOTH_BACKENDS

NOW = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).isoformat(timespec="seconds")
GOOD_FACE = FaceMatch(score=0.82, threshold=0.6, liveness_passed=True, method="dlib-resnet")
JPEG = base64.b64encode(Path(__file__).resolve().parents[1].joinpath("data/faces/obama_portrait.jpg")
                        .read_bytes()).decode()


def codes(err: pytest.ExceptionInfo[CentralRejected]) -> set[str]:
    return {r.code for r in err.value.reasons}


def application(key: str, **over: Any) -> dict[str, Any]:
    p = citizen(key)
    body: dict[str, Any] = {
        "kind": "new",
        "applicant": {f: p[f] for f in ("name", "sex", "ethnicity", "birth_date", "id_type", "id_number",
                                        "id_valid_from", "id_valid_until", "nationality", "occupation", "mobile",
                                        "phone", "household_address", "residence_address", "postal_code",
                                        "medical_insurance")},
        "photo_jpeg_b64": JPEG, "bank_code": "FZB", "delivery": "instant",
        "mobile_unverified": True,  # the SMS confirmation of the mobile: tests/central/test_apply_mobile.py
    }
    body["applicant"]["mobile"] = body["applicant"]["mobile"] or "13900000000"
    body.update(over)
    return body


def test_seeded_citizens_have_valid_numbers_and_relative_ages() -> None:
    today = dt.date.today()
    for key in keys():
        assert birth_date_of(citizen(key)["id_number"]) is not None, key
    assert (today - dt.date.fromisoformat(citizen("child_under_2")["birth_date"])).days < 2 * 365
    assert 9 <= (today - dt.date.fromisoformat(citizen("child_under_14")["birth_date"])).days // 365 < 14
    assert dt.date.fromisoformat(citizen("expired_id")["id_valid_until"]) < today
    assert "䶮" in citizen("rare_char_yan")["name"] and "𠮷" in citizen("rare_char_ji")["name"]
    with pytest.raises(KeyError):
        citizen("nobody")


def test_lookup_and_photo(client: CentralClient) -> None:
    p = citizen("rare_char_ji")
    person = client.lookup_person(p["id_number"], p["name"])  # a non-BMP character survives the round trip
    assert person.insured and person.cards == [] and person.photo_on_file
    assert client.person_photo(p["id_number"])[:2] == b"\xff\xd8"
    with pytest.raises(CentralRejected) as err:
        client.lookup_person(p["id_number"], "别人")
    assert err.value.code == "name_mismatch"
    q = citizen("not_insured")
    assert client.lookup_person(q["id_number"], q["name"]).insured is False
    baby = citizen("child_under_2")  # no photo on record
    with pytest.raises(CentralRejected) as err:
        client.person_photo(baby["id_number"])
    assert (err.value.status, err.value.code) == (404, "photo_not_found")


@BOTH_BACKENDS
def test_new_card_end_to_end_with_account_production_and_activation(client: CentralClient) -> None:
    p = citizen("adult_never_applied")
    created = client.apply(application("adult_never_applied"), idempotency_key="app-1")
    assert created.ssn == p["id_number"] and created.card_no.startswith("A2") and created.status == "approved"
    assert client.apply(application("adult_never_applied"), idempotency_key="app-1") == created  # replay
    account = client.open_bank_account(created.application_id, p["id_number"], created.card_no)
    assert account.account_class == "I" and len(account.account_no) == 19
    client.report_production_result(created.application_id, {
        "result": "success", "card_no": created.card_no, "chip_atr": "3B8980", "card_id_code": "350100D1560000",
        "bank_account": account.account_no, "produced_at": NOW, "kiosk_id": "FZ-TEST-0001"})
    assert client.activate_card(created.card_no, p["id_number"]).status == "activated"
    progress = client.application_status(p["id_number"]).applications[0]
    assert [t.status for t in progress.timeline] == ["submitted", "mobile_unverified", "approved", "account_opened",
                                                     "produced"]
    card = client.lookup_person(p["id_number"], p["name"]).cards[0]
    assert (card.status, card.collected_at is not None) == ("normal", True)
    with pytest.raises(CentralRejected) as err:  # a second card for the same person
        client.apply(application("adult_never_applied"))
    assert "already_has_card" in codes(err)


@BOTH_BACKENDS
def test_every_reason_is_told_at_once(client: CentralClient) -> None:
    body = application("expired_id", photo_jpeg_b64=None, delivery="drone", bank_code="")
    body["applicant"]["sex"] = "1"  # the ID number says female
    body["applicant"]["mobile"] = "12345"
    with pytest.raises(CentralRejected) as err:
        client.apply(body)
    assert err.value.status == 422
    assert {"id_card_expired", "photo_required", "invalid_delivery", "missing_bank_code", "sex_mismatch",
            "invalid_mobile"} <= codes(err)
    with pytest.raises(CentralRejected) as err:
        client.apply(application("not_insured"))
    assert "not_insured" in codes(err)


def test_children_need_a_guardian_and_under_two_no_photo(client: CentralClient) -> None:
    with pytest.raises(CentralRejected) as err:
        client.apply(application("child_under_14"))
    assert codes(err) == {"guardian_required"}
    guardian = citizen("adult_active_card")
    g = {"name": guardian["name"], "id_type": "01", "id_number": guardian["id_number"]}
    assert client.apply(application("child_under_14", guardian=g)).status == "approved"
    assert client.apply(application("child_under_2", guardian=g, photo_jpeg_b64=None)).status == "approved"


def test_other_city_card_needs_consent_and_no_pending_transfer(client: CentralClient) -> None:
    with pytest.raises(CentralRejected) as err:
        client.apply(application("other_city_resident"))
    assert codes(err) == {"other_city_card_active"}
    ok = client.apply(application("other_city_resident",
                                  consent_stop_other_card={"city": "350200", "card_no": "B20000003"}))
    assert ok.stopped_other_card == {"city": "350200", "card_no": "B20000003"}
    p = citizen("other_city_resident")
    old = next(c for c in client.lookup_person(p["id_number"], p["name"]).cards if c.card_no == "B20000003")
    assert old.status == "cancelled"
    with pytest.raises(CentralRejected) as err:
        client.apply(application("other_city_employee_transfer_pending",
                                 consent_stop_other_card={"city": "泉州市", "card_no": "C50000004"}))
    assert codes(err) == {"insurance_transfer_pending"}
    assert client.apply(application("other_city_employee_transferred",
                                    consent_stop_other_card={"city": "350300", "card_no": "D30000005"})).card_no


@BOTH_BACKENDS
def test_replacements(client: CentralClient) -> None:
    active, recent = citizen("adult_active_card"), citizen("recent_card_quality")
    with pytest.raises(CentralRejected) as err:  # a lost card must be reported first; quality window is over
        client.apply(application("adult_active_card", kind="replacement", reason="lost"))
    assert codes(err) == {"loss_report_required"}
    with pytest.raises(CentralRejected) as err:
        client.apply(application("adult_active_card", kind="replacement", reason="quality_defect"))
    assert codes(err) == {"quality_defect_period_over"}
    free = client.apply(application("recent_card_quality", kind="replacement", reason="quality_defect"))
    assert free.free_of_charge
    old = client.lookup_person(recent["id_number"], recent["name"]).cards
    assert {c.card_no: c.status for c in old}["A10000014"] == "suspended"  # lapses once the replacement is accepted
    with pytest.raises(CentralRejected) as err:
        client.apply(application("replacement_in_progress", kind="replacement", reason="lost"))
    assert "replacement_in_progress" in codes(err)
    assert active["id_number"]


@BOTH_BACKENDS
def test_loss_report_freezes_at_once_and_cancel_respects_replacements(client: CentralClient) -> None:
    p = citizen("adult_active_card")
    reported_at = "2026-01-05T08:00:00+08:00"
    r = client.report_loss(card_no="A10000002", reported_at=reported_at, idempotency_key="loss-1")
    assert r.status == "loss_reported" and r.effective_at >= reported_at
    assert client.report_loss(card_no="A10000002", reported_at=reported_at, idempotency_key="loss-1") == r
    assert client.lookup_person(p["id_number"], p["name"]).cards[0].status == "loss_reported"
    assert client.cancel_loss("A10000002", p["id_number"]).status == "normal"
    with pytest.raises(CentralRejected) as err:
        client.cancel_loss("A10000002", p["id_number"])
    assert (err.value.status, err.value.code) == (409, "card_not_loss_reported")
    q = citizen("replacement_in_progress")
    with pytest.raises(CentralRejected) as err:
        client.cancel_loss("A10000007", q["id_number"])
    assert (err.value.status, err.value.code) == (409, "replacement_in_progress")
    lost = citizen("card_lost")
    by_id = client.report_loss(id_number=lost["id_number"], reported_at=reported_at)  # offline: no card number
    assert [c.card_no for c in by_id.cards] == ["A10000006"]
    with pytest.raises(CentralRejected) as err:
        client.report_loss(card_no="Z99999999", reported_at=reported_at)
    assert err.value.status == 404


def test_hsm_matches_the_documented_vector() -> None:
    apdu = hsm.build_reset_apdu(bytes.fromhex("0001020304050607"), "246810")
    assert apdu.hex().upper() == "8424000114" "A73D55FBF96FB392C5E986DFE9EC40DD" "0576EA63"


def test_pin_reset_apdu_is_accepted_by_the_virtual_card(client: CentralClient) -> None:
    p = citizen("adult_active_card")
    card = VirtualSsCard.personalised()
    card.power(True)
    response = card.process(bytes.fromhex("0084000008"))
    challenge, sw = response[:-2], response[-2:]
    assert sw == b"\x90\x00"
    auth = client.authorize_pin_reset("A10000002", p["id_number"], challenge, GOOD_FACE, new_pin="246813")
    assert card.process(bytes.fromhex(auth.apdu_hex))[-2:] == b"\x90\x00"
    assert card.pin == "246813"


def test_pin_reset_with_the_pin_pads_encrypted_block(client: CentralClient) -> None:
    from hal.emulators.zt588_pad import TEST_PIN_KEY, encrypt_under
    from hal.pinpad.iso9564 import format0_block

    p = citizen("adult_active_card")
    block = encrypt_under(TEST_PIN_KEY, format0_block("135792", p["id_number"]))
    card = VirtualSsCard.personalised()
    card.power(True)
    challenge = card.process(bytes.fromhex("0084000008"))[:-2]
    auth = client.authorize_pin_reset("A10000002", p["id_number"], challenge, GOOD_FACE, pin_block=block)
    assert card.process(bytes.fromhex(auth.apdu_hex))[-2:] == b"\x90\x00" and card.pin == "135792"
    with pytest.raises(CentralRejected) as err:  # a block bound to another PAN does not open
        other = encrypt_under(TEST_PIN_KEY, format0_block("135792", citizen("card_lost")["id_number"]))
        client.authorize_pin_reset("A10000002", p["id_number"], challenge, GOOD_FACE, pin_block=other)
    assert codes(err) == {"pin_block_invalid"}


def test_pin_reset_refused_without_face_match_liveness_or_on_a_frozen_card(client: CentralClient) -> None:
    p = citizen("adult_active_card")
    weak = FaceMatch(score=0.4, threshold=0.3, liveness_passed=False, method="x")
    with pytest.raises(CentralRejected) as err:
        client.authorize_pin_reset("A10000002", p["id_number"], b"\x01" * 8, weak, new_pin="888888")
    assert codes(err) == {"face_threshold_too_low", "liveness_failed", "pin_too_weak"}
    lost = citizen("card_lost")
    with pytest.raises(CentralRejected) as err:
        client.authorize_pin_reset("A10000006", lost["id_number"], b"\x01" * 8, GOOD_FACE, new_pin="246813")
    assert codes(err) == {"card_not_normal"}
    with pytest.raises(CentralRejected) as err:
        client.authorize_pin_reset("A10000002", lost["id_number"], b"\x01" * 8, GOOD_FACE, new_pin="246813")
    assert err.value.code == "card_holder_mismatch"


@BOTH_BACKENDS
def test_contact_pin_events_and_stock_ledger(client: CentralClient) -> None:
    p = citizen("adult_active_card")
    assert client.change_contact(p["id_number"], mobile="13912345678", postal_code="350002").updated == [
        "mobile", "postal_code"]
    with pytest.raises(CentralRejected) as err:
        client.change_contact(p["id_number"], mobile="123", postal_code="x")
    assert codes(err) == {"invalid_mobile", "invalid_postal_code"}
    assert client.record_pin_event("A10000002", "changed", NOW).recorded
    today = dt.date.today().isoformat()
    entry = {"item": "blank_card", "opening": 100, "received": 50, "issued": 20, "spoiled": 2, "closing": 128}
    assert client.send_stock_ledger(today, [entry]).recorded
    with pytest.raises(CentralRejected) as err:
        client.send_stock_ledger(today, [{**entry, "closing": 129}])
    assert codes(err) == {"entry_0_unbalanced"}


def test_kiosk_paths_are_bound_to_the_caller(central: ServerHandle) -> None:
    with CentralClient(central.url, "FZ-X") as c:
        assert c.send_events([{"event_id": "e1", "at": NOW, "type": "technician_action", "severity": "info",
                               "code": "door_opened", "message": "维护门打开"}]).accepted == 1
        assert c.send_events([{"event_id": "e1", "at": NOW, "type": "technician_action", "severity": "info",
                               "code": "door_opened", "message": "维护门打开"}]).accepted == 0  # same event twice
        import httpx

        r = httpx.post(central.url + "/v1/kiosks/FZ-Y/heartbeat", json={"kiosk_id": "FZ-Y", "seq": 1,
                       "mode": "in_service"}, headers={"X-Kiosk-Id": "FZ-X"})
        assert r.status_code == 403 and r.json()["error"]["code"] == "kiosk_id_mismatch"
