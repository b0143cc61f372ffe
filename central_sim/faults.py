"""Run-time fault injection (loopback admin endpoint / CLI flags), as an outermost ASGI middleware.

Each rule applies to requests whose path starts with ``path`` ("*" = every /v1 path). Several
rules may be active; posting a rule for a path replaces that path's rule. Faults:
latency, downtime windows and connection resets (the TCP connection is aborted, no response),
error statuses (optionally with Retry-After), timeouts (the server sleeps before handling, so
the client gives up while the effect may still happen), forced statuses per exact path, and
responses lost after commit (the effect is committed, then the connection is aborted).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import socket
import struct
import threading
import time
from dataclasses import dataclass, field, fields
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

ADMIN_PREFIX = "/_admin/"


@dataclass
class FaultRule:
    path: str = "*"
    error_rate: float = 0.0
    error_status: int = 503
    timeout_rate: float = 0.0
    timeout_s: float = 2.0
    reset_rate: float = 0.0
    lost_after_commit_rate: float = 0.0
    latency_ms: float = 0.0
    down_for_s: float = 0.0
    retry_after: str | None = None
    status_for_path: dict[str, int] = field(default_factory=dict)
    down_until: float = 0.0

    @classmethod
    def from_dict(cls, spec: dict[str, Any]) -> FaultRule:
        known = {f.name for f in fields(cls)} - {"down_until"}
        unknown = set(spec) - known
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        rule = cls(**{k: v for k, v in spec.items() if k in known})
        for name in ("error_rate", "timeout_rate", "reset_rate", "lost_after_commit_rate"):
            if not 0.0 <= float(getattr(rule, name)) <= 1.0:
                raise ValueError(f"{name} must be within 0..1")
        if rule.down_for_s:
            rule.down_until = time.time() + float(rule.down_for_s)
        return rule

    def matches(self, path: str) -> bool:
        return self.path == "*" or path.startswith(self.path)

    def to_dict(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["down_remaining_s"] = max(0.0, self.down_until - time.time())
        return d


class FaultSet:
    def __init__(self, seed: int | None = None) -> None:
        self._rules: dict[str, FaultRule] = {}
        self._lock = threading.Lock()
        self.rng = random.Random(seed)

    def add(self, rule: FaultRule) -> None:
        with self._lock:
            self._rules[rule.path] = rule

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def active(self, path: str) -> list[FaultRule]:
        with self._lock:
            return [r for r in self._rules.values() if r.matches(path)]

    def describe(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r.to_dict() for r in self._rules.values()]


def _transport(send: Send) -> Any:
    """uvicorn's connection transport (behind its RequestResponseCycle.send), or None."""
    cycle = getattr(send, "__self__", None)
    return getattr(cycle, "transport", None)


async def _abort_connection(send: Send) -> None:
    transport = _transport(send)
    if transport is None:
        raise ConnectionAbortedError("fault injection: reset")
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):  # linger 0: the client sees a reset, not a clean close
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    cycle = getattr(send, "__self__", None)
    for _ in range(50):  # let connection_lost mark the cycle disconnected, so uvicorn sends nothing more
        await asyncio.sleep(0.001)
        if cycle is None or getattr(cycle, "disconnected", True):
            break


async def _json(send: Send, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
    payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
    raw_headers = [(b"content-type", b"application/json; charset=utf-8"),
                   (b"content-length", str(len(payload)).encode())]
    raw_headers += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": payload})


class FaultMiddleware:
    def __init__(self, app: ASGIApp, faults: FaultSet) -> None:
        self.app = app
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        rules = self.faults.active(path)
        if not rules:
            await self.app(scope, receive, send)
            return
        # Read the whole request first: a client that gives up during an injected delay must not
        # stop the (late) effect from happening, as on a real overloaded server.
        messages: list[Message] = []
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request" or not message.get("more_body", False):
                break

        async def replay() -> Message:
            if messages:
                return messages.pop(0)
            await asyncio.Event().wait()  # nothing more will come; uvicorn cancels us on disconnect
            raise AssertionError("unreachable")

        receive = replay
        rng = self.faults.rng
        lost = False
        for rule in rules:
            if time.time() < rule.down_until:
                await _abort_connection(send)
                return
            if rule.latency_ms:
                await asyncio.sleep(rule.latency_ms / 1000)
            if path in rule.status_for_path:
                await _json(send, rule.status_for_path[path], {"error": {"code": "forced", "message": "测试注入",
                                                                         "reasons": []}})
                return
            r = rng.random()
            if r < rule.reset_rate:
                await _abort_connection(send)
                return
            r -= rule.reset_rate
            if r < rule.error_rate:
                extra = {"Retry-After": str(rule.retry_after)} if rule.retry_after else {}
                await _json(send, rule.error_status,
                            {"error": {"code": "fault_injected", "message": "中心暂不可用（测试注入）", "reasons": []}},
                            extra)
                return
            r -= rule.error_rate
            if r < rule.timeout_rate:
                await asyncio.sleep(rule.timeout_s)
            lost = lost or rng.random() < rule.lost_after_commit_rate
        if not lost:
            await self.app(scope, receive, send)
            return

        dropped = False

        async def drop_response(message: Message) -> None:
            nonlocal dropped
            if message["type"] == "http.response.start" and not dropped:
                dropped = True
                await _abort_connection(send)
            # everything after the drop goes nowhere

        await self.app(scope, receive, drop_response)
