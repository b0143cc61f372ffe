"""The Transport over HTTPS (httpx): mutual TLS, per-call timeouts, the contract's headers.

Plain http:// is refused unless the host is a loopback address (central-api.md).
"""

from __future__ import annotations

import ipaddress
import json
import ssl
import uuid
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

import httpx

from offline_queue.errors import TransportError
from offline_queue.transport import BatchItem, BatchItemResult, BatchRefused, TransportResponse

BATCH_PATH = "/v1/batch"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def make_ssl_context(ca_file: str, cert_file: str = "", key_file: str = "") -> ssl.SSLContext:
    """Trust only the configured CA bundle (no system store); present the kiosk's client certificate."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_verify_locations(cafile=ca_file)
    if cert_file:
        ctx.load_cert_chain(cert_file, key_file or None)
    return ctx


class HttpTransport:
    def __init__(
        self,
        base_url: str,
        *,
        ssl_context: ssl.SSLContext | None = None,
        ca_file: str = "",
        cert_file: str = "",
        key_file: str = "",
        connect_timeout_s: float = 3.0,
        read_timeout_s: float = 10.0,
        default_headers: Mapping[str, str] | None = None,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https"):
            raise ValueError(f"central URL must be http(s): {base_url}")
        if parts.scheme == "http" and not is_loopback(parts.hostname or ""):
            raise ValueError(f"plain http is allowed only to a loopback address, not {parts.hostname}")
        verify: ssl.SSLContext | bool = False  # plain http to loopback only (checked above)
        if ssl_context is not None:
            verify = ssl_context
        elif ca_file:
            verify = make_ssl_context(ca_file, cert_file, key_file)
        elif parts.scheme == "https":
            raise ValueError("https needs the central's CA bundle (ca_file or ssl_context): "
                             "the system trust store is never used")
        self._timeout = httpx.Timeout(read_timeout_s, connect=connect_timeout_s)
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            verify=verify,
            timeout=self._timeout,
            headers=dict(default_headers or {}),
            follow_redirects=False,
        )

    def close(self) -> None:
        self._client.close()

    def _post(
        self, method: str, path: str, content: bytes, headers: dict[str, str], timeout: httpx.Timeout
    ) -> httpx.Response:
        headers["X-Request-Id"] = str(uuid.uuid4())
        headers.setdefault("Content-Type", "application/json; charset=utf-8")
        try:
            return self._client.request(method, path, content=content, headers=headers, timeout=timeout)
        except httpx.TimeoutException as exc:
            raise TransportError("timeout", type(exc).__name__) from None
        except httpx.TransportError as exc:  # connect errors, resets, protocol errors
            raise TransportError("connection", type(exc).__name__) from None

    def send(self, method: str, path: str, body: bytes, idempotency_key: str) -> TransportResponse:
        r = self._post(method, path, body, {"Idempotency-Key": idempotency_key}, self._timeout)
        return TransportResponse(r.status_code, {k.lower(): v for k, v in r.headers.items()}, r.content)

    def send_batch(self, items: Sequence[BatchItem]) -> list[BatchItemResult]:
        envelope = {
            "items": [
                {
                    "idempotency_key": i.idempotency_key,
                    "method": i.method,
                    "path": i.path,
                    "body": json.loads(i.body) if i.body else None,
                }
                for i in items
            ]
        }
        content = json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        # A batch does more work server-side: allow proportionally more read time.
        timeout = httpx.Timeout((self._timeout.read or 10.0) * 2, connect=self._timeout.connect)
        r = self._post("POST", BATCH_PATH, content, {"Idempotency-Key": str(uuid.uuid4())}, timeout)
        headers = {k.lower(): v for k, v in r.headers.items()}
        if not 200 <= r.status_code < 300:
            raise BatchRefused(TransportResponse(r.status_code, headers, r.content))
        try:
            results = json.loads(r.content)["results"]
            out = []
            for res in results:
                body = res.get("body")
                out.append(
                    BatchItemResult(
                        str(res["idempotency_key"]),
                        int(res["status"]),
                        json.dumps(body, ensure_ascii=False).encode("utf-8") if body is not None else b"",
                        bool(res.get("replayed", False)),
                    )
                )
        except (ValueError, KeyError, TypeError):
            # Unreadable envelope: the outcome of every item is unknown — retry them (keys make it safe).
            raise TransportError("protocol", "unreadable /v1/batch response") from None
        return out
