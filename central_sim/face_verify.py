"""POST /v1/identity/face-verify: the live face against the public-security portrait on record.

For kiosks without a WLT photo decoder (docs/central-api-additions.md "Face verification"). The
answer is match / score / threshold / reason; no portrait ever leaves the central. The request must
name the consent text the citizen agreed to (PIPL art. 29: biometric data needs separate consent).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from central_sim import face_compare
from central_sim.errors import ApiError, Reasons
from central_sim.persons import person_or_404
from central_sim.routes import Ctx, bad_request, id_number, need_object, route, text
from central_sim.storage import Tx


@route("POST", "/v1/identity/face-verify", idempotent=False)
def face_verify(tx: Tx, ctx: Ctx, raw: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    body, reasons = need_object(raw), Reasons()
    id_no = id_number(body, reasons)
    consent = text(body, "consent_version", reasons, "人脸信息单独同意书版本")
    live_b64 = text(body, "live_jpeg_b64", reasons, "现场人像")
    live = b""
    if live_b64:
        try:
            live = base64.b64decode(live_b64, validate=True)
        except (binascii.Error, ValueError):
            reasons.add("invalid_live_jpeg_b64", "现场人像不是有效的 base64")
        if live and not live.startswith(b"\xff\xd8"):
            reasons.add("invalid_live_jpeg_b64", "现场人像不是 JPEG 图像")
    if body.get("liveness_passed") is not True:
        reasons.add("liveness_failed", "活体检测未通过，不能比对")
    bad_request(reasons)
    p = person_or_404(tx, id_no)
    if p["photo_jpeg_b64"] is None:
        raise ApiError(422, "no_reference_photo", "系统中无此人人像，请到柜台办理",
                       [{"code": "no_reference_photo", "message": "系统中无此人人像，请到柜台办理"}])
    result = face_compare.compare(live, base64.b64decode(p["photo_jpeg_b64"]))
    return 200, {"match": result.match, "score": round(result.score, 4), "threshold": result.threshold,
                 "reason": result.reason, "method": face_compare.METHOD, "consent_version": consent}
