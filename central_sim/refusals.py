"""Refusals the citizen must still hear of after leaving the kiosk.

A loss report, contact change or activation travels through the kiosk's offline queue: with the link
down the citizen leaves with a receipt that says "pending". When the central refuses such a request
on delivery, the refusal is kept here, against the citizen, and the progress query lists it with every
reason, and a refusal that came after the citizen had left is texted to them (central_sim.notices).
(An application refused after acceptance is kept as the application itself:
applications._refused_after_acceptance.)
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any

from central_sim import notices
from central_sim.clock import parse_rfc3339, rfc3339
from central_sim.errors import ApiError
from central_sim.kiosk_clock import clock_ahead
from central_sim.routes import Ctx, Handler
from central_sim.storage import Tx

SERVICES = ("loss_report", "contact_change", "activation")
# The request's own fault: 401/403/429 concern the kiosk, and a 5xx is retried, never final.
KEPT_STATUSES = frozenset({400, 404, 409, 422})
CLOCK_SKEW = dt.timedelta(minutes=5)  # as a loss report's reported_at is allowed

# Whose request it was: an ID number on record, or None (nobody to tell, e.g. an unknown card).
Holder = Callable[[Tx, dict[str, Any]], str | None]


def person_in_body(tx: Tx, body: dict[str, Any]) -> str | None:
    id_no = body.get("id_number")
    if not isinstance(id_no, str) or tx.one("SELECT 1 AS x FROM persons WHERE id_number = ?", (id_no,)) is None:
        return None
    return id_no


def card_holder(tx: Tx, body: dict[str, Any]) -> str | None:
    """A loss report names the citizen, the card, or both: the citizen whose ID card the kiosk read
    first (a card that is not theirs is their refusal), else the card's holder."""
    id_no = person_in_body(tx, body)
    card_no = body.get("card_no")
    if id_no is None and isinstance(card_no, str) and card_no:
        row = tx.one("SELECT id_number FROM cards WHERE card_no = ?", (card_no,))
        return str(row["id_number"]) if row is not None else None
    return id_no


def kept_for_citizen(service: str, holder: Holder, submitted: str | None = None) -> Callable[[Handler], Handler]:
    """Route decorator: a refusal (KEPT_STATUSES) is stored for the holder and answered as before; the
    outcome, either way, is texted to the citizen when it came after they had left (central_sim.notices).

    ``submitted``: the body field holding when the citizen made the request (a loss report's
    ``reported_at``, an activation's or contact change's ``requested_at``); without it the progress
    query shows only when the central refused it, and the citizen is texted whatever the delay.
    """
    if service not in SERVICES:
        raise ValueError(f"{service!r} is not one of {SERVICES}")

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def run(tx: Tx, ctx: Ctx, raw: dict[str, Any]) -> tuple[int, dict[str, Any]]:
            at = submitted_time(raw.get(submitted), ctx.now) if submitted and isinstance(raw, dict) else None
            ahead = clock_ahead(tx, ctx.kiosk_id) if at is not None else dt.timedelta(0)
            reference = request_id(ctx.kiosk_id, ctx.idempotency_key)
            try:
                with tx.savepoint("refusable"):  # the handler's partial writes go; the record stays
                    status, answer = handler(tx, ctx, raw)
            except ApiError as exc:
                id_no = holder(tx, raw) if exc.status in KEPT_STATUSES and isinstance(raw, dict) else None
                if id_no is None:
                    raise
                reasons = exc.reasons or [{"code": exc.code, "message": exc.message}]
                store(tx, ctx.kiosk_id, ctx.idempotency_key, id_no, service,
                      submitted_at=rfc3339(at) if at is not None else None, refused_at=rfc3339(ctx.now),
                      code=exc.code, reasons=reasons)
                notices.tell(tx, id_no, service, reference, submitted_at=at, at=ctx.now, refused=reasons,
                             kiosk_ahead=ahead)
                return exc.status, exc.body()
            id_no = holder(tx, raw)
            if id_no is not None:
                notices.tell(tx, id_no, service, reference, submitted_at=at, at=ctx.now, kiosk_ahead=ahead)
            return status, answer

        return run

    return wrap


def add_reasons(tx: Tx, application_id: str, reasons: list[dict[str, str]]) -> None:
    """Why an application was refused after the citizen got a receipt (offline acceptance, the register
    review, the seed); the progress query tells them."""
    for seq, r in enumerate(reasons, 1):
        tx.execute("INSERT INTO application_reasons (application_id, seq, code, message) VALUES (?,?,?,?)",
                   (application_id, seq, r["code"], r["message"]))


def reasons_of(tx: Tx, application_id: str) -> list[dict[str, Any]]:
    return tx.all("SELECT code, message FROM application_reasons WHERE application_id = ? ORDER BY seq",
                  (application_id,))


def submitted_time(value: Any, now: dt.datetime) -> dt.datetime | None:
    """When the request says the citizen made it; None when it does not say, or says a time that has not
    come yet (a kiosk clock running ahead must not date a refusal, nor hold back its SMS)."""
    at = parse_rfc3339(value) if isinstance(value, str) else None
    return at if at is not None and at <= now + CLOCK_SKEW else None


def store(tx: Tx, kiosk_id: str, request_key: str, id_no: str, service: str, *, submitted_at: str | None,
          refused_at: str, code: str, reasons: list[dict[str, str]]) -> None:
    """Keep one refusal for the citizen (the seed's rows come this way too)."""
    tx.execute(
        "INSERT INTO request_refusals (kiosk_id, request_key, id_number, service, submitted_at, refused_at, code,"
        " reasons) VALUES (?,?,?,?,?,?,?,?)",
        (kiosk_id, request_key, id_no, service, submitted_at, refused_at, code,
         json.dumps([{"code": r["code"], "message": r["message"]} for r in reasons], ensure_ascii=False)),
    )


def refusals_of(tx: Tx, id_no: str) -> list[dict[str, Any]]:
    """The progress query's ``refused_requests``, oldest first. ``request_id`` is opaque: it names the
    request without handing the kiosk's idempotency key to other kiosks."""
    rows = tx.all("SELECT * FROM request_refusals WHERE id_number = ? ORDER BY refused_at, request_key", (id_no,))
    return [
        {"request_id": request_id(r["kiosk_id"], r["request_key"]), "service": r["service"],
         "submitted_at": r["submitted_at"], "refused_at": r["refused_at"], "code": r["code"],
         "reasons": json.loads(r["reasons"])}
        for r in rows
    ]


def request_id(kiosk_id: str, request_key: str) -> str:
    return "REQ-" + hashlib.sha256(f"{kiosk_id}\n{request_key}".encode()).hexdigest()[:12].upper()
