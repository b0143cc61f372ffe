"""A small real HTTP/1.1 server honouring the central's test contract, for the queue tests.

Used until/unless central_sim provides ``run_in_thread``. Same contract:
``run_in_thread(db_path, host, port=0, ssl=None) -> handle`` (``handle.url``, ``handle.stop()``);
``POST /v1/_test/echo`` (one effect per new Idempotency-Key, replays flagged), ``POST /v1/batch``,
``POST/DELETE /_admin/faults``, ``GET /_admin/effects``. Raw asyncio streams, so a "reset" and
a "response lost after commit" are real aborted TCP connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import random
import socket
import sqlite3
import ssl as ssl_mod
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Any

_REASONS = {
    200: "OK",
    201: "Created",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    408: "Request Timeout",
    409: "Conflict",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


@dataclass
class Faults:
    path: str = "*"
    error_rate: float = 0.0
    error_status: int = 503
    timeout_rate: float = 0.0
    timeout_s: float = 2.0
    reset_rate: float = 0.0
    lost_after_commit_rate: float = 0.0
    latency_ms: float = 0.0
    down_until: float = 0.0
    retry_after: str | None = None
    status_for_path: dict[str, int] = field(default_factory=dict)  # path -> fixed status (tests)


class _Abort(Exception):
    pass


class Central:
    def __init__(self, db_path: str) -> None:
        self.db = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS outcomes(key TEXT PRIMARY KEY, body_hash TEXT, status INT,"
            " response TEXT)"
        )
        self.db.execute("CREATE TABLE IF NOT EXISTS effects(key TEXT PRIMARY KEY, n INT)")
        self.db.execute("CREATE TABLE IF NOT EXISTS counters(name TEXT PRIMARY KEY, n INT)")
        self.lock = threading.Lock()
        self.faults = Faults()
        self.rng = random.Random()
        self.requests = 0

    def apply(self, key: str, body: bytes) -> tuple[int, dict[str, Any], bool]:
        """Idempotent state change: (status, response, replayed)."""
        try:  # "same body" means the same JSON document, however it was serialised (single or batch)
            canon = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode() if body else b""
        except ValueError:
            canon = body
        h = hashlib.sha256(canon).hexdigest()
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            row = self.db.execute(
                "SELECT body_hash, status, response FROM outcomes WHERE key=?", (key,)
            ).fetchone()
            if row is not None:
                self.db.execute(
                    "INSERT INTO counters VALUES('replays',1) ON CONFLICT(name) DO UPDATE SET n=n+1"
                )
                self.db.execute("COMMIT")
                if row[0] != h:
                    return (
                        422,
                        {
                            "error": {
                                "code": "idempotency_key_reused",
                                "message": "幂等键已用于其他请求",
                                "reasons": [],
                            }
                        },
                        False,
                    )
                return int(row[1]), json.loads(row[2]), True
            try:
                doc = json.loads(body) if body else {}
            except ValueError:
                self.db.execute("ROLLBACK")
                return 400, {"error": {"code": "bad_json", "message": "请求格式错误", "reasons": []}}, False
            resp: dict[str, Any]
            if isinstance(doc, dict) and doc.get("reject"):
                status, resp = (
                    422,
                    {
                        "error": {
                            "code": "rejected",
                            "message": f"拒绝 {doc.get('reject')}",
                            "reasons": [{"code": "test_reason", "message": "测试"}],
                        }
                    },
                )
            else:
                status, resp = 200, {"echo": doc, "applied": True}
                self.db.execute(
                    "INSERT INTO effects VALUES(?,1) ON CONFLICT(key) DO UPDATE SET n=n+1", (key,)
                )
            self.db.execute("INSERT INTO outcomes VALUES(?,?,?,?)", (key, h, status, json.dumps(resp)))
            self.db.execute("COMMIT")
            return status, resp, False

    def effects(self) -> dict[str, Any]:
        with self.lock:
            eff = dict(self.db.execute("SELECT key, n FROM effects").fetchall())
            row = self.db.execute("SELECT n FROM counters WHERE name='replays'").fetchone()
        return {"effects": eff, "replays": int(row[0]) if row else 0}


class _Server:
    def __init__(self, central: Central) -> None:
        self.c = central

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = {
                    k.strip().lower(): v.strip()
                    for k, v in (ln.split(":", 1) for ln in lines[1:] if ":" in ln)
                }
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                status, resp, extra = await self.route(method, target, headers, body, writer)
                payload = json.dumps(resp, ensure_ascii=False).encode()
                hdrs = [
                    f"HTTP/1.1 {status} {_REASONS.get(status, 'X')}",
                    "Content-Type: application/json",
                    f"Content-Length: {len(payload)}",
                    *(f"{k}: {v}" for k, v in extra.items()),
                ]
                writer.write(("\r\n".join(hdrs) + "\r\n\r\n").encode() + payload)
                await writer.drain()
        except (_Abort, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError):
            pass
        finally:
            _abort(writer)

    async def route(
        self, method: str, path: str, headers: dict[str, str], body: bytes, writer: asyncio.StreamWriter
    ) -> tuple[int, Any, dict[str, str]]:
        c = self.c
        if path == "/_admin/faults":
            if method == "DELETE":
                c.faults = Faults()
            else:
                d = json.loads(body)
                f = Faults(
                    **{k: v for k, v in d.items() if k in Faults.__dataclass_fields__ and k != "down_until"}
                )
                if d.get("down_for_s"):
                    f.down_until = time.time() + float(d["down_for_s"])
                c.faults = f
            return 200, {"ok": True}, {}
        if path == "/_admin/effects":
            return 200, c.effects(), {}
        c.requests += 1
        f = c.faults
        faulty = f.path == "*" or path.startswith(f.path)
        if faulty:
            if time.time() < f.down_until:
                raise _Abort()
            if f.latency_ms:
                await asyncio.sleep(f.latency_ms / 1000)
            if path in f.status_for_path:
                return f.status_for_path[path], {"error": {"code": "forced", "message": "测试"}}, {}
            r = c.rng.random()
            if r < f.reset_rate:
                raise _Abort()
            r -= f.reset_rate
            if r < f.error_rate:
                extra = {"Retry-After": f.retry_after} if f.retry_after else {}
                return f.error_status, {"error": {"code": "unavailable", "message": "暂不可用"}}, extra
            r -= f.error_rate
            if r < f.timeout_rate:
                await asyncio.sleep(f.timeout_s)
        lost = faulty and c.rng.random() < f.lost_after_commit_rate
        if method == "POST" and path == "/v1/batch":
            results = []
            for it in json.loads(body)["items"]:
                b = (
                    json.dumps(it["body"], ensure_ascii=False, separators=(",", ":")).encode()
                    if it.get("body") is not None
                    else b""
                )
                st, resp, replayed = await asyncio.to_thread(c.apply, it["idempotency_key"], b)
                results.append(
                    {
                        "idempotency_key": it["idempotency_key"],
                        "status": st,
                        "body": resp,
                        "replayed": replayed,
                    }
                )
            out: tuple[int, Any, dict[str, str]] = (200, {"results": results}, {})
        elif method == "POST" and path == "/v1/_test/echo":
            key = headers.get("idempotency-key")
            if not key:
                return 400, {"error": {"code": "missing_idempotency_key", "message": "缺少幂等键"}}, {}
            st, resp, replayed = await asyncio.to_thread(c.apply, key, body)
            out = (st, resp, {"Idempotent-Replayed": "true"} if replayed else {})
        else:
            return 404, {"error": {"code": "not_found", "message": "无此接口"}}, {}
        if lost:
            raise _Abort()  # committed, but the answer never leaves
        return out


def _abort(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):  # linger 0: the client sees a reset, not a clean close
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class Handle:
    def __init__(
        self,
        url: str,
        loop: asyncio.AbstractEventLoop,
        server: asyncio.Server,
        thread: threading.Thread,
        central: Central,
    ) -> None:
        self.url, self._loop, self._server, self._thread, self.central = url, loop, server, thread, central

    def stop(self) -> None:
        async def _close() -> None:
            self._server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(_close(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()


def run_in_thread(
    db_path: str, host: str = "127.0.0.1", port: int = 0, ssl: ssl_mod.SSLContext | None = None
) -> Handle:
    central = Central(db_path)
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    box: dict[str, Any] = {}

    def main() -> None:
        asyncio.set_event_loop(loop)
        srv = loop.run_until_complete(asyncio.start_server(_Server(central).handle, host, port, ssl=ssl))
        box["server"] = srv
        ready.set()
        loop.run_forever()

    t = threading.Thread(target=main, name="standin-central", daemon=True)
    t.start()
    ready.wait(5)
    srv = box["server"]
    p = srv.sockets[0].getsockname()[1]
    scheme = "https" if ssl else "http"
    return Handle(f"{scheme}://{host}:{p}", loop, srv, t, central)
