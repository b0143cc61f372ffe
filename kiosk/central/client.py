"""CentralClient: every endpoint of central-api.md over httpx, with mutual TLS and typed errors.

Direct calls raise CentralRejected / CentralAuthError / CentralUnavailable / CentralProtocolError
(never an httpx or pydantic exception). ``enqueue`` hands a state-changing request to the offline
queue instead; whether a service goes direct or queued is the service catalogue's decision
(kiosk.domain.services), not the client's.
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

from kiosk.central import models as m
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

T = TypeVar("T", bound=BaseModel)

DEFAULT_PER_CALL: dict[str, float] = {
    "health": 3.0,
    "heartbeat": 5.0,
    "lookup_person": 8.0,
    "person_photo": 10.0,
    "apply": 20.0,
    "open_bank_account": 20.0,
    "authorize_pin_reset": 10.0,
    "send_events": 10.0,
    "batch": 30.0,
}
# TLS alerts/verification failures that mean "certificate problem", not a flaky network.
_CERT_PROBLEMS = ("CERTIFICATE", "UNKNOWN_CA", "BAD_CERT", "CERT_", "HANDSHAKE_FAILURE")


class LinkReporter(Protocol):
    def report_success(self) -> None: ...
    def report_failure(self) -> None: ...


class OutboxLike(Protocol):
    """offline_queue.Outbox.enqueue (returns an object with ``idempotency_key``)."""

    def enqueue(self, method: str, path: str, body: bytes, *, service: str, priority: int = 5,
                ordering_key: str | None = None, summary: str = "", idempotency_key: str | None = None) -> Any: ...


@dataclass(frozen=True)
class Timeouts:
    """Connect timeout, default read timeout, and per-call read timeouts (by method name)."""

    connect_s: float = 3.0
    read_s: float = 10.0
    per_call: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_PER_CALL))

    def for_call(self, name: str) -> httpx.Timeout:
        return httpx.Timeout(self.per_call.get(name, self.read_s), connect=self.connect_s)


@dataclass(frozen=True)
class FaceMatch:
    score: float
    threshold: float
    liveness_passed: bool
    method: str

    def to_json(self) -> dict[str, Any]:
        return {"score": self.score, "threshold": self.threshold, "liveness_passed": self.liveness_passed,
                "method": self.method}


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
                                  timeout=self.timeouts.for_call(""), follow_redirects=False)

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
    def _send(self, call: str, method: str, path: str, body: Any, idempotency_key: str | None) -> httpx.Response:
        headers = {"X-Kiosk-Id": self.kiosk_id, "X-Request-Id": str(uuid.uuid4())}
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        content = None
        if body is not None:
            content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            headers["Content-Type"] = "application/json; charset=utf-8"
        try:
            request = self._http.build_request(method, path, content=content, headers=headers,
                                               timeout=self.timeouts.for_call(call))
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

    def _call(self, call: str, method: str, path: str, body: Any, model: type[T],
              idempotency_key: str | None = None) -> T:
        resp = self._send(call, method, path, body, idempotency_key)
        verdict = classify(resp.status_code)
        if self.link is not None:
            if verdict is Verdict.RETRY:
                self.link.report_failure()
            else:
                self.link.report_success()
        if verdict is Verdict.ACK:
            try:
                return model.model_validate(json.loads(resp.content))
            except (ValueError, ValidationError, RecursionError) as exc:
                raise CentralProtocolError("invalid_response", f"{call}: {type(exc).__name__}", resp.status_code) \
                    from None
        code, message, reasons = self._error_body(resp)
        if verdict is Verdict.AUTH:
            raise CentralAuthError(code, message, resp.status_code)
        if verdict is Verdict.RETRY:
            retry = parse_retry_after(resp.headers.get("retry-after"), 0.0)
            raise CentralUnavailable(code, message, resp.status_code, retry)
        raise CentralRejected(resp.status_code, code, message, reasons)

    @staticmethod
    def _error_body(resp: httpx.Response) -> tuple[str, str, tuple[Reason, ...]]:
        try:
            err = m.ErrorBody.model_validate(json.loads(resp.content)).error
        except (ValueError, ValidationError, RecursionError):
            return f"http_{resp.status_code}", "", ()
        return err.code, err.message, tuple(Reason(r.code, r.message) for r in err.reasons)

    # ---- endpoints -----------------------------------------------------------------------------
    def health(self) -> m.Health:
        return self._call("health", "GET", "/v1/health", None, m.Health)

    def lookup_person(self, id_number: str, name: str) -> m.PersonLookup:
        return self._call("lookup_person", "POST", "/v1/persons/lookup", {"id_number": id_number, "name": name},
                          m.PersonLookup)

    def person_photo(self, id_number: str) -> bytes:
        """The JPEG on record; CentralRejected(404, photo_not_found) when there is none."""
        photo = self._call("person_photo", "POST", "/v1/persons/photo", {"id_number": id_number}, m.Photo)
        try:
            return base64.b64decode(photo.photo_jpeg_b64, validate=True)
        except (binascii.Error, ValueError):
            raise CentralProtocolError("invalid_response", "person_photo: not base64") from None

    def apply(self, application: Mapping[str, Any], idempotency_key: str | None = None) -> m.ApplicationCreated:
        return self._call("apply", "POST", "/v1/applications", dict(application), m.ApplicationCreated,
                          idempotency_key or _new_key())

    def open_bank_account(self, application_id: str, id_number: str, card_no: str,
                          idempotency_key: str | None = None) -> m.BankAccount:
        return self._call("open_bank_account", "POST", f"/v1/applications/{application_id}/bank-account",
                          {"id_number": id_number, "card_no": card_no}, m.BankAccount, idempotency_key or _new_key())

    def report_production_result(self, application_id: str, result: Mapping[str, Any],
                                 idempotency_key: str | None = None) -> m.ProductionAck:
        return self._call("report_production_result", "POST",
                          f"/v1/applications/{application_id}/production-result", dict(result), m.ProductionAck,
                          idempotency_key or _new_key())

    def activate_card(self, card_no: str, id_number: str, idempotency_key: str | None = None) -> m.Activation:
        return self._call("activate_card", "POST", "/v1/cards/activate", {"card_no": card_no, "id_number": id_number},
                          m.Activation, idempotency_key or _new_key())

    def report_loss(self, *, reported_at: str, card_no: str | None = None, id_number: str | None = None,
                    idempotency_key: str | None = None) -> m.LossReport:
        if not card_no and not id_number:
            raise ValueError("a loss report needs card_no or id_number")
        body: dict[str, Any] = {"reported_at": reported_at}
        if card_no:
            body["card_no"] = card_no
        else:
            body["id_number"] = id_number
        return self._call("report_loss", "POST", "/v1/cards/loss-report", body, m.LossReport,
                          idempotency_key or _new_key())

    def cancel_loss(self, card_no: str, id_number: str, idempotency_key: str | None = None) -> m.StatusResult:
        return self._call("cancel_loss", "POST", "/v1/cards/loss-cancel", {"card_no": card_no, "id_number": id_number},
                          m.StatusResult, idempotency_key or _new_key())

    def authorize_pin_reset(self, card_no: str, id_number: str, card_challenge: bytes, face_match: FaceMatch, *,
                            new_pin: str | None = None, pin_block: bytes | None = None,
                            idempotency_key: str | None = None) -> m.PinResetAuthorization:
        """``new_pin`` only in simulator mode; production sends the PIN pad's encrypted ``pin_block``."""
        body: dict[str, Any] = {"card_no": card_no, "id_number": id_number, "card_challenge": card_challenge.hex(),
                                "face_match": face_match.to_json()}
        if pin_block is not None:
            body["pin_block"] = pin_block.hex()
        if new_pin is not None:
            body["new_pin"] = new_pin
        return self._call("authorize_pin_reset", "POST", "/v1/cards/pin-reset/authorize", body,
                          m.PinResetAuthorization, idempotency_key or _new_key())

    def record_pin_event(self, card_no: str, event: str, at: str, idempotency_key: str | None = None) -> m.Recorded:
        return self._call("record_pin_event", "POST", "/v1/cards/pin-events",
                          {"card_no": card_no, "event": event, "at": at}, m.Recorded, idempotency_key or _new_key())

    def change_contact(self, id_number: str, *, mobile: str | None = None, phone: str | None = None,
                       residence_address: str | None = None, postal_code: str | None = None,
                       idempotency_key: str | None = None) -> m.ContactChanged:
        body: dict[str, Any] = {"id_number": id_number}
        for name, value in (("mobile", mobile), ("phone", phone), ("residence_address", residence_address),
                            ("postal_code", postal_code)):
            if value is not None:
                body[name] = value
        return self._call("change_contact", "POST", "/v1/persons/contact", body, m.ContactChanged,
                          idempotency_key or _new_key())

    def application_status(self, id_number: str) -> m.ApplicationStatusList:
        return self._call("application_status", "POST", "/v1/applications/status", {"id_number": id_number},
                          m.ApplicationStatusList)

    def heartbeat(self, body: Mapping[str, Any]) -> m.HeartbeatReply:
        """Never queued, no Idempotency-Key (the seq orders them)."""
        return self._call("heartbeat", "POST", f"/v1/kiosks/{self.kiosk_id}/heartbeat", dict(body), m.HeartbeatReply)

    def send_events(self, events: Sequence[Mapping[str, Any]], idempotency_key: str | None = None) -> m.EventsAccepted:
        return self._call("send_events", "POST", f"/v1/kiosks/{self.kiosk_id}/events",
                          {"events": [dict(e) for e in events]}, m.EventsAccepted, idempotency_key or _new_key())

    def send_stock_ledger(self, date: str, entries: Sequence[Mapping[str, Any]],
                          idempotency_key: str | None = None) -> m.Recorded:
        return self._call("send_stock_ledger", "POST", f"/v1/kiosks/{self.kiosk_id}/stock-ledger",
                          {"date": date, "entries": [dict(e) for e in entries]}, m.Recorded,
                          idempotency_key or _new_key())

    def batch(self, items: Sequence[Mapping[str, Any]]) -> m.BatchReply:
        """Items ``{idempotency_key, method, path, body}`` (≤ 100); each judged on its own."""
        return self._call("batch", "POST", "/v1/batch", {"items": [dict(i) for i in items]}, m.BatchReply,
                          _new_key())

    # ---- the queued path -----------------------------------------------------------------------
    def enqueue(self, method: str, path: str, body: Mapping[str, Any], *, service: str, priority: int = 5,
                ordering_key: str | None = None, summary: str = "", idempotency_key: str | None = None) -> str:
        """Store the request in the offline queue (durable before this returns); returns its Idempotency-Key.

        Pass the key of a direct attempt whose outcome is unknown, so the central applies it once.
        ``summary`` must already be masked.
        """
        if self.outbox is None:
            raise CentralConfigError("no offline queue configured for this client")
        raw = json.dumps(dict(body), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        item = self.outbox.enqueue(method, path, raw, service=service, priority=priority, ordering_key=ordering_key,
                                   summary=summary, idempotency_key=idempotency_key)
        return str(item.idempotency_key)
