"""Person records: lookup, photo on record, contact changes, application status."""

from __future__ import annotations

import json
import re
from typing import Any

from central_sim.clock import rfc3339
from central_sim.documents import NO_ID_CARD_MAX_AGE, proxy_papers_received, register_page_received
from central_sim.errors import ApiError, Reasons, reason
from central_sim.idnumber import age_on, birth_date_of
from central_sim.refusals import kept_for_citizen, person_in_body, reasons_of, refusals_of
from central_sim.routes import Ctx, bad_request, id_number, need_object, route, text
from central_sim.seed import city_name
from central_sim.sms import MOBILE
from central_sim.storage import Row, Tx

PHONE = re.compile(r"^[0-9-]{7,20}$")
POSTAL = re.compile(r"^\d{6}$")


def person_or_404(tx: Tx, id_no: str) -> Row:
    row = tx.one("SELECT * FROM persons WHERE id_number = ?", (id_no,))
    if row is None:
        raise ApiError(404, "person_not_found", "社保系统中无此人员信息")
    return row


def card_view(c: Row) -> dict[str, Any]:
    return {
        "card_no": c["card_no"], "city": c["city"], "city_name": city_name(c["city"]), "status": c["status"],
        "issued_at": c["issued_at"],
        "bank_code": c["bank_code"], "collected_at": c["collected_at"],
    }


def timeline(tx: Tx, application_id: str) -> list[dict[str, Any]]:
    return [
        {"status": r["status"], "at": r["at"], "note": r["note"]}
        for r in tx.all(
            "SELECT status, at, note FROM application_timeline WHERE application_id = ? ORDER BY seq",
            (application_id,),
        )
    ]


# Every status the progress query can answer, in an application's row or its timeline: the kiosk has
# a string for each (tests/ui/test_strings.py), and add_timeline writes no other.
APPLICATION_STATUSES = ("approved", "account_opened", "produced", "production_failed", "retained_for_pickup",
                        "withdrawn", "cancelled", "delivered", "collected", "refused")
TIMELINE_STATUSES = (*APPLICATION_STATUSES, "submitted", "not_accepted", "review_pending", "reviewed", "review_refused",
                     "deliver_later_agreed", "mobile_unverified", "voluntary", "other_card_stopped", "fee_ordered",
                     "fee_paid")


def add_timeline(tx: Tx, application_id: str, status: str, at: str, note: str = "") -> None:
    if status not in TIMELINE_STATUSES:  # the kiosk could only show it as a raw code
        raise ValueError(f"timeline status {status!r} is not one of TIMELINE_STATUSES")
    seq = int(tx.scalar("SELECT COALESCE(MAX(seq), 0) FROM application_timeline WHERE application_id = ?",
                        (application_id,)))
    tx.execute("INSERT INTO application_timeline (application_id, seq, status, at, note) VALUES (?,?,?,?,?)",
               (application_id, seq + 1, status, at, note))


@route("POST", "/v1/persons/lookup", idempotent=False)
def lookup(tx: Tx, ctx: Ctx, raw: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """By ID number and name; or, for a child with no ID card (issue 21 §3), by the child's number and
    the guardian who presented the child's 户口簿 page: the kiosk never has the register's name."""
    body, reasons = need_object(raw), Reasons()
    id_no = id_number(body, reasons)
    guardian = body.get("guardian_id_number")
    name = text(body, "name", reasons, "姓名") if guardian is None else ""
    bad_request(reasons)
    p = person_or_404(tx, id_no)
    if guardian is not None:
        _check_register_guardian(tx, ctx, id_no, str(guardian))
    elif p["name"] != name:
        raise ApiError(422, "name_mismatch", "姓名与证件号码不符", [reason("name_mismatch", "姓名与证件号码不符")])
    cards = tx.all("SELECT * FROM cards WHERE id_number = ? ORDER BY status_changed_at", (id_no,))
    apps = tx.all("SELECT application_id, status, kind FROM applications WHERE id_number = ? ORDER BY created_at",
                  (id_no,))
    return 200, {
        "insured": bool(p["insured"]),
        "medical_insurance": p["medical_insurance"],
        "insured_city": p["insured_city"],
        "transfer_pending": bool(p["transfer_pending"]),
        "cards": [card_view(c) for c in cards],
        "photo_on_file": p["photo_jpeg_b64"] is not None,
        "applications": [{"application_id": a["application_id"], "status": a["status"], "kind": a["kind"]}
                         for a in apps],
    }


def _check_register_guardian(tx: Tx, ctx: Ctx, child_id: str, guardian_id: str) -> None:
    birth = birth_date_of(child_id)
    if birth is not None and age_on(birth, ctx.today) >= NO_ID_CARD_MAX_AGE:
        message = f"年满 {NO_ID_CARD_MAX_AGE} 周岁应持本人居民身份证办理"
        raise ApiError(422, "register_child_too_old", message, [reason("register_child_too_old", message)])
    if guardian_id == child_id or not register_page_received(tx, child_id, guardian_id):
        message = "未收到监护人提交的户口簿页，请先拍摄户口簿"
        raise ApiError(422, "relationship_proof_missing", message, [reason("relationship_proof_missing", message)])


@route("POST", "/v1/persons/photo", idempotent=False)
def photo(tx: Tx, ctx: Ctx, raw: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    body, reasons = need_object(raw), Reasons()
    id_no = id_number(body, reasons)
    bad_request(reasons)
    p = person_or_404(tx, id_no)
    if p["photo_jpeg_b64"] is None:
        raise ApiError(404, "photo_not_found", "系统中无此人照片")
    return 200, {"photo_jpeg_b64": p["photo_jpeg_b64"]}


@route("POST", "/v1/persons/contact", idempotent=True)
@kept_for_citizen("contact_change", person_in_body, submitted="requested_at")
def contact(tx: Tx, ctx: Ctx, raw: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    body, reasons = need_object(raw), Reasons()
    id_no = id_number(body, reasons)
    checks = {
        "mobile": (MOBILE, "手机号码"),
        "phone": (PHONE, "固定电话"),
        "residence_address": (re.compile(r"^.{4,120}$", re.S), "常住地址"),
        "postal_code": (POSTAL, "邮政编码"),
    }
    changes: dict[str, str] = {}
    for name, (pattern, label) in checks.items():
        value = text(body, name, reasons, label, required=False)
        if value:
            if pattern.match(value):
                changes[name] = value
            else:
                reasons.add(f"invalid_{name}", f"{label}格式不正确")
    if not changes and not reasons:
        reasons.add("nothing_to_change", "未提供任何变更内容")
    proxy = text(body, "proxy_id_number", reasons, "代办人证件号码", required=False)
    bad_request(reasons)
    person_or_404(tx, id_no)
    if proxy and not proxy_papers_received(tx, id_no, proxy):  # art. 51: a proxy acts on their papers only
        message = "未收到代办人提交的授权委托书及双方身份证件，本次变更未办理"
        raise ApiError(422, "proxy_documents_missing", message, [reason("proxy_documents_missing", message)])
    if "mobile" in changes:  # SMS verification of the number (central_sim/sms.py)
        from central_sim.sms import record_mobile

        record_mobile(tx, ctx, id_no, changes["mobile"], body)
    now = rfc3339(ctx.now)
    for name, value in changes.items():  # column names come from the fixed table above
        tx.execute(f"UPDATE persons SET {name} = ?, updated_at = ? WHERE id_number = ?", (value, now, id_no))
    tx.execute("INSERT INTO contact_changes (id_number, fields, kiosk_id, at) VALUES (?,?,?,?)",
               (id_no, json.dumps(sorted(changes)), ctx.kiosk_id, now))
    return 200, {"updated": sorted(changes), "updated_at": now}


@route("POST", "/v1/applications/status", idempotent=False)
def status(tx: Tx, ctx: Ctx, raw: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    body, reasons = need_object(raw), Reasons()
    id_no = id_number(body, reasons)
    bad_request(reasons)
    person_or_404(tx, id_no)
    apps = tx.all("SELECT * FROM applications WHERE id_number = ? ORDER BY created_at", (id_no,))
    return 200, {
        "applications": [
            {"application_id": a["application_id"], "kind": a["kind"], "reason": a["reason"], "status": a["status"],
             "card_no": a["card_no"], "delivery": a["delivery"], "created_at": a["created_at"],
             "timeline": timeline(tx, a["application_id"]),
             "reasons": reasons_of(tx, a["application_id"])}
            for a in apps
        ],
        "refused_requests": refusals_of(tx, id_no),
    }
