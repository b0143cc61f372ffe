"""Applications (new card / replacement): every check at once (一次性告知), SSN and card number,
stopping another Fujian city's card with consent, class-I accounts, production results (回盘)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import uuid
from typing import Any

from central_sim import notices
from central_sim.cards import OPEN, REPLACEMENT_OPEN, card_or_404, set_status
from central_sim.clock import parse_date, parse_rfc3339, rfc3339
from central_sim.documents import NO_ID_CARD_MAX_AGE, register_page_received
from central_sim.errors import ApiError, Reasons
from central_sim.idnumber import age_on, birth_date_of
from central_sim.payments import fee_fen, require_paid
from central_sim.persons import add_timeline
from central_sim.refusals import add_reasons
from central_sim.routes import Ctx, bad_request, need_object, route, text
from central_sim.seed import FUZHOU, LONG_TERM, city_name, luhn_digit
from central_sim.sms import MOBILE, application_mobile, store_mobile
from central_sim.storage import Row, Tx

KINDS = ("new", "replacement")
REPLACEMENT_REASONS = ("lost", "damaged", "key_info_changed", "photo_changed", "child_turned_2", "quality_defect")
DELIVERIES = ("instant", "pickup", "courier")
INSURANCE = ("employee", "resident", "none")
HELD = ("normal", "loss_reported", "suspended", "in_production")  # a card the person still holds
GUARDIAN_AGE = 14  # under 14: a guardian applies on the child's behalf
PHOTO_AGE = 2  # under 2: the photo may be omitted
# issue 21 §3: a child without an ID card applies by the 户口簿's number; who the child is (name, ethnicity,
# household address) is the register's, checked by a reviewer against the page; there is no card validity.
ID_SOURCES = ("id_card", "household_register")
REGISTER_FILLED = frozenset({"name", "ethnicity", "household_address", "id_valid_from", "id_valid_until"})
REVIEW_PENDING, REVIEWED, REVIEW_REFUSED = "review_pending", "reviewed", "review_refused"  # central_sim/reviews.py
REJECTED = "申请信息核查未通过，请按提示补充或更正"
APPLICANT_FIELDS = {
    "name": "姓名", "sex": "性别", "ethnicity": "民族", "birth_date": "出生日期", "id_type": "证件类型",
    "id_number": "证件号码", "id_valid_from": "证件有效期起", "id_valid_until": "证件有效期止",
    "nationality": "国籍", "occupation": "职业", "mobile": "手机号码", "household_address": "户籍地址",
    "residence_address": "常住地址", "medical_insurance": "医保类型",
}


def _one_month_after(d: dt.date) -> dt.date:
    month = d.month % 12 + 1
    year = d.year + (d.month == 12)
    for day in (d.day, 30, 29, 28):
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _next_number(tx: Tx, counter: str, start: int) -> int:
    tx.execute("INSERT INTO counters (name, n) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET n = counters.n + 1",
               (counter, start))
    return int(tx.scalar("SELECT n FROM counters WHERE name = ?", (counter,)))


def new_card_no(tx: Tx) -> str:
    return f"A2{_next_number(tx, 'card_no', 1):07d}"


def new_account_no(tx: Tx) -> str:
    body = f"623091{_next_number(tx, 'account_no', 100000000000):012d}"
    return body + luhn_digit(body)


def _check_applicant(a: dict[str, Any], reasons: Reasons, today: dt.date,
                     register: bool = False) -> tuple[str, dt.date | None]:
    for name, label in APPLICANT_FIELDS.items():
        text(a, name, reasons, label, required=not (register and name in REGISTER_FILLED))
    id_no = str(a["id_number"]) if isinstance(a.get("id_number"), str) else ""
    birth = birth_date_of(id_no) if id_no else None
    if id_no and birth is None:
        reasons.add("invalid_id_number", "证件号码校验不通过")
    if birth is not None:
        if a.get("birth_date") and a.get("birth_date") != birth.isoformat():
            reasons.add("birth_date_mismatch", "出生日期与证件号码不符")
        if a.get("sex") in ("1", "2") and int(id_no[16]) % 2 != (1 if a["sex"] == "1" else 0):
            reasons.add("sex_mismatch", "性别与证件号码不符")
    if a.get("sex") and a.get("sex") not in ("1", "2", "9"):
        reasons.add("invalid_sex", "性别代码不正确")
    until = a.get("id_valid_until")
    if until and until != LONG_TERM:
        until_date = parse_date(until)
        if until_date is None:
            reasons.add("invalid_id_valid_until", "证件有效期格式不正确")
        elif until_date < today:
            reasons.add("id_card_expired", "身份证件已过有效期，请先换领身份证")
    if a.get("mobile") and not MOBILE.match(str(a["mobile"])):
        reasons.add("invalid_mobile", "手机号码格式不正确")
    if a.get("medical_insurance") and a["medical_insurance"] not in INSURANCE:
        reasons.add("invalid_medical_insurance", "医保类型不正确")
    return id_no, birth


def _check_photo(body: dict[str, Any], age: int | None, reasons: Reasons) -> str | None:
    raw = body.get("photo_jpeg_b64")
    if not raw:
        if age is not None and age >= PHOTO_AGE:
            reasons.add("photo_required", "请提供本人近期白底彩色免冠照片")
        return None
    try:
        jpeg = base64.b64decode(str(raw), validate=True)
    except (binascii.Error, ValueError):
        jpeg = b""
    if not jpeg.startswith(b"\xff\xd8"):
        reasons.add("photo_invalid", "照片不是有效的 JPEG 图像")
        return None
    return str(raw)


def _check_guardian(tx: Tx, body: dict[str, Any], reasons: Reasons, today: dt.date) -> None:
    g = body.get("guardian")
    if not isinstance(g, dict) or not g.get("name") or not g.get("id_number"):
        reasons.add("guardian_required", "未满 14 周岁须由监护人代为申请，请提供监护人信息")
        return
    g_birth = birth_date_of(str(g["id_number"]))
    if g_birth is None:
        reasons.add("guardian_invalid_id_number", "监护人证件号码校验不通过")
    elif age_on(g_birth, today) < 18:
        reasons.add("guardian_not_adult", "监护人须年满 18 周岁")


def _check_register_child(tx: Tx, body: dict[str, Any], id_no: str, age: int | None, delivery: str,
                          reasons: Reasons) -> None:
    """Issue 21 §3 (arts. 16, 51): under 16, a guardian who is not the child, the 户口簿 page received
    for review from that guardian, and never made on the spot."""
    if age is not None and age >= NO_ID_CARD_MAX_AGE:
        reasons.add("register_child_too_old", f"年满 {NO_ID_CARD_MAX_AGE} 周岁应持本人居民身份证申领")
    if delivery == "instant":
        reasons.add("register_not_instant", "无二代居民身份证的儿童申领须审核后制卡，请选择网点领取或邮寄")
    g = body.get("guardian")
    guardian_id = str(g.get("id_number") or "") if isinstance(g, dict) else ""
    if guardian_id and guardian_id == id_no:
        reasons.add("guardian_same_person", "监护人不能是申请人本人")
    if id_no and guardian_id and not register_page_received(tx, id_no, guardian_id):
        reasons.add("relationship_proof_missing", "未收到监护人提交的户口簿页，请在申请前拍摄户口簿")


def _other_city_checks(tx: Tx, person: Row, body: dict[str, Any], cards: list[Row], reasons: Reasons) -> Row | None:
    """A card held in another Fujian city: stoppable with consent, not while an employee transfer is pending."""
    other = next((c for c in cards if c["city"] != FUZHOU and c["city"].startswith("35")
                  and c["status"] in ("normal", "suspended", "loss_reported")), None)
    if other is None:
        return None
    consent = body.get("consent_stop_other_card")
    city = city_name(other["city"])
    agreed = isinstance(consent, dict) and consent.get("card_no") == other["card_no"] \
        and consent.get("city") in (other["city"], city)  # region code or city name
    if not agreed:
        reasons.add("other_city_card_active", f"您在{city}持有社保卡，须同意联网停用该卡后方可申领福州卡")
        return None
    if person["medical_insurance"] == "employee" and person["transfer_pending"]:
        reasons.add("insurance_transfer_pending",
                    f"您在{city}参加职工医疗保险，医疗保险关系转移尚未办结，暂不能停用异地卡")
        return None
    return other


def _insured_declaration_mismatch(body: dict[str, Any], insured: bool) -> str:
    """Offline the kiosk could not look the insurance status up; the citizen's answer (``insured_declared``)
    is checked against the register on delivery (issue 17 §4). The message when they differ, else ""."""
    declared = body.get("insured_declared")
    if body.get("insured_status_unverified") is not True or not isinstance(declared, bool) or declared == insured:
        return ""
    if insured:
        return "社保登记显示您已参加社会保险，与申请时的回答不符，请重新申请（卡片可关联医保）"
    return "社保登记显示您尚未参加社会保险，与申请时的回答不符；如仍需申领（不关联医保），请重新申请"


@route("POST", "/v1/applications", idempotent=True)
def apply(tx: Tx, ctx: Ctx, raw: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    body, reasons = need_object(raw), Reasons()
    kind = text(body, "kind", reasons, "申请类型")
    if kind and kind not in KINDS:
        reasons.add("invalid_kind", "申请类型应为 new 或 replacement")
    why = text(body, "reason", reasons, "补换原因", required=kind == "replacement")
    if kind == "replacement" and why and why not in REPLACEMENT_REASONS:
        reasons.add("invalid_reason", "补换原因不正确")
    applicant = body.get("applicant")
    if not isinstance(applicant, dict):
        reasons.add("missing_applicant", "缺少申请人信息")
        applicant = {}
    source = applicant.get("id_source") or "id_card"
    if source not in ID_SOURCES:
        reasons.add("invalid_id_source", "身份信息来源应为 id_card 或 household_register")
    register = source == "household_register"
    id_no, birth = _check_applicant(applicant, reasons, ctx.today, register)
    age = age_on(birth, ctx.today) if birth else None
    bank_code = text(body, "bank_code", reasons, "合作银行")
    delivery = text(body, "delivery", reasons, "领卡方式")
    if delivery and delivery not in DELIVERIES:
        reasons.add("invalid_delivery", "领卡方式应为 instant/pickup/courier")
    photo = _check_photo(body, age, reasons)
    later = body.get("deliver_later")  # arts. 16, 26: consent to deliver later (issue 17 §4)
    if isinstance(later, dict) and delivery == "instant":
        reasons.add("deliver_later_instant", "同意延期发卡的申请须选择网点领取或邮寄")
    if register or (age is not None and age < GUARDIAN_AGE):
        _check_guardian(tx, body, reasons, ctx.today)
    if register:
        _check_register_child(tx, body, id_no, age, delivery, reasons)

    person = tx.one("SELECT * FROM persons WHERE id_number = ?", (id_no,)) if birth else None
    other: Row | None = None
    old: Row | None = None
    if birth is not None and person is None:
        reasons.add("not_in_register", "社保系统中无您的人员信息，请先办理参保登记")
    if person is not None:
        if applicant.get("name") and applicant["name"] != person["name"]:
            reasons.add("name_mismatch", "姓名与社保登记信息不符")
        mismatch = _insured_declaration_mismatch(body, bool(person["insured"]))
        if mismatch:
            reasons.add("insured_declaration_mismatch", mismatch)
        elif not person["insured"] and kind == "new" and body.get("voluntary") is not True:  # art. 3
            reasons.add("not_insured", "您尚未参加社会保险，请先办理参保登记")
        cards = tx.all("SELECT * FROM cards WHERE id_number = ?", (id_no,))
        fuzhou = [c for c in cards if c["city"] == FUZHOU and c["status"] in HELD]
        open_apps = tx.all("SELECT * FROM applications WHERE id_number = ? AND status IN (?, ?, ?)",
                           (id_no, *OPEN))
        if open_apps:
            code = "replacement_in_progress" if any(a["kind"] == "replacement" for a in open_apps) \
                else "application_in_progress"
            reasons.add(code, "已有正在办理的申请，请查询办理进度")
        if kind == "new":
            if fuzhou:
                reasons.add("already_has_card", "您已持有福州市社保卡，如需更换请办理补换卡")
            other = _other_city_checks(tx, person, body, cards, reasons)
        elif kind == "replacement":
            old = next((c for c in fuzhou if c["status"] != "in_production"), None)
            if old is None:
                reasons.add("no_card_to_replace", "您没有可补换的福州市社保卡")
            elif why == "lost" and old["status"] != "loss_reported":
                reasons.add("loss_report_required", "补领遗失的卡须先办理挂失")
            elif why == "quality_defect":
                collected = parse_rfc3339(old["collected_at"] or "")
                if collected is None or ctx.today > _one_month_after(collected.date()):
                    reasons.add("quality_defect_period_over", "质量问题免费换卡须在领卡之日起一个月内办理")
            if why == "child_turned_2" and age is not None and age < PHOTO_AGE:
                reasons.add("child_not_yet_2", "儿童未满 2 周岁")
    mobile = str(applicant.get("mobile") or "")
    proof = application_mobile(tx, ctx, mobile, body, reasons) if MOBILE.match(mobile) else None
    if reasons and person is not None and accepted_offline(body):
        return _refused_after_acceptance(tx, ctx, person["id_number"], body, reasons)
    reasons.raise_if_any(422, "application_rejected", REJECTED)
    assert person is not None

    now = rfc3339(ctx.now)
    application_id = f"APP-{ctx.now:%Y%m%d}-{uuid.uuid4().hex[:10].upper()}"
    card_no = new_card_no(tx)
    updates: dict[str, Any] = {"ssn": id_no, "updated_at": now}
    for name in ("mobile", "phone", "residence_address", "household_address", "postal_code", "occupation"):
        if isinstance(applicant.get(name), str) and applicant[name] and name != "occupation":
            updates[name] = applicant[name]
    if photo:
        updates["photo_jpeg_b64"] = photo
    for name, value in updates.items():  # names from the fixed list above
        tx.execute(f"UPDATE persons SET {name} = ? WHERE id_number = ?", (value, id_no))
    tx.execute(
        "INSERT INTO applications (application_id, id_number, kind, reason, status, card_no, replaces_card_no,"
        " delivery, bank_code, kiosk_id, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (application_id, id_no, kind, why or None, "approved", card_no, old["card_no"] if old else None, delivery,
         bank_code, ctx.kiosk_id, now),
    )
    tx.execute("INSERT INTO cards (card_no, id_number, city, status, bank_code, application_id, status_changed_at)"
               " VALUES (?,?,?,?,?,?,?)", (card_no, id_no, FUZHOU, "in_production", bank_code, application_id, now))
    add_timeline(tx, application_id, "submitted", now, f"kiosk {ctx.kiosk_id}")
    if register:  # made only once a reviewer matched the 户口簿 page with the register (issue 21 §3)
        add_timeline(tx, application_id, REVIEW_PENDING, now, "无二代居民身份证，以户口簿核验身份，审核后制卡")
    if isinstance(later, dict):
        how = "邮寄（邮费申领人承担）" if delivery == "courier" else "网点领取"
        causes = ",".join(str(r) for r in later.get("reasons") or [])
        add_timeline(tx, application_id, "deliver_later_agreed", now,
                     f"{later.get('working_days')} 个工作日内{how}; {causes}"[:200])
    store_mobile(tx, ctx, id_no, mobile, proof)
    if proof is None:  # queued offline: the central confirms the number by SMS later
        add_timeline(tx, application_id, "mobile_unverified", now, "手机号码未经短信验证（离线受理），待短信确认")
    if body.get("voluntary") is True and not person["insured"]:
        add_timeline(tx, application_id, "voluntary", now, "有个人意愿需求的人员（第三条），不关联医保")
    stopped = None
    if other is not None:
        set_status(tx, other["card_no"], "cancelled", now)
        stopped = {"city": other["city"], "card_no": other["card_no"]}
        add_timeline(tx, application_id, "other_card_stopped", now, f"联网停用 {city_name(other['city'])}")
    if old is not None and old["status"] == "normal":
        set_status(tx, old["card_no"], "suspended", now)  # the old card lapses once the replacement is accepted
    add_timeline(tx, application_id, "approved", now)
    if accepted_offline(body) and not register:  # they left with a "pending" receipt: tell them it went through
        # (one waiting for the register review is told the reviewer's decision instead: reviews.decide)
        notices.tell(tx, id_no, "application", application_id, submitted_at=None, at=ctx.now)
    return 201, {
        "application_id": application_id, "ssn": id_no, "card_no": card_no, "status": "approved",
        "free_of_charge": fee_fen(kind, why) == 0, "stopped_other_card": stopped,
    }


def accepted_offline(body: dict[str, Any]) -> bool:
    """The kiosk accepted it with the link down (its receipt says so): the mobile, or the insurance
    answer, could not be checked then."""
    return body.get("mobile_unverified") is True or body.get("insured_status_unverified") is True


def _refused_after_acceptance(tx: Tx, ctx: Ctx, id_no: str, body: dict[str, Any],
                              reasons: Reasons) -> tuple[int, dict[str, Any]]:
    """The kiosk gave the citizen a receipt, so the refusal is kept where the citizen will look: the
    progress query lists the application as refused, with every reason, and the citizen is texted
    (central_sim.notices). The answer is the same 422."""
    application_id = f"APP-{ctx.now:%Y%m%d}-{uuid.uuid4().hex[:10].upper()}"
    now = rfc3339(ctx.now)
    kind, delivery = body.get("kind"), body.get("delivery")
    tx.execute(
        "INSERT INTO applications (application_id, id_number, kind, reason, status, card_no, replaces_card_no,"
        " delivery, bank_code, kiosk_id, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (application_id, id_no, kind if kind in KINDS else "new", None, "refused", "", None,
         delivery if delivery in DELIVERIES else "pickup", str(body.get("bank_code") or "")[:16], ctx.kiosk_id, now),
    )
    add_timeline(tx, application_id, "submitted", now, f"kiosk {ctx.kiosk_id}（离线受理）")
    add_timeline(tx, application_id, "not_accepted", now, "；".join(r["message"] for r in reasons.items)[:500])
    add_reasons(tx, application_id, reasons.items)
    applicant = body.get("applicant")
    given = applicant.get("mobile") if isinstance(applicant, dict) else None
    # Accepted offline: the citizen left with a receipt, so the refusal is late whatever the clock says.
    notices.tell(tx, id_no, "application", application_id, submitted_at=None, at=ctx.now, refused=reasons.items,
                 mobile_given=given if isinstance(given, str) else "")
    return 422, ApiError(422, "application_rejected", REJECTED, reasons.items).body()


def review_pending(tx: Tx, application_id: str) -> bool:
    """A household-register application not yet reviewed (a reviewer's decision ends it)."""
    statuses = {r["status"] for r in tx.all("SELECT status FROM application_timeline WHERE application_id = ?",
                                            (application_id,))}
    return REVIEW_PENDING in statuses and not statuses & {REVIEWED, REVIEW_REFUSED}


def _application(tx: Tx, ctx: Ctx) -> Row:
    app = tx.one("SELECT * FROM applications WHERE application_id = ?", (ctx.params["application_id"],))
    if app is None:
        raise ApiError(404, "application_not_found", "无此申请")
    return app


@route("POST", "/v1/applications/{application_id}/bank-account", idempotent=True)
def bank_account(tx: Tx, ctx: Ctx, raw: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    body, reasons = need_object(raw), Reasons()
    id_no = text(body, "id_number", reasons, "证件号码")
    card_no = text(body, "card_no", reasons, "社保卡号")
    bad_request(reasons)
    app = _application(tx, ctx)
    if app["id_number"] != id_no or app["card_no"] != card_no:
        raise ApiError(422, "application_mismatch", "证件号码或卡号与申请不符")
    existing = tx.one("SELECT account_no, account_class FROM accounts WHERE card_no = ?", (card_no,))
    if existing is not None:
        return 200, {"account_no": existing["account_no"], "account_class": existing["account_class"]}
    if app["status"] not in REPLACEMENT_OPEN:
        raise ApiError(409, "application_not_open", f"申请状态为 {app['status']}，不能开户")
    if review_pending(tx, app["application_id"]):
        raise ApiError(409, "review_pending", "户口簿材料尚待审核，审核通过后方可开户制卡")
    require_paid(tx, app)  # nothing is made before the fee is paid (central_sim/payments.py)
    now = rfc3339(ctx.now)
    account_no = new_account_no(tx)
    tx.execute("INSERT INTO accounts (account_no, card_no, id_number, account_class, bank_code, opened_at)"
               " VALUES (?,?,?,?,?,?)", (account_no, card_no, id_no, "I", app["bank_code"], now))
    tx.execute("UPDATE applications SET status = 'account_opened' WHERE application_id = ?", (app["application_id"],))
    add_timeline(tx, app["application_id"], "account_opened", now, f"I 类账户 {app['bank_code']}")
    return 200, {"account_no": account_no, "account_class": "I"}


@route("POST", "/v1/applications/{application_id}/production-result", idempotent=True)
def production_result(tx: Tx, ctx: Ctx, raw: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    body, reasons = need_object(raw), Reasons()
    result = text(body, "result", reasons, "制卡结果")
    if result and result not in ("success", "failed", "retained"):
        reasons.add("invalid_result", "制卡结果应为 success、failed 或 retained")
    card_no = text(body, "card_no", reasons, "社保卡号")
    produced = parse_rfc3339(text(body, "produced_at", reasons, "制卡时间"))
    if body.get("produced_at") and produced is None:
        reasons.add("invalid_produced_at", "制卡时间格式不正确")
    if result == "success":
        text(body, "chip_atr", reasons, "芯片 ATR")
        text(body, "card_id_code", reasons, "卡识别码")
    if result == "failed":
        text(body, "failure_reason", reasons, "失败原因")
    bad_request(reasons)
    assert produced is not None
    if body.get("kiosk_id") and body["kiosk_id"] != ctx.kiosk_id:
        raise ApiError(403, "kiosk_id_mismatch", "回盘中的终端编号与证书/请求头不一致")
    app = _application(tx, ctx)
    if app["card_no"] != card_no:
        raise ApiError(422, "application_mismatch", "卡号与申请不符")
    if result == "retained":
        return _retained(tx, app, card_no, rfc3339(produced))
    if app["status"] == "produced":
        raise ApiError(409, "already_produced", "该申请已制卡完成")
    if app["status"] not in (*REPLACEMENT_OPEN, "production_failed"):
        raise ApiError(409, "application_not_open", f"申请状态为 {app['status']}")
    at = rfc3339(produced)
    if result == "failed":
        tx.execute("UPDATE applications SET status = 'production_failed' WHERE application_id = ?",
                   (app["application_id"],))
        add_timeline(tx, app["application_id"], "production_failed", at, str(body.get("failure_reason"))[:200])
        return 200, {"status": "production_failed"}
    account = tx.one("SELECT account_no FROM accounts WHERE card_no = ?", (card_no,))
    if body.get("bank_account") and (account is None or account["account_no"] != body["bank_account"]):
        raise ApiError(422, "bank_account_mismatch", "回盘的银行账号与开户结果不符")
    collected = at if app["delivery"] == "instant" else None
    tx.execute("UPDATE cards SET status = 'normal', issued_at = ?, collected_at = ?, chip_atr = ?, card_id_code = ?,"
               " status_changed_at = ? WHERE card_no = ?",
               (at, collected, body["chip_atr"], body["card_id_code"], at, card_no))
    tx.execute("UPDATE applications SET status = 'produced' WHERE application_id = ?", (app["application_id"],))
    add_timeline(tx, app["application_id"], "produced", at, f"kiosk {body.get('kiosk_id') or ctx.kiosk_id}")
    if app["replaces_card_no"]:
        old = card_or_404(tx, app["replaces_card_no"])
        if old["status"] != "cancelled":
            set_status(tx, old["card_no"], "cancelled", at)
    return 200, {"status": "produced", "card_status": "normal"}


def _retained(tx: Tx, app: Row, card_no: str, at: str) -> tuple[int, dict[str, Any]]:
    """The made card was not taken and the printer retracted it (docs/central-api-additions.md):
    the card is not collected, and the application stays open for pickup at the counter."""
    if app["status"] == "retained_for_pickup":
        return 200, {"status": "retained_for_pickup", "card_status": "normal"}
    if app["status"] != "produced" or app["delivery"] != "instant":
        raise ApiError(409, "not_produced_at_kiosk", f"申请状态为 {app['status']}，不能登记为留存待领")
    tx.execute("UPDATE cards SET collected_at = NULL WHERE card_no = ?", (card_no,))
    tx.execute("UPDATE applications SET status = 'retained_for_pickup' WHERE application_id = ?",
               (app["application_id"],))
    add_timeline(tx, app["application_id"], "retained_for_pickup", at, "卡片未取走，已回收，请到柜台领取")
    return 200, {"status": "retained_for_pickup", "card_status": "normal"}
