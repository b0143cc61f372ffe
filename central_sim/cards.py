"""Cards: activation, loss report (immediate freeze), loss cancel, PIN reset authorisation, PIN events."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from central_sim import hsm
from central_sim.clock import CST, parse_rfc3339, rfc3339
from central_sim.errors import ApiError, Reasons
from central_sim.kiosk_clock import clock_ahead
from central_sim.persons import person_or_404
from central_sim.refusals import CLOCK_SKEW, card_holder, kept_for_citizen, person_in_body
from central_sim.routes import Ctx, bad_request, id_number, need_object, route, text
from central_sim.storage import Row, Tx

REPORTABLE = ("normal", "suspended", "in_production")
REPLACEMENT_OPEN = ("approved", "account_opened")  # a replacement card is still being made
OPEN = (*REPLACEMENT_OPEN, "production_failed")  # art. 34: still to be delivered (counter/courier after a failure)
MIN_FACE_THRESHOLD = 0.5  # the central's floor: a kiosk may be stricter, never laxer
AUTH_TTL = dt.timedelta(minutes=5)
PIN = re.compile(r"^\d{6}$")
WEAK_PINS = {"888888", "000000", "123456", "111111", "654321"}


def card_or_404(tx: Tx, card_no: str) -> Row:
    row = tx.one("SELECT * FROM cards WHERE card_no = ?", (card_no,))
    if row is None:
        raise ApiError(404, "card_not_found", "无此社保卡")
    return row


def owned_card(tx: Tx, card_no: str, id_no: str) -> Row:
    card = card_or_404(tx, card_no)
    if card["id_number"] != id_no:
        raise ApiError(422, "card_holder_mismatch", "卡片不属于该证件持有人",
                       [{"code": "card_holder_mismatch", "message": "卡片不属于该证件持有人"}])
    return card


def replacement_in_progress(tx: Tx, card_no: str) -> bool:
    return tx.one(
        "SELECT 1 AS x FROM applications WHERE replaces_card_no = ? AND status IN (?, ?, ?)",
        (card_no, *OPEN),
    ) is not None


def set_status(tx: Tx, card_no: str, status: str, at: str) -> None:
    tx.execute("UPDATE cards SET status = ?, status_changed_at = ? WHERE card_no = ?", (status, at, card_no))


@route("POST", "/v1/cards/activate", idempotent=True)
@kept_for_citizen("activation", person_in_body, submitted="requested_at")
def activate(tx: Tx, ctx: Ctx, raw: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    body, reasons = need_object(raw), Reasons()
    card_no = text(body, "card_no", reasons, "社保卡号")
    id_no = id_number(body, reasons)
    bad_request(reasons)
    card = owned_card(tx, card_no, id_no)
    if card["status"] != "normal":
        raise ApiError(409, "card_not_normal", f"卡片状态为 {card['status']}，不能启用")
    person = person_or_404(tx, id_no)
    tx.execute("UPDATE cards SET activated = 1 WHERE card_no = ?", (card_no,))
    return 200, {"status": "activated", "medical_insurance_linked": person["medical_insurance"] != "none"}


@route("POST", "/v1/cards/loss-report", idempotent=True)
@kept_for_citizen("loss_report", card_holder, submitted="reported_at")
def loss_report(tx: Tx, ctx: Ctx, raw: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    body, reasons = need_object(raw), Reasons()
    card_no = text(body, "card_no", reasons, "社保卡号", required=False)
    # Checked whenever sent: a card number alone must not freeze a card another citizen holds.
    id_no = id_number(body, reasons) if body.get("id_number") else ""
    if not card_no and not id_no and not reasons:
        reasons.add("missing_card_no", "缺少社保卡号或证件号码")
    reported = parse_rfc3339(text(body, "reported_at", reasons, "挂失时间"))
    if body.get("reported_at") and reported is None:
        reasons.add("invalid_reported_at", "挂失时间格式不正确")
    bad_request(reasons)
    assert reported is not None
    if reported > ctx.now + CLOCK_SKEW:
        raise ApiError(422, "reported_in_future", "挂失时间晚于当前时间")
    # read on our clock: a kiosk whose clock runs behind must not date a fresh report before a cancel
    # just made (kept as the kiosk said it, in loss_reports)
    as_of = reported - clock_ahead(tx, ctx.kiosk_id)
    if card_no:
        card = card_or_404(tx, card_no)
        if id_no and card["id_number"] != id_no:
            raise ApiError(422, "card_holder_mismatch", "卡片不属于该证件持有人")
        cards = [card]
    else:
        person_or_404(tx, id_no)
        cards = tx.all("SELECT * FROM cards WHERE id_number = ? AND status IN (?, ?, ?, ?)",
                       (id_no, *REPORTABLE, "loss_reported"))
        if not cards:
            raise ApiError(404, "card_not_found", "该人员名下无可挂失的社保卡")
        # Offline the kiosk knows no card number: the citizen lost the cards they had then, not one
        # applied for after the report was made.
        cards = [c for c in cards if not _made_after(tx, c, as_of)]
        if not cards:
            raise ApiError(404, "card_not_found", "挂失时该人员名下无可挂失的社保卡")
    now = rfc3339(ctx.now)
    # A report made before the citizen cancelled a loss of that card (delivered late by an offline
    # kiosk) does not undo the cancel: the citizen's later act stands.
    cancelled = {c["card_no"]: at for c in cards if (at := _cancelled_after(tx, c["card_no"], as_of)) is not None}
    if cancelled and len(cancelled) == len(cards):
        at = max(cancelled.values()).astimezone(CST)
        message = f"您已于{at:%m月%d日%H:%M}解除该卡挂失，在此之前提交的挂失不再生效"
        raise ApiError(409, "superseded_by_loss_cancel", message, [{"code": "superseded_by_loss_cancel",
                                                                    "message": message}])
    frozen = []
    for card in (c for c in cards if c["card_no"] not in cancelled):
        if card["status"] == "cancelled":
            raise ApiError(409, "card_cancelled", "该卡已注销，无需挂失")
        if card["status"] == "loss_reported":  # already frozen: report the original effect
            prior = tx.one("SELECT effective_at FROM loss_reports WHERE card_no = ? AND cancelled_at IS NULL"
                           " ORDER BY effective_at DESC", (card["card_no"],))
            frozen.append((card["card_no"], prior["effective_at"] if prior else card["status_changed_at"]))
            continue
        set_status(tx, card["card_no"], "loss_reported", now)
        tx.execute("INSERT INTO loss_reports (card_no, reported_at, effective_at, kiosk_id) VALUES (?,?,?,?)",
                   (card["card_no"], rfc3339(reported), now, ctx.kiosk_id))
        frozen.append((card["card_no"], now))
    return 200, {
        "status": "loss_reported",
        "effective_at": max(at for _, at in frozen),
        "cards": [{"card_no": c, "effective_at": at} for c, at in frozen],
    }


def _made_after(tx: Tx, card: Row, reported: dt.datetime) -> bool:
    """The card came into being after ``reported``: applied for (or, with no application, issued) later."""
    app = tx.one("SELECT created_at FROM applications WHERE application_id = ?", (card["application_id"],))
    began = parse_rfc3339(str(app["created_at"])) if app else parse_rfc3339(str(card["issued_at"] or ""))
    return began is not None and began > reported


def _cancelled_after(tx: Tx, card_no: str, reported: dt.datetime) -> dt.datetime | None:
    """When a loss of this card was last cancelled, if that was after ``reported``."""
    rows = tx.all("SELECT cancelled_at FROM loss_reports WHERE card_no = ? AND cancelled_at IS NOT NULL", (card_no,))
    times = [t for r in rows if (t := parse_rfc3339(str(r["cancelled_at"]))) is not None and t > reported]
    return max(times) if times else None


@route("POST", "/v1/cards/loss-cancel", idempotent=True)
def loss_cancel(tx: Tx, ctx: Ctx, raw: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    body, reasons = need_object(raw), Reasons()
    card_no = text(body, "card_no", reasons, "社保卡号")
    id_no = id_number(body, reasons)
    bad_request(reasons)
    card = owned_card(tx, card_no, id_no)
    if replacement_in_progress(tx, card_no):
        raise ApiError(409, "replacement_in_progress", "已申请补换卡，不能解除挂失（福州办法第三十四条）",
                       [{"code": "replacement_in_progress", "message": "已办理挂失且重新申请补换卡"}])
    if card["status"] != "loss_reported":
        raise ApiError(409, "card_not_loss_reported", "该卡未处于挂失状态")
    now = rfc3339(ctx.now)
    set_status(tx, card_no, "normal", now)
    tx.execute("UPDATE loss_reports SET cancelled_at = ? WHERE card_no = ? AND cancelled_at IS NULL", (now, card_no))
    return 200, {"status": "normal", "effective_at": now}


@route("POST", "/v1/cards/pin-reset/authorize", idempotent=True)
def pin_reset_authorize(tx: Tx, ctx: Ctx, raw: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    body, reasons = need_object(raw), Reasons()
    card_no = text(body, "card_no", reasons, "社保卡号")
    id_no = id_number(body, reasons)
    challenge_hex = text(body, "card_challenge", reasons, "卡片随机数")
    challenge = b""
    if challenge_hex:
        try:
            challenge = bytes.fromhex(challenge_hex)
        except ValueError:
            challenge = b""
        if len(challenge) != hsm.CHALLENGE_LEN:
            reasons.add("invalid_card_challenge", "卡片随机数应为 8 字节十六进制")
    new_pin = text(body, "new_pin", reasons, "新密码", required=False)  # simulator mode only (contract)
    block_hex = text(body, "pin_block", reasons, "密码块", required=False)
    if block_hex:
        try:
            opened = hsm.open_pin_block(bytes.fromhex(block_hex), id_no) if id_no else None
        except ValueError:
            opened = None
        if opened is None:
            reasons.add("pin_block_invalid", "密码块无法解密（密钥或账号不符）")
        new_pin = opened or ""
    elif not new_pin:
        reasons.add("missing_new_pin", "缺少新密码")
    face = body.get("face_match")
    if not isinstance(face, dict):
        reasons.add("missing_face_match", "缺少人脸比对结果")
        face = {}
    bad_request(reasons)
    # Business checks, all reported at once.
    refusals = Reasons()
    if not PIN.match(new_pin):
        refusals.add("pin_format", "密码须为 6 位数字")
    elif new_pin in WEAK_PINS:
        refusals.add("pin_too_weak", "密码过于简单，不能使用初始密码或连续、重复数字")
    score, threshold = face.get("score"), face.get("threshold")
    numeric = isinstance(score, int | float) and isinstance(threshold, int | float)
    if not numeric:
        refusals.add("face_match_invalid", "人脸比对结果不完整")
    else:
        if float(threshold) < MIN_FACE_THRESHOLD:  # type: ignore[arg-type]
            refusals.add("face_threshold_too_low", "人脸比对阈值低于中心要求")
        if not float(score) > float(threshold):  # type: ignore[arg-type]
            refusals.add("face_mismatch", "人脸比对未通过")
    if face.get("liveness_passed") is not True:
        refusals.add("liveness_failed", "活体检测未通过")
    card = owned_card(tx, card_no, id_no)
    if card["status"] != "normal":
        refusals.add("card_not_normal", f"卡片状态为 {card['status']}，不能重置密码")
    refusals.raise_if_any(422, "pin_reset_refused", "不能重置密码")
    authorization_id = str(uuid.uuid4())
    expires = ctx.now + AUTH_TTL
    tx.execute(
        "INSERT INTO pin_authorizations (authorization_id, card_no, kiosk_id, face_score, face_method, created_at,"
        " expires_at) VALUES (?,?,?,?,?,?,?)",
        (authorization_id, card_no, ctx.kiosk_id, float(score), str(face.get("method", "")),  # type: ignore[arg-type]
         rfc3339(ctx.now), rfc3339(expires)),
    )
    apdu = hsm.build_reset_apdu(challenge, new_pin)
    return 200, {"authorization_id": authorization_id, "apdu_hex": apdu.hex().upper(), "expires_at": rfc3339(expires)}


@route("POST", "/v1/cards/pin-events", idempotent=True)
def pin_events(tx: Tx, ctx: Ctx, raw: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    body, reasons = need_object(raw), Reasons()
    card_no = text(body, "card_no", reasons, "社保卡号")
    event = text(body, "event", reasons, "事件")
    if event and event not in ("changed", "reset", "locked"):
        reasons.add("invalid_event", "事件应为 changed/reset/locked")
    at = parse_rfc3339(text(body, "at", reasons, "时间"))
    if body.get("at") and at is None:
        reasons.add("invalid_at", "时间格式不正确")
    bad_request(reasons)
    assert at is not None
    card_or_404(tx, card_no)
    tx.execute("INSERT INTO pin_events (card_no, event, at, kiosk_id, received_at) VALUES (?,?,?,?,?)",
               (card_no, event, rfc3339(at), ctx.kiosk_id, rfc3339(ctx.now)))
    return 200, {"recorded": True}
