"""CentralClient: every request of the table (kiosk.central.requests) over httpx, with mutual TLS and
typed errors.

Direct calls raise CentralRejected / CentralAuthError / CentralUnavailable / CentralProtocolError
(never an httpx or pydantic exception). ``enqueue`` hands a request to the offline queue instead,
serialised by the same ``requests.encode``; how each request travels is its table row's route.
"""

from __future__ import annotations

import base64
import binascii
import json
import ssl
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ValidationError

from kiosk.central import bodies as b
from kiosk.central import models as m
from kiosk.central import requests as rq
from kiosk.central.errors import (
    CentralAuthError,
    CentralConfigError,
    CentralProtocolError,
    CentralRejected,
    CentralUnavailable,
    Reason,
)
from offline_queue.classify import Verdict, classify, parse_retry_after
from offline_queue.http_transport import is_loopback, make_ssl_context

B = TypeVar("B", bound=BaseModel)
T = TypeVar("T", bound=BaseModel)
# TLS alerts/verification failures that mean "certificate problem", not a flaky network.
_CERT_PROBLEMS = ("CERTIFICATE", "UNKNOWN_CA", "BAD_CERT", "CERT_", "HANDSHAKE_FAILURE")


class LinkReporter(Protocol):
    def report_success(self) -> None: ...
    def report_failure(self) -> None: ...


class Stored(Protocol):
    @property
    def idempotency_key(self) -> str: ...


class OutboxLike(Protocol):
    """offline_queue.Outbox.enqueue."""

    def enqueue(self, method: str, path: str, body: bytes, *, service: str, priority: int = 5,
                ordering_key: str | None = None, summary: str = "", idempotency_key: str | None = None
                ) -> Stored: ...


@dataclass(frozen=True)
class Timeouts:
    """Connect timeout, default read timeout, and read-timeout overrides by request name (the table's
    own timeouts apply otherwise)."""

    connect_s: float = 3.0
    read_s: float = 10.0
    per_call: Mapping[str, float] = field(default_factory=dict)

    def for_request(self, req: rq.Request[B, T] | None) -> httpx.Timeout:
        default = self.read_s if req is None or req.timeout_s is None else req.timeout_s
        return httpx.Timeout(self.per_call.get(req.name, default) if req else default, connect=self.connect_s)


FaceMatch = b.FaceMatchBody  # the face comparison's outcome, sent as the pin-reset body's face_match


_PAYMENT_KEYS = uuid.UUID("6c1f3f0e-6b8e-4f7a-9a51-3f0d2c9b7e21")  # uuid5 namespace of fee-order keys


def _new_key() -> str:
    return str(uuid.uuid4())


def _tls_failure(exc: BaseException) -> ssl.SSLError | None:
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, ssl.SSLError):
            return cur
        for arg in getattr(cur, "args", ()):
            if isinstance(arg, ssl.SSLError):
                return arg
        cur = cur.__cause__ or cur.__context__
    return None


def _classify_transport_error(exc: httpx.TransportError) -> CentralAuthError | CentralUnavailable:
    tls = _tls_failure(exc)
    if tls is not None:
        text = f"{getattr(tls, 'reason', '') or ''} {tls}".upper()
        if isinstance(tls, ssl.SSLCertVerificationError):
            return CentralAuthError("server_certificate_refused", str(getattr(tls, "verify_message", "")) or "verify")
        if any(p in text for p in _CERT_PROBLEMS):
            return CentralAuthError("client_certificate_refused", str(getattr(tls, "reason", "") or "tls alert"))
    if isinstance(exc, httpx.TimeoutException):
        return CentralUnavailable("timeout", type(exc).__name__)
    return CentralUnavailable("connection", type(exc).__name__)


MAX_RESPONSE_BYTES = 4 * 1024 * 1024  # the largest answer is a photo on record (tens of KB)


def _read_bounded(resp: httpx.Response) -> bytes:
    """Read a response body, refusing one larger than MAX_RESPONSE_BYTES (a hostile or broken peer)."""
    declared = resp.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_RESPONSE_BYTES:
        raise CentralProtocolError("response_too_large", f"{declared} bytes", resp.status_code)
    chunks: list[bytes] = []
    size = 0
    for chunk in resp.iter_bytes():
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise CentralProtocolError("response_too_large", f"over {MAX_RESPONSE_BYTES} bytes", resp.status_code)
        chunks.append(chunk)
    return b"".join(chunks)


class CentralClient:
    def __init__(
        self,
        base_url: str,
        kiosk_id: str,
        *,
        ca_file: str = "",
        cert_file: str = "",
        key_file: str = "",
        timeouts: Timeouts | None = None,
        link: LinkReporter | None = None,
        outbox: OutboxLike | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https"):
            raise CentralConfigError(f"central URL must be https:// (got {parts.scheme or 'no scheme'})")
        if parts.scheme == "http" and not is_loopback(parts.hostname or ""):
            raise CentralConfigError("plain http is allowed only to a loopback address")
        verify: ssl.SSLContext | bool = False
        if parts.scheme == "https":
            if not ca_file:
                raise CentralConfigError("https needs central.ca_file (the system trust store is not used)")
            verify = make_ssl_context(ca_file, cert_file, key_file)
        self.base_url = base_url.rstrip("/")
        self.kiosk_id = kiosk_id
        self.timeouts = timeouts or Timeouts()
        self.link = link
        self.outbox = outbox
        self._http = httpx.Client(base_url=self.base_url, verify=verify, transport=transport,
                                  timeout=self.timeouts.for_request(None), follow_redirects=False)

    @classmethod
    def from_config(cls, cfg: Any, *, link: LinkReporter | None = None, outbox: OutboxLike | None = None,
                    transport: httpx.BaseTransport | None = None) -> CentralClient:
        c = cfg.central
        return cls(c.url, cfg.kiosk.id, ca_file=c.ca_file, cert_file=c.cert_file, key_file=c.key_file,
                   timeouts=Timeouts(connect_s=c.connect_timeout_s, read_s=c.read_timeout_s),
                   link=link, outbox=outbox, transport=transport)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> CentralClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- the wire ------------------------------------------------------------------------------
    def _send(self, req: rq.Request[B, T], wire: rq.Wire, idempotency_key: str | None) -> httpx.Response:
        headers = {"X-Kiosk-Id": self.kiosk_id, "X-Request-Id": str(uuid.uuid4())}
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        if wire.content is not None:
            headers["Content-Type"] = "application/json; charset=utf-8"
        try:
            request = self._http.build_request(wire.method, wire.path, content=wire.content, headers=headers,
                                               timeout=self.timeouts.for_request(req))
            streamed = self._http.send(request, stream=True)
            try:
                body_bytes = _read_bounded(streamed)
            finally:
                streamed.close()
            resp = httpx.Response(streamed.status_code, headers=streamed.headers, content=body_bytes,
                                  request=request)
        except httpx.TransportError as exc:
            error = _classify_transport_error(exc)
            if self.link is not None and isinstance(error, CentralUnavailable):
                self.link.report_failure()
            raise error from None
        return resp

    def call(self, req: rq.Request[B, T], body: B | None, *, idempotency_key: str | None = None,
             **path: str) -> T:
        """One request of the table, now. State-changing requests carry ``idempotency_key`` (a new one
        if none is given: pass the key of an attempt whose outcome is unknown)."""
        wire = rq.encode(req, body, **self._path_params(path))
        key = (idempotency_key or _new_key()) if req.idempotent else None
        resp = self._send(req, wire, key)
        verdict = classify(resp.status_code)
        if self.link is not None:
            if verdict is Verdict.RETRY:
                self.link.report_failure()
            else:
                self.link.report_success()
        if verdict is Verdict.ACK:
            try:
                return req.response.model_validate(json.loads(resp.content))
            except (ValueError, ValidationError, RecursionError) as exc:
                raise CentralProtocolError("invalid_response", f"{req.name}: {type(exc).__name__}",
                                           resp.status_code) from None
        code, message, reasons = self._error_body(resp)
        if verdict is Verdict.AUTH:
            raise CentralAuthError(code, message, resp.status_code)
        if verdict is Verdict.RETRY:
            retry = parse_retry_after(resp.headers.get("retry-after"), 0.0)
            raise CentralUnavailable(code, message, resp.status_code, retry)
        raise CentralRejected(resp.status_code, code, message, reasons)

    def _path_params(self, given: Mapping[str, str]) -> dict[str, str]:
        return {"kiosk_id": self.kiosk_id, **given}

    @staticmethod
    def _error_body(resp: httpx.Response) -> tuple[str, str, tuple[Reason, ...]]:
        try:
            err = m.ErrorBody.model_validate(json.loads(resp.content)).error
        except (ValueError, ValidationError, RecursionError):
            return f"http_{resp.status_code}", "", ()
        return err.code, err.message, tuple(Reason(r.code, r.message) for r in err.reasons)

    # ---- endpoints (the table's rows with keyword arguments) -----------------------------------
    def health(self) -> m.Health:
        return self.call(rq.HEALTH, None)

    def lookup_person(self, id_number: str, name: str) -> m.PersonLookup:
        return self.call(rq.LOOKUP_PERSON, b.PersonLookupBody(id_number=id_number, name=name))

    def lookup_child(self, child_id_number: str, guardian_id_number: str) -> m.PersonLookup:
        """A child with no ID card (issue 21 §3): once the guardian's 户口簿 page is at the central."""
        return self.call(rq.LOOKUP_PERSON, b.PersonLookupBody(id_number=child_id_number,
                                                              guardian_id_number=guardian_id_number))

    def person_photo(self, id_number: str) -> bytes:
        """The JPEG on record; CentralRejected(404, photo_not_found) when there is none."""
        photo = self.call(rq.PERSON_PHOTO, b.IdNumberBody(id_number=id_number))
        try:
            return base64.b64decode(photo.photo_jpeg_b64, validate=True)
        except (binascii.Error, ValueError):
            raise CentralProtocolError("invalid_response", "person_photo: not base64") from None

    def apply(self, application: b.ApplicationBody | Mapping[str, Any],
              idempotency_key: str | None = None) -> m.ApplicationCreated:
        return self.call(rq.APPLY, _as(b.ApplicationBody, application), idempotency_key=idempotency_key)

    def open_bank_account(self, application_id: str, id_number: str, card_no: str,
                          idempotency_key: str | None = None) -> m.BankAccount:
        return self.call(rq.OPEN_BANK_ACCOUNT, b.CardHolderBody(card_no=card_no, id_number=id_number),
                         idempotency_key=idempotency_key, application_id=application_id)

    def report_production_result(self, application_id: str, result: b.ProductionResultBody | Mapping[str, Any],
                                 idempotency_key: str | None = None) -> m.ProductionAck:
        return self.call(rq.PRODUCTION_RESULT, _as(b.ProductionResultBody, result), idempotency_key=idempotency_key,
                         application_id=application_id)

    def activate_card(self, card_no: str, id_number: str, idempotency_key: str | None = None,
                      requested_at: str | None = None) -> m.Activation:
        return self.call(rq.ACTIVATE_CARD, b.ActivationBody(card_no=card_no, id_number=id_number,
                                                            requested_at=requested_at),
                         idempotency_key=idempotency_key)

    def report_loss(self, *, reported_at: str, card_no: str | None = None, id_number: str | None = None,
                    idempotency_key: str | None = None) -> m.LossReport:
        return self.call(rq.REPORT_LOSS, loss_report_body(reported_at, card_no, id_number),
                         idempotency_key=idempotency_key)

    def cancel_loss(self, card_no: str, id_number: str, idempotency_key: str | None = None) -> m.StatusResult:
        return self.call(rq.CANCEL_LOSS, b.CardHolderBody(card_no=card_no, id_number=id_number),
                         idempotency_key=idempotency_key)

    def authorize_pin_reset(self, card_no: str, id_number: str, card_challenge: bytes, face_match: FaceMatch, *,
                            new_pin: str | None = None, pin_block: bytes | None = None,
                            idempotency_key: str | None = None) -> m.PinResetAuthorization:
        """``new_pin`` only in simulator mode; production sends the PIN pad's encrypted ``pin_block``."""
        body = b.PinResetBody(card_no=card_no, id_number=id_number, card_challenge=card_challenge.hex(),
                              face_match=face_match, pin_block=pin_block.hex() if pin_block is not None else None,
                              new_pin=new_pin)
        return self.call(rq.AUTHORIZE_PIN_RESET, body, idempotency_key=idempotency_key)

    def verify_face(self, id_number: str, live_jpeg: bytes, consent_version: str, *,
                    liveness_passed: bool = True) -> m.FaceVerification:
        """The central compares the live JPEG with the portrait on record (issue 17); no portrait comes back."""
        body = b.FaceVerifyBody(id_number=id_number, live_jpeg_b64=base64.b64encode(live_jpeg).decode("ascii"),
                                liveness_passed=liveness_passed, consent_version=consent_version)
        return self.call(rq.VERIFY_FACE, body)

    def record_pin_event(self, card_no: str, event: str, at: str, idempotency_key: str | None = None) -> m.Recorded:
        return self.call(rq.PIN_EVENT, b.PinEventBody(card_no=card_no, event=event, at=at),
                         idempotency_key=idempotency_key)

    def change_contact(self, id_number: str, *, mobile: str | None = None, phone: str | None = None,
                       residence_address: str | None = None, postal_code: str | None = None,
                       mobile_verification_id: str | None = None, mobile_unverified: bool | None = None,
                       idempotency_key: str | None = None) -> m.ContactChanged:
        body = b.ContactBody(id_number=id_number, mobile=mobile, phone=phone, residence_address=residence_address,
                             postal_code=postal_code, mobile_verification_id=mobile_verification_id,
                             mobile_unverified=mobile_unverified)
        return self.call(rq.CHANGE_CONTACT, body, idempotency_key=idempotency_key)

    def application_status(self, id_number: str) -> m.ApplicationStatusList:
        return self.call(rq.APPLICATION_STATUS, b.IdNumberBody(id_number=id_number))

    def heartbeat(self, body: Mapping[str, Any]) -> m.HeartbeatReply:
        """Never queued, no Idempotency-Key (the seq orders them)."""
        return self.call(rq.HEARTBEAT, b.HeartbeatBody.model_validate(dict(body)))

    def send_events(self, events: Sequence[Mapping[str, Any]], idempotency_key: str | None = None) -> m.EventsAccepted:
        return self.call(rq.EVENTS, b.EventsBody(events=[dict(e) for e in events]), idempotency_key=idempotency_key)

    def send_stock_ledger(self, date: str, entries: Sequence[Mapping[str, Any]],
                          idempotency_key: str | None = None) -> m.Recorded:
        return self.call(rq.STOCK_LEDGER, b.StockLedgerBody(date=date, entries=[dict(e) for e in entries]),
                         idempotency_key=idempotency_key)

    def batch(self, items: Sequence[Mapping[str, Any]]) -> m.BatchReply:
        """Items ``{idempotency_key, method, path, body}`` (≤ 100); each judged on its own."""
        return self.call(rq.BATCH, b.BatchBody(items=[dict(i) for i in items]))

    # ---- SMS verification and fee payment (issue 21 §§2, 4) ------------------------------------------
    def send_sms_code(self, mobile: str, purpose: str, idempotency_key: str | None = None) -> m.SmsCodeSent:
        return self.call(rq.SEND_SMS_CODE, b.SmsCodeBody.model_validate({"mobile": mobile, "purpose": purpose}),
                         idempotency_key=idempotency_key)

    def verify_sms_code(self, otp_id: str, mobile: str, code: str,
                        idempotency_key: str | None = None) -> m.SmsVerified:
        return self.call(rq.VERIFY_SMS_CODE, b.SmsVerifyBody(otp_id=otp_id, mobile=mobile, code=code),
                         idempotency_key=idempotency_key)

    def create_payment(self, application_id: str, amount_fen: int) -> m.PaymentOrder:
        """The application's fee order. The key is derived from the application and amount, so a retry
        after an unknown outcome replays the first answer (and the central keeps one order per application)."""
        return self.call(rq.CREATE_PAYMENT, b.PaymentBody(application_id=application_id, amount_fen=amount_fen),
                         idempotency_key=str(uuid.uuid5(_PAYMENT_KEYS, f"{application_id}:{amount_fen}")))

    def payment_status(self, payment_id: str, wait_s: float = 0.0) -> m.PaymentOrder:
        wait = min(max(wait_s, 0.0), rq.PAYMENT_POLL_MAX_S)
        return self.call(rq.PAYMENT_STATUS, None, payment_id=payment_id, wait_s=f"{wait:g}")

    def cancel_payment(self, payment_id: str, reason: str) -> m.PaymentOrder:
        return self.call(rq.CANCEL_PAYMENT, b.PaymentCancelBody.model_validate({"reason": reason}),
                         idempotency_key=str(uuid.uuid5(_PAYMENT_KEYS, f"cancel:{payment_id}")),
                         payment_id=payment_id)

    # ---- the queued path -----------------------------------------------------------------------
    def enqueue(self, req: rq.Request[B, T], body: B, *, service: str, priority: int | None = None,
                ordering_key: str | None = None, summary: str = "", idempotency_key: str | None = None,
                **path: str) -> str:
        """Store the request in the offline queue (durable before this returns); returns its Idempotency-Key.

        Pass the key of a direct attempt whose outcome is unknown, so the central applies it once.
        ``summary`` must already be masked. ``priority``: the row's unless given.
        """
        if self.outbox is None:
            raise CentralConfigError("no offline queue configured for this client")
        wire = rq.encode(req, body, **self._path_params(path))
        item = self.outbox.enqueue(wire.method, wire.path, wire.content or b"", service=service,
                                   priority=priority if priority is not None else (req.priority or 0),
                                   ordering_key=ordering_key, summary=summary, idempotency_key=idempotency_key)
        return str(item.idempotency_key)


def _as(model: type[B], value: B | Mapping[str, Any]) -> B:
    """A body given as a mapping (tools, tests) is read into its model; a malformed one is a caller bug."""
    return value if isinstance(value, model) else model.model_validate(dict(value))


def loss_report_body(reported_at: str, card_no: str | None, id_number: str | None) -> b.LossReportBody:
    """The card if known, else (offline: the card list is unknown) the holder's ID number."""
    if not card_no and not id_number:
        raise ValueError("a loss report needs card_no or id_number")
    if card_no:
        return b.LossReportBody(reported_at=reported_at, card_no=card_no)
    return b.LossReportBody(reported_at=reported_at, id_number=id_number)
