"""Who is calling: the kiosk id comes from the verified client certificate, never from what the kiosk says.

Rule (docs/central-api-additions.md "Identity"):
- over mutual TLS the kiosk id is the certificate's subject CN; a certificate without a CN may carry
  exactly one SAN DNS name instead. A certificate naming no valid kiosk id (or several) is refused;
- ``X-Kiosk-Id`` may be sent but must equal that id;
- without a verified certificate (plain HTTP, or TLS without client certificates) the header stands
  in for the certificate only when the caller is on the loopback interface (development and tests);
  anyone else is refused;
- paths naming a kiosk (``/v1/kiosks/{kiosk_id}/…``) and every /v1/batch item act only for that id
  (checked by the handlers against Ctx.kiosk_id).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from central_sim.api_models import KIOSK_ID_PATTERN
from central_sim.errors import ApiError

CLIENT_CERT = "central_sim.client_cert"  # scope key: the verified peer certificate (ssl.getpeercert() dict)
_KIOSK_ID = re.compile(KIOSK_ID_PATTERN)


class TlsIdentity:
    """Puts the verified client certificate into the scope (uvicorn does not expose it)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("scheme") == "https":
            transport = getattr(getattr(send, "__self__", None), "transport", None)
            ssl_object = transport.get_extra_info("ssl_object") if transport is not None else None
            cert = ssl_object.getpeercert() if ssl_object is not None else None
            if cert:
                scope[CLIENT_CERT] = cert
        await self.app(scope, receive, send)


def kiosk_id_of(cert: dict[str, Any]) -> str:
    """The kiosk id a verified certificate names, or ApiError 403."""
    cns = [value for rdn in cert.get("subject", ()) for name, value in rdn if name == "commonName"]
    dns = [value for kind, value in cert.get("subjectAltName", ()) if kind == "DNS"]
    names = cns or dns
    if len(names) != 1 or not _KIOSK_ID.match(names[0]):
        raise ApiError(403, "certificate_without_kiosk_id", "客户端证书未载明唯一的终端编号")
    return str(names[0])


def is_loopback(request: Request) -> bool:
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def caller(request: Request, *, required: bool) -> str:
    """The calling kiosk's id ('' when none is needed and none was given), or ApiError 400/403."""
    header = request.headers.get("x-kiosk-id", "")
    cert = request.scope.get(CLIENT_CERT)
    if cert is not None:
        kiosk_id = kiosk_id_of(cert)
        if header and header != kiosk_id:
            raise ApiError(403, "kiosk_id_mismatch", "X-Kiosk-Id 与客户端证书不一致")
        return kiosk_id
    if not is_loopback(request):
        if required or header:
            raise ApiError(403, "client_certificate_required", "须使用终端客户端证书（双向 TLS）")
        return ""
    if not header:
        if required:
            raise ApiError(400, "missing_kiosk_id", "缺少 X-Kiosk-Id 请求头")
        return ""
    if not _KIOSK_ID.match(header):
        raise ApiError(400, "invalid_kiosk_id", "X-Kiosk-Id 格式不正确")
    return header
