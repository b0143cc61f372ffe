"""Make asyncio's TLS server send OpenSSL's alert when a handshake fails.

asyncio (3.11) closes the connection on a failed handshake without flushing the alert OpenSSL
queued (e.g. "certificate required", "certificate expired", "unknown CA"), so a kiosk whose
certificate was refused sees a bare EOF, indistinguishable from a network fault. Real gateways
(nginx, HAProxy) send the alert; this flushes it first. Only the failure path changes.
"""

from __future__ import annotations

import contextlib
from asyncio import sslproto
from typing import Any

_MARK = "_central_sim_flushes_alert"


def install() -> None:
    original = sslproto.SSLProtocol._on_handshake_complete
    if getattr(original, _MARK, False):
        return

    def on_handshake_complete(self: Any, handshake_exc: BaseException | None) -> None:
        if handshake_exc is not None:
            with contextlib.suppress(Exception):
                self._process_outgoing()
        original(self, handshake_exc)

    setattr(on_handshake_complete, _MARK, True)
    sslproto.SSLProtocol._on_handshake_complete = on_handshake_complete  # type: ignore[method-assign]
