"""SMS verification of a mobile number (regulation art. 16 "健全电话号码"; issue 21 §2).

``POST /v1/sms/otp`` sends a 6-digit code to a number; ``POST /v1/sms/verify`` checks it and answers
a one-use ``verification_id`` that a contact change (or an application) carries to show the number
was confirmed. The rules, all on the central's clock (central_sim.clock, injectable in tests):
- a code is valid CODE_TTL (5 minutes); a newer code for the same number voids the older one;
- MAX_WRONG (5) wrong tries void the code;
- per number at most 1 code a minute (so a resend is possible after 60 s), 5 an hour, 10 a day.
Codes are kept only as a salted hash and are never logged; the simulated carrier's inbox
(``sms_sim_inbox``) is read only by the loopback test hook (``read_inbox``), never in production mode.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
import uuid
from typing import Any

from central_sim.clock import parse_rfc3339, rfc3339
from central_sim.errors import ApiError, Reasons
from central_sim.routes import Ctx, bad_request, need_object, route, text
from central_sim.storage import Row, Tx

MOBILE = re.compile(r"^1[3-9]\d{9}$")
CODE_DIGITS = 6
CODE_TTL = dt.timedelta(minutes=5)
RESEND_AFTER = dt.timedelta(seconds=60)
MAX_WRONG = 5
# (window, most codes a number may get in it, reason code): checked in this order.
LIMITS = (
    (dt.timedelta(minutes=1), 1, "sms_resend_too_soon"),
    (dt.timedelta(hours=1), 5, "sms_hourly_limit"),
    (dt.timedelta(days=1), 10, "sms_daily_limit"),
)
VERIFIED_TTL = dt.timedelta(minutes=30)  # a verification must be used by a change within this time
PURPOSES = ("contact_change", "apply")
NOT_VERIFIED = "手机号码未通过短信验证"
NOT_VERIFIED_HINT = "手机号码未通过短信验证，请重新获取验证码"
_MESSAGES = {"sms_resend_too_soon": "验证码发送过于频繁，请 {s} 秒后再试",
             "sms_hourly_limit": "该号码一小时内获取验证码次数已达上限，请 {s} 秒后再试",
             "sms_daily_limit": "该号码今日获取验证码次数已达上限"}


def _hash(otp_id: str, code: str) -> str:
    return hashlib.sha256(f"{otp_id}:{code}".encode()).hexdigest()


def _mobile(body: dict[str, Any], reasons: Reasons) -> str:
    mobile = text(body, "mobile", reasons, "手机号码")
    if mobile and not MOBILE.match(mobile):
        reasons.add("invalid_mobile", "手机号码格式不正确")
    return mobile


def _rate_limit(tx: Tx, mobile: str, now: dt.datetime) -> None:
    """Refuse a code the number may not have yet (409, the reason saying which limit and how long)."""
    day_ago = rfc3339(now - LIMITS[-1][0])
    sent = [t for r in tx.all("SELECT sent_at FROM sms_sends WHERE mobile = ? AND sent_at > ? ORDER BY sent_at",
                              (mobile, day_ago)) if (t := parse_rfc3339(r["sent_at"])) is not None]
    for window, most, code in LIMITS:
        recent = [t for t in sent if t > now - window]
        if len(recent) >= most:
            wait = max(1, int((recent[-most] + window - now).total_seconds() + 0.999))
            raise ApiError(409, "sms_rate_limited", "验证码发送次数受限",
                           [{"code": code, "message": _MESSAGES[code].format(s=wait)}])


@route("POST", "/v1/sms/otp", idempotent=True)
def send_code(tx: Tx, ctx: Ctx, raw: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    body, reasons = need_object(raw), Reasons()
    mobile = _mobile(body, reasons)
    purpose = text(body, "purpose", reasons, "用途")
    if purpose and purpose not in PURPOSES:
        reasons.add("invalid_purpose", "用途应为 contact_change 或 apply")
    bad_request(reasons)
    _rate_limit(tx, mobile, ctx.now)
    tx.execute("UPDATE sms_codes SET status = 'void' WHERE mobile = ? AND status = 'sent'", (mobile,))
    otp_id = f"OTP-{uuid.uuid4().hex[:16].upper()}"
    code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
    now, expires = rfc3339(ctx.now), rfc3339(ctx.now + CODE_TTL)
    tx.execute("INSERT INTO sms_codes (otp_id, mobile, code_hash, kiosk_id, purpose, sent_at, expires_at, status)"
               " VALUES (?,?,?,?,?,?,?, 'sent')", (otp_id, mobile, _hash(otp_id, code), ctx.kiosk_id, purpose, now,
                                                   expires))
    tx.execute("INSERT INTO sms_sends (mobile, sent_at) VALUES (?, ?)", (mobile, now))
    tx.execute("INSERT INTO sms_sim_inbox (mobile, otp_id, code, sent_at) VALUES (?,?,?,?)",
               (mobile, otp_id, code, now))  # the simulated carrier delivers it to the phone
    return 201, {"otp_id": otp_id, "expires_at": expires, "valid_s": int(CODE_TTL.total_seconds()),
                 "resend_after_s": int(RESEND_AFTER.total_seconds()), "code_length": CODE_DIGITS}


def _code_row(tx: Tx, otp_id: str, mobile: str) -> Row:
    row = tx.one("SELECT * FROM sms_codes WHERE otp_id = ?", (otp_id,))
    if row is None or row["mobile"] != mobile:
        raise ApiError(404, "otp_not_found", "无此验证码记录，请重新获取")
    return row


@route("POST", "/v1/sms/verify", idempotent=True)
def verify_code(tx: Tx, ctx: Ctx, raw: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    body, reasons = need_object(raw), Reasons()
    mobile = _mobile(body, reasons)
    otp_id = text(body, "otp_id", reasons, "验证码编号")
    code = text(body, "code", reasons, "验证码")
    bad_request(reasons)
    row = _code_row(tx, otp_id, mobile)
    left = max(0, MAX_WRONG - int(row["wrong_tries"]))
    if row["status"] in ("verified", "used"):
        return 200, {"status": "verified", "tries_left": left, "verification_id": row["verification_id"]}
    if row["status"] == "void":
        return 200, {"status": "void", "tries_left": 0, "verification_id": None}
    expires = parse_rfc3339(row["expires_at"])
    if expires is None or ctx.now > expires:
        return 200, {"status": "expired", "tries_left": left, "verification_id": None}
    if hmac.compare_digest(row["code_hash"], _hash(otp_id, code)):
        verification_id = f"MV-{uuid.uuid4().hex[:16].upper()}"
        tx.execute("UPDATE sms_codes SET status = 'verified', verification_id = ?, expires_at = ? WHERE otp_id = ?",
                   (verification_id, rfc3339(ctx.now + VERIFIED_TTL), otp_id))
        tx.execute("DELETE FROM sms_sim_inbox WHERE otp_id = ?", (otp_id,))
        return 200, {"status": "verified", "tries_left": left, "verification_id": verification_id}
    left -= 1
    status = "void" if left <= 0 else "wrong"
    tx.execute("UPDATE sms_codes SET wrong_tries = wrong_tries + 1, status = ? WHERE otp_id = ?",
               ("void" if status == "void" else "sent", otp_id))
    return 200, {"status": status, "tries_left": left, "verification_id": None}


def verification(tx: Tx, ctx: Ctx, mobile: str, verification_id: Any) -> Row | None:
    """The confirmed, unused and fresh code behind ``verification_id`` for ``mobile``; None if there is none."""
    if not verification_id or not isinstance(verification_id, str):
        return None
    row = tx.one("SELECT * FROM sms_codes WHERE verification_id = ? AND status = 'verified'", (verification_id,))
    until = parse_rfc3339(row["expires_at"]) if row is not None else None
    if row is None or row["mobile"] != mobile or until is None or ctx.now > until:
        return None
    return row


def store_mobile(tx: Tx, ctx: Ctx, id_no: str, mobile: str, proof: Row | None) -> None:
    """Record the holder's mobile: confirmed (``proof``, now used) or unverified, to confirm by SMS later."""
    if proof is not None:
        tx.execute("UPDATE sms_codes SET status = 'used' WHERE otp_id = ?", (proof["otp_id"],))
    tx.execute("INSERT INTO mobile_status (id_number, mobile, verified, at) VALUES (?,?,?,?) ON CONFLICT (id_number)"
               " DO UPDATE SET mobile = excluded.mobile, verified = excluded.verified, at = excluded.at",
               (id_no, mobile, 1 if proof is not None else 0, rfc3339(ctx.now)))


def record_mobile(tx: Tx, ctx: Ctx, id_no: str, mobile: str, body: dict[str, Any]) -> None:
    """A changed mobile: confirmed when the body carries an unused ``mobile_verification_id`` of that
    number (422 ``mobile_not_verified`` otherwise), unverified when it carries none (an offline change,
    or a kiosk older than this addition)."""
    proof = verification(tx, ctx, mobile, body.get("mobile_verification_id"))
    if body.get("mobile_verification_id") and proof is None:
        raise ApiError(422, "mobile_not_verified", NOT_VERIFIED,
                       [{"code": "mobile_not_verified", "message": NOT_VERIFIED_HINT}])
    store_mobile(tx, ctx, id_no, mobile, proof)


# applysms: the applicant's mobile (issue 21 §2 for apply/replace)
def application_mobile(tx: Tx, ctx: Ctx, mobile: str, body: dict[str, Any], reasons: Reasons) -> Row | None:
    """An application's mobile: confirmed by the body's ``mobile_verification_id`` (of that number, unused,
    fresh), or stated ``mobile_unverified`` (queued offline: stored, to confirm by SMS later). Neither, or a
    verification that does not hold, adds ``mobile_not_verified`` to the application's reasons."""
    proof = verification(tx, ctx, mobile, body.get("mobile_verification_id"))
    if proof is None and (body.get("mobile_verification_id") or body.get("mobile_unverified") is not True):
        reasons.add("mobile_not_verified", NOT_VERIFIED_HINT)
    return proof


def read_inbox(tx: Tx, mobile: str) -> dict[str, Any] | None:
    """The test hook: the last code the simulated carrier delivered to ``mobile`` (None: none pending)."""
    row = tx.one("SELECT otp_id, code, sent_at FROM sms_sim_inbox WHERE mobile = ? ORDER BY sent_at DESC"
                 " LIMIT 1", (mobile,))
    return None if row is None else {"otp_id": row["otp_id"], "code": row["code"], "sent_at": row["sent_at"]}
