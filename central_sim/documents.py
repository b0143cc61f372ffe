"""Documents captured at a kiosk's document camera (高拍仪), kept for review by the centre's staff.

A guardian's proof of relationship (户口簿 page, 出生医学证明) and a proxy's authorisation letter and
the two ID cards (arts. 16, 51). The kiosk sends one JPEG per request (through its queue when the
link is down); the central checks who presented it for whom and keeps it as ``pending_review``.
The central applies its own rules (it is its own system): a proxy only for non-financial services.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from typing import Any

from central_sim.clock import rfc3339
from central_sim.errors import Reasons
from central_sim.idnumber import age_on, birth_date_of
from central_sim.routes import Ctx, bad_request, id_number, need_object, route, text
from central_sim.storage import Row, Tx

PURPOSES: dict[str, tuple[str, ...]] = {
    "guardian": ("household_register", "birth_certificate"),
    "proxy": ("authorisation_letter", "principal_id_card", "proxy_id_card"),
}
KINDS = tuple(k for kinds in PURPOSES.values() for k in kinds)
# Art. 51: a proxy may do non-financial services only; a guardian applies for the child's card.
SERVICES: dict[str, tuple[str, ...]] = {
    "guardian": ("apply", "replace"),
    "proxy": ("progress_query", "contact_change"),
}
ALL_SERVICES = tuple(sorted({s for v in SERVICES.values() for s in v}))
NO_ID_CARD_MAX_AGE = 16  # from 16 a resident holds a 居民身份证 (居民身份证法 art. 2): the 户口簿 path ends
MIN_JPEG = 2 * 1024  # smaller is not a readable page
MAX_JPEG = 700 * 1024
ADULT = 18


def _jpeg(body: dict[str, Any], reasons: Reasons) -> bytes:
    raw = text(body, "jpeg_b64", reasons, "材料图像")
    if not raw:
        return b""
    try:
        data = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        reasons.add("invalid_jpeg_b64", "材料图像不是有效的 Base64")
        return b""
    if not (data.startswith(b"\xff\xd8") and data.rstrip(b"\0").endswith(b"\xff\xd9")):
        reasons.add("invalid_jpeg", "材料图像不是 JPEG")
    elif not MIN_JPEG <= len(data) <= MAX_JPEG:
        reasons.add("jpeg_size_out_of_range", f"材料图像大小须在 {MIN_JPEG // 1024}–{MAX_JPEG // 1024} KB 之间")
    return data


def proxy_papers_received(tx: Tx, principal_id: str, proxy_id: str) -> bool:
    """Whether this proxy presented every paper art. 51 asks (the letter, both ID cards) for this principal:
    what a change made by that proxy stands on. A paper the central refused was never stored."""
    rows = tx.all("SELECT DISTINCT kind FROM documents WHERE subject_id_number = ? AND presenter_id_number = ?"
                  " AND purpose = 'proxy' AND review_status != 'rejected'", (principal_id, proxy_id))
    return proxy_id != principal_id and set(PURPOSES["proxy"]) <= {str(r["kind"]) for r in rows}


def register_page_received(tx: Tx, child_id: str, guardian_id: str) -> bool:
    """Whether this guardian presented a 户口簿 page for this child (issue 21 §3): what lets a guardian
    act for a child who has no ID card, whose name the kiosk cannot read."""
    return tx.one("SELECT 1 AS n FROM documents WHERE subject_id_number = ? AND presenter_id_number = ?"
                  " AND purpose = 'guardian' AND kind = 'household_register'", (child_id, guardian_id)) is not None


@route("POST", "/v1/documents", idempotent=True)
def submit(tx: Tx, ctx: Ctx, raw: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    body, reasons = need_object(raw), Reasons()
    case_id = text(body, "case_id", reasons, "案件编号")
    purpose = text(body, "purpose", reasons, "用途")
    kind = text(body, "kind", reasons, "材料种类")
    service = text(body, "service", reasons, "业务")
    captured_at = text(body, "captured_at", reasons, "采集时间")
    subject = id_number(body, reasons, "subject_id_number")
    presenter = id_number(body, reasons, "presenter_id_number")
    data = _jpeg(body, reasons)
    if purpose and purpose not in PURPOSES:
        reasons.add("invalid_purpose", "用途不正确")
    elif purpose and kind and kind not in PURPOSES[purpose]:
        reasons.add("invalid_kind", "材料种类与用途不符")
    if purpose in SERVICES and service and service not in SERVICES[purpose]:
        reasons.add("service_not_allowed_for_proxy" if purpose == "proxy" else "invalid_service",
                    "代办人只能办理非金融业务（第五十一条）" if purpose == "proxy" else "业务不正确")
    if subject and presenter and subject == presenter:
        reasons.add("presenter_is_subject", "代办人与被代办人不能是同一人")
    born = birth_date_of(presenter) if presenter else None
    if born is not None and age_on(born, ctx.today) < ADULT:
        reasons.add("presenter_not_adult", "代办人或监护人须年满十八周岁")
    bad_request(reasons)
    document_id = f"DOC-{ctx.now:%Y%m%d}-{uuid.uuid4().hex[:10].upper()}"
    now = rfc3339(ctx.now)
    tx.execute(
        "INSERT INTO documents (document_id, case_id, kiosk_id, service, purpose, kind, subject_id_number,"
        " presenter_id_number, captured_at, received_at, bytes, sha256, jpeg_b64, review_status)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (document_id, case_id[:64], ctx.kiosk_id, service, purpose, kind, subject, presenter, captured_at[:64], now,
         len(data), hashlib.sha256(data).hexdigest(), body["jpeg_b64"], "pending_review"))
    return 201, {"document_id": document_id, "review_status": "pending_review", "received_at": now}


def pending_review(tx: Tx, subject_id_number: str | None = None) -> list[Row]:
    """What a reviewer sees: every document not yet reviewed (without the image), oldest first."""
    sql = ("SELECT document_id, case_id, kiosk_id, service, purpose, kind, subject_id_number, presenter_id_number,"
           " captured_at, received_at, bytes, sha256 FROM documents WHERE review_status = 'pending_review'")
    if subject_id_number is None:
        return tx.all(sql + " ORDER BY received_at, document_id")
    return tx.all(sql + " AND subject_id_number = ? ORDER BY received_at, document_id", (subject_id_number,))
