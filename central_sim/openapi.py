"""The contract as an OpenAPI 3.1 document, generated from the models the central validates with.

``python -m central_sim.openapi > docs/openapi.json`` (tests/central/test_openapi.py fails when the
committed file is out of date). Paths come from the route table; request and response bodies from
api_models.py; every 4xx/5xx is the error envelope.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from central_sim import central  # noqa: F401  (registers every route)
from central_sim.api_models import KIOSK_ID_PATTERN, REQUESTS, RESPONSES, ErrorBody
from central_sim.routes import ROUTES

TITLE = "sscard kiosk ⇄ central gateway"
VERSION = "1"
REF = "#/components/schemas/{model}"
HIDDEN = "/v1/_test/"  # test instrumentation, not part of the contract

SUMMARIES = {
    "/v1/health": "link check",
    "/v1/persons/lookup": "who is this, what cards and applications do they have",
    "/v1/persons/photo": "the photo on record, for face verification",
    "/v1/kiosks/{kiosk_id}/audit-head": "the audit-chain heads the central anchored for this kiosk, and its finding",
    "/v1/applications": "apply for a card (new or replacement)",
    "/v1/applications/{application_id}/bank-account": "open the card's class-I financial account",
    "/v1/applications/{application_id}/production-result": "the card-production return data (回盘)",
    "/v1/cards/activate": "enable the social security function and link medical insurance",
    "/v1/cards/loss-report": "挂失: freeze at once",
    "/v1/cards/loss-cancel": "解挂",
    "/v1/cards/pin-reset/authorize": "authorise a PIN reset; the central HSM builds the card command",
    "/v1/cards/pin-events": "audit of PIN changes/resets/locks done at the kiosk",
    "/v1/persons/contact": "non-key information change",
    "/v1/applications/status": "progress query",
    "/v1/kiosks/{kiosk_id}/heartbeat": "liveness + state; remote commands back",
    "/v1/kiosks/{kiosk_id}/events": "device alarms, technician actions, command outcomes, batched",
    "/v1/kiosks/{kiosk_id}/stock-ledger": "daily card stock and spoiled-card ledger",
    "/v1/batch": "deliver up to 100 queued requests at once (each item judged on its own)",
    "/v1/ecard/verify": "e-card sign-in: verify a code once, for this kiosk, within its validity; who the person is",
    "/v1/identity/face-verify": "人证核验: the live face against the portrait on record (no portrait returned)",
    "/v1/documents": "a captured document (proof of relationship, proxy's papers) kept for review",
    "/v1/sms/otp": "send a 6-digit code to a mobile number (valid 5 min; 1/min, 5/h, 10/day per number)",
    "/v1/sms/verify": "check a code (5 wrong tries void it); answers a one-use verification_id",
    "/v1/payments": "the fee order of an application (one per application: never charged twice)",
    "/v1/payments/{payment_id}": "the order's state; ?wait=N (≤ 25 s) holds the answer while it is pending",
    "/v1/payments/{payment_id}/cancel": "void the order (cancelled / timed_out); its application is withdrawn",
}


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}


def _json_content(model: type[BaseModel]) -> dict[str, Any]:
    return {"application/json": {"schema": _ref(model)}}


def _header(name: str, required: bool, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "header", "required": required, "schema": schema, "description": description}


def _operation(method: str, path: str, idempotent: bool) -> dict[str, Any]:
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string", "pattern": KIOSK_ID_PATTERN}}
        for name in re.findall(r"\{(\w+)\}", path)
    ]
    if path != "/v1/health":
        params.append(_header("X-Kiosk-Id", True, {"type": "string", "pattern": KIOSK_ID_PATTERN},
                              "must equal the client certificate's kiosk id (the header stands in for the "
                              "certificate only on loopback)"))
    if path == "/v1/payments/{payment_id}" and method == "GET":
        params.append({"name": "wait", "in": "query", "required": False, "description": "long poll: seconds to hold "
                       "the answer while the order is pending", "schema": {"type": "number", "minimum": 0,
                                                                            "maximum": 25}})
    params.append(_header("X-Request-Id", False, {"type": "string", "format": "uuid"}, "for logs"))
    if idempotent:
        params.append(_header("Idempotency-Key", True, {"type": "string", "minLength": 1, "maxLength": 100},
                              "a UUID made when the transaction is created; scoped per kiosk"))
    status, model = RESPONSES[path]
    error = {"description": "the error envelope", "content": _json_content(ErrorBody)}
    op: dict[str, Any] = {
        "operationId": re.sub(r"[^A-Za-z0-9]+", "_", f"{method.lower()}{path}").strip("_"),
        "summary": SUMMARIES.get(path, ""),
        "parameters": params,
        "responses": {
            str(status): {"description": "done", "content": _json_content(model),
                          "headers": {"Idempotent-Replayed": {"schema": {"type": "string", "enum": ["true"]},
                                                              "description": "a stored outcome, replayed"}}},
            "4XX": error,
            "5XX": error,
        },
    }
    if path in REQUESTS:
        op["requestBody"] = {"required": True, "content": _json_content(REQUESTS[path])}
    return op


def document() -> dict[str, Any]:
    requests = sorted(set(REQUESTS.values()), key=lambda m: m.__name__)
    responses = sorted({m for _, m in RESPONSES.values()} | {ErrorBody}, key=lambda m: m.__name__)
    _, schemas = models_json_schema([(m, "validation") for m in requests] + [(m, "serialization") for m in responses],
                                    ref_template=REF)
    paths: dict[str, dict[str, Any]] = {"/v1/health": {"get": _operation("GET", "/v1/health", False)}}
    for r in ROUTES:
        if r.name.startswith(HIDDEN):
            continue
        paths.setdefault(r.name, {})[r.method.lower()] = _operation(r.method, r.name, r.idempotent)
    paths["/v1/batch"] = {"post": _operation("POST", "/v1/batch", False)}  # dispatched by central.py itself
    return {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": VERSION,
                 "description": "Contract v1 (central-api.md) with docs/central-api-additions.md. "
                                "Generated by `python -m central_sim.openapi`; do not edit by hand."},
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": dict(sorted(schemas["$defs"].items()))},
    }


def render() -> str:
    return json.dumps(document(), ensure_ascii=False, indent=2, sort_keys=False) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
