"""The reference central as an ASGI app (Starlette) and a uvicorn server in a thread.

``create_app(db_path)`` → ASGI app; ``run_in_thread(db_path, port=0, …)`` → ServerHandle with
``url``, ``port``, ``central`` (the dispatcher and its database), ``faults`` and ``stop()``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import ssl
import threading
import time
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from central_sim import monitor, payments, sms, tls_alerts
from central_sim.central import Central
from central_sim.clock import Clock, rfc3339, system_clock
from central_sim.console.app import routes as console_routes
from central_sim.errors import ApiError
from central_sim.faults import FaultMiddleware, FaultRule, FaultSet
from central_sim.fleet import queue_command
from central_sim.identity import TlsIdentity, caller, is_loopback
from central_sim.release.serve import routes as release_routes
from central_sim.request_body import check_media_type, limit_for, parse_json, read_limited

log = logging.getLogger("central_sim")

UNAUTHENTICATED = ("/v1/health", "/v1/_test/")  # no kiosk identity needed (link probes, test instrumentation)


def _json(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(payload, status_code=status, headers=headers, media_type="application/json; charset=utf-8")


def _error(exc: ApiError) -> Response:
    return _json(exc.status, exc.body())


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (no such path, method not allowed — OPTIONS/TRACE too) in the envelope."""
    assert isinstance(exc, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    message = {404: "无此接口", 405: "不支持的请求方法"}.get(exc.status_code, str(exc.detail))
    return _json(exc.status_code, ApiError(exc.status_code, code, message).body(), dict(exc.headers or {}))


async def _server_error(request: Request, exc: Exception) -> Response:
    log.error("unhandled error", exc_info=exc, extra={"path": request.url.path})
    return _json(500, ApiError(500, "internal_error", "中心内部错误，请稍后重试").body())


def _long_poll_s(request: Request) -> float:
    """``?wait=N`` on GET /v1/payments/{id}: how long to hold a pending order's answer (0 otherwise)."""
    if request.method != "GET" or not request.url.path.startswith("/v1/payments/"):
        return 0.0
    try:
        wait = float(request.query_params.get("wait", "0"))
    except ValueError:
        return 0.0
    return min(max(wait, 0.0), payments.MAX_WAIT_S) if wait == wait else 0.0  # NaN: no wait


async def _admin_json(request: Request) -> Any:
    if not is_loopback(request):
        raise ApiError(403, "admin_loopback_only", "管理接口仅限本机")
    raw = await read_limited(request, limit_for(request.url.path))
    return parse_json(raw)


def create_app(db_path: str, *, seed: bool = True, faults: FaultSet | None = None,
               clock: Clock = system_clock, central: Central | None = None, updates_dir: str | None = None,
               test_hooks: bool = True) -> ASGIApp:
    """The central as an ASGI app. ``db_path`` is a SQLite path or a database URL. ``test_hooks``
    False (production mode, ``--no-test-hooks``): the SMS-code and pay hooks answer 404."""
    central = central or Central(db_path, seed=seed, clock=clock)
    faults = faults or FaultSet()

    async def api(request: Request) -> Response:
        path = request.url.path
        try:
            kiosk_id = caller(request, required=not path.startswith(UNAUTHENTICATED))
            body = await read_limited(request, limit_for(path))
            check_media_type(request, body)
        except ApiError as exc:
            return _error(exc)
        key = request.headers.get("idempotency-key", "")
        out = await run_in_threadpool(central.handle, request.method, path, kiosk_id, key, body)
        deadline = time.monotonic() + _long_poll_s(request)  # GET /v1/payments/{id}?wait=N
        while payments.still_pending(out.status, out.body) and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            out = await run_in_threadpool(central.handle, request.method, path, kiosk_id, key, body)
        headers = {"Idempotent-Replayed": "true"} if out.replayed else {}
        return _json(out.status, out.body, headers)

    async def health(request: Request) -> Response:
        return _json(200, central.health())

    async def admin_faults(request: Request) -> Response:
        try:
            spec = await _admin_json(request)
            if request.method == "DELETE":
                faults.clear()
            elif request.method == "POST":
                if not isinstance(spec, dict):
                    raise ApiError(400, "invalid_fault", "a JSON object is expected")
                try:
                    faults.add(FaultRule.from_dict(spec))
                except (ValueError, TypeError) as exc:
                    raise ApiError(400, "invalid_fault", str(exc)) from None
        except ApiError as exc:
            return _error(exc)
        return _json(200, {"ok": True, "rules": faults.describe()})

    async def admin_effects(request: Request) -> Response:
        try:
            await _admin_json(request)
        except ApiError as exc:
            return _error(exc)
        return _json(200, await run_in_threadpool(central.effects))

    async def admin_command(request: Request) -> Response:
        kiosk_id = request.path_params["kiosk_id"]
        try:
            spec = await _admin_json(request)
            if not isinstance(spec, dict):
                raise ApiError(400, "invalid_command", "a JSON object is expected")
        except ApiError as exc:
            return _error(exc)

        def queue() -> dict[str, Any]:
            with central.db.transaction() as tx:
                return queue_command(tx, kiosk_id, spec, rfc3339(central.now()))

        try:
            command = await run_in_threadpool(queue)
            central.heartbeats.command_queued(kiosk_id)
            return _json(201, command)
        except ApiError as exc:
            return _json(exc.status, exc.body())

    async def test_hook(request: Request) -> Response:
        """Test/demo hooks (loopback only, never with test_hooks off): the code an SMS carried, and
        "the citizen paid this order" (the payment platform's notice)."""
        try:
            spec = await _admin_json(request)
            if not test_hooks:
                raise ApiError(404, "not_found", "无此接口")
        except ApiError as exc:
            return _error(exc)

        def run() -> tuple[int, dict[str, Any]]:
            with central.db.transaction() as tx:
                if "payment_id" in request.path_params:
                    return 200, payments.pay(tx, request.path_params["payment_id"], central.now())
                mobile = spec.get("mobile") if isinstance(spec, dict) else None
                found = sms.read_inbox(tx, str(mobile)) if isinstance(mobile, str) else None
                return (200, found) if found else (404, ApiError(404, "no_code", "no code pending").body())

        try:
            return _json(*await run_in_threadpool(run))
        except ApiError as exc:
            return _error(exc)

    async def monitor_page(request: Request) -> Response:
        html = await run_in_threadpool(monitor.render_page, central)
        return HTMLResponse(html)

    async def metrics(request: Request) -> Response:
        text = await run_in_threadpool(monitor.render_metrics, central)
        return PlainTextResponse(text, media_type="text/plain; version=0.0.4; charset=utf-8")

    async def root(request: Request) -> Response:
        return JSONResponse({"service": "sscard reference central", "contract": "v1", "monitor": "/monitor"})

    app = Starlette(routes=[
        Route("/", root),
        Route("/v1/health", health, methods=["GET"]),
        Route("/v1/{rest:path}", api, methods=["GET", "POST", "PUT", "DELETE"]),
        Route("/_admin/faults", admin_faults, methods=["GET", "POST", "DELETE"]),
        Route("/_admin/effects", admin_effects, methods=["GET"]),
        Route("/_admin/kiosks/{kiosk_id}/commands", admin_command, methods=["POST"]),
        Route("/_admin/sms/inbox", test_hook, methods=["POST"]),  # issue 21 §2: the code, for tests and the demo
        Route("/_admin/payments/{payment_id}/pay", test_hook, methods=["POST"]),  # issue 21 §4: "pay this order"
        Route("/monitor", monitor_page, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        *console_routes(central),
        *(release_routes(central, updates_dir) if updates_dir else []),  # signed updates (docs/updates.md)
    ], exception_handlers={HTTPException: _http_error, Exception: _server_error})
    app.state.central = central
    app.state.faults = faults
    wrapped: ASGIApp = TlsIdentity(FaultMiddleware(app, faults))
    return wrapped


class ServerHandle:
    def __init__(self, url: str, port: int, server: uvicorn.Server, thread: threading.Thread,
                 central: Central, faults: FaultSet) -> None:
        self.url = url
        self.port = port
        self.central = central
        self.faults = faults
        self._server = server
        self._thread = thread

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)
        self.central.close()

    def __enter__(self) -> ServerHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run_in_thread(
    db_path: str,
    host: str = "127.0.0.1",
    port: int = 0,
    ssl_certfile: str | None = None,
    ssl_keyfile: str | None = None,
    ssl_ca_certs: str | None = None,
    require_client_cert: bool = False,
    seed: bool = True,
    *,
    faults: FaultSet | None = None,
    clock: Clock = system_clock,
    log_level: str = "warning",
    updates_dir: str | None = None,
    test_hooks: bool = True,
) -> ServerHandle:
    """Serve the central with uvicorn in a daemon thread; port 0 binds an ephemeral port."""
    faults = faults or FaultSet()
    if ssl_certfile:
        tls_alerts.install()
    central = Central(db_path, seed=seed, clock=clock)
    if ssl_certfile:
        central.certfiles["server"] = ssl_certfile
    app = create_app(db_path, faults=faults, clock=clock, central=central, updates_dir=updates_dir,
                     test_hooks=test_hooks)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP: asyncio only sets TCP_NODELAY on accepted sockets that say so; without it
    # every response waits ~40 ms for a delayed ACK (Nagle).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    bound = int(sock.getsockname()[1])
    config = uvicorn.Config(
        app, log_level=log_level, lifespan="off", access_log=False, timeout_graceful_shutdown=2,
        ssl_certfile=ssl_certfile, ssl_keyfile=ssl_keyfile, ssl_ca_certs=ssl_ca_certs,
        ssl_cert_reqs=ssl.CERT_REQUIRED if require_client_cert else ssl.CERT_NONE,
    )
    server = uvicorn.Server(config)

    def serve() -> None:
        asyncio.run(server.serve(sockets=[sock]))

    thread = threading.Thread(target=serve, name=f"central-sim:{bound}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("central_sim did not start")
        time.sleep(0.01)
    scheme = "https" if ssl_certfile else "http"
    shown = f"[{host}]" if ":" in host else host
    return ServerHandle(f"{scheme}://{shown}:{bound}", bound, server, thread, central, faults)
