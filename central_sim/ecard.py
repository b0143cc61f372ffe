"""电子社保卡 sign-in codes: ``POST /v1/ecard/verify`` and the test/demo hook that issues codes.

A code is what the citizen's e-card app shows after scanning the kiosk's own QR code: it names
one person, is bound to that kiosk, lasts ``CODE_VALIDITY_S`` and works once. The kiosk never
reads it; the central verifies it and answers who the person is. Only a SHA-256 of each code
is stored (a code is a credential), and a refusal never says whose code it was.

Issuing is the e-card platform's job, outside this contract. ``POST /v1/_test/ecard/codes``
stands in for it in tests and the demo (the citizen's app): it answers 404 when the central runs
in production mode (``CENTRAL_SIM_PRODUCTION=1``), like the other test hooks.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
from typing import Any

from central_sim.clock import parse_rfc3339, rfc3339
from central_sim.errors import ApiError, Reasons, reason
from central_sim.persons import person_or_404
from central_sim.routes import Ctx, bad_request, id_number, need_object, route, text
from central_sim.storage import Tx

CODE_VALIDITY_S = 60
CODE_PREFIX = "ESSC1."
KIOSK_QR_PREFIX = "sscard-ecard-login:v1:"  # what the kiosk shows for the app to scan (its kiosk id follows)


def test_hooks_enabled() -> bool:
    return os.environ.get("CENTRAL_SIM_PRODUCTION", "").lower() not in ("1", "true", "yes")


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def issue_code(tx: Tx, id_no: str, kiosk_id: str, now: dt.datetime) -> tuple[str, str]:
    """A new code for a known person, bound to ``kiosk_id``: (code, expires_at)."""
    person_or_404(tx, id_no)
    code = CODE_PREFIX + secrets.token_urlsafe(24)
    expires = rfc3339(now + dt.timedelta(seconds=CODE_VALIDITY_S))
    tx.execute("INSERT INTO ecard_codes (code_hash, id_number, kiosk_id, issued_at, expires_at) VALUES (?,?,?,?,?)",
               (_digest(code), id_no, kiosk_id, rfc3339(now), expires))
    return code, expires


def _refuse(code: str, message: str) -> ApiError:
    return ApiError(422, code, message, [reason(code, message)])


@route("POST", "/v1/ecard/verify", idempotent=True)
def verify(tx: Tx, ctx: Ctx, raw: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    body, reasons = need_object(raw), Reasons()
    code = text(body, "code", reasons, "电子社保卡二维码")
    bad_request(reasons)
    row = tx.one("SELECT * FROM ecard_codes WHERE code_hash = ?", (_digest(code),))
    if row is None:
        raise _refuse("ecard_code_unknown", "二维码无效，请在电子社保卡中重新生成")
    if row["kiosk_id"] != ctx.kiosk_id:  # not consumed: the code is not this kiosk's to spend
        raise _refuse("ecard_code_other_kiosk", "二维码不是为本机生成的，请扫描本机屏幕上的二维码后重新生成")
    if row["used_at"]:
        raise _refuse("ecard_code_used", "二维码已使用，请重新生成")
    expires = parse_rfc3339(row["expires_at"])
    if expires is None or ctx.now >= expires:
        raise _refuse("ecard_code_expired", "二维码已过期，请重新生成")
    tx.execute("UPDATE ecard_codes SET used_at = ? WHERE code_hash = ?", (rfc3339(ctx.now), row["code_hash"]))
    p = person_or_404(tx, row["id_number"])
    return 200, {"id_number": p["id_number"], "name": p["name"], "sex": p["sex"], "birth_date": p["birth_date"],
                 "verified_at": rfc3339(ctx.now)}


@route("POST", "/v1/_test/ecard/codes", idempotent=False)
def issue(tx: Tx, ctx: Ctx, raw: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """Test/demo hook: the citizen's e-card app after it scanned the kiosk's QR code."""
    if not test_hooks_enabled():
        raise ApiError(404, "not_found", "无此接口")
    body, reasons = need_object(raw), Reasons()
    id_no = id_number(body, reasons)
    kiosk_id = text(body, "kiosk_id", reasons, "终端编号")
    bad_request(reasons)
    code, expires = issue_code(tx, id_no, kiosk_id, ctx.now)
    return 201, {"code": code, "expires_at": expires}
