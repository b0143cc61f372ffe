"""The dispatcher: one request (direct or a /v1/batch item) → route → idempotent execution → Outcome."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from typing import Any

# Importing the handler modules registers their routes.
from central_sim import (  # noqa: F401
    applications,
    audit_anchor,
    cards,
    fleet,
    persons,
    testing,
)
from central_sim.clock import Clock, rfc3339, system_clock
from central_sim.errors import ApiError
from central_sim.idempotency import Outcome, purge_expired, run_once
from central_sim.routes import Ctx, find
from central_sim.seed import seed_database
from central_sim.storage import Database, open_database

log = logging.getLogger("central_sim")

MAX_BATCH = 100
HEARTBEAT_FLUSH_S = 1.0
PURGE_EVERY_S = 3600.0
BATCH_PATH = "/v1/batch"


class Central:
    def __init__(self, db_url: str, *, seed: bool = True, clock: Clock = system_clock) -> None:
        self.db: Database = open_database(db_url)
        self.clock = clock
        if seed:
            with self.db.transaction() as tx:
                added = seed_database(tx, clock().date())
            log.info("seeded citizens", extra={"added": added})
        purge_expired(self.db)
        self.heartbeats = fleet.HeartbeatBuffer(self.db)
        self._stop = threading.Event()
        self._flusher = threading.Thread(target=self._flush_loop, name="central-heartbeat-flush", daemon=True)
        self._flusher.start()

    def _flush_loop(self) -> None:
        last_purge = time.monotonic()
        while not self._stop.wait(HEARTBEAT_FLUSH_S):
            try:
                self.heartbeats.flush()
                if time.monotonic() - last_purge > PURGE_EVERY_S:
                    last_purge = time.monotonic()
                    purge_expired(self.db)  # idempotency outcomes older than 35 days
            except Exception:
                log.exception("heartbeat flush failed")

    def close(self) -> None:
        self._stop.set()
        self._flusher.join(5)
        self.heartbeats.flush()
        self.db.close()

    def now(self) -> dt.datetime:
        return self.clock()

    def handle(self, method: str, path: str, kiosk_id: str, idempotency_key: str, raw: bytes) -> Outcome:
        try:
            body: Any = json.loads(raw) if raw.strip() else None
        except ValueError:
            return Outcome(400, ApiError(400, "invalid_json", "请求体不是有效的 JSON").body())
        if method == "POST" and path == BATCH_PATH:
            return self.batch(kiosk_id, body)
        return self.dispatch(method, path, kiosk_id, idempotency_key, body)

    def dispatch(self, method: str, path: str, kiosk_id: str, idempotency_key: str, body: Any) -> Outcome:
        try:
            route, params = find(method, path)
            ctx = Ctx(kiosk_id, self.now(), params, idempotency_key)
            if route.handler is fleet.heartbeat:
                return Outcome(*self.heartbeats.handle(ctx, body))
            if route.idempotent:
                return run_once(self.db, idempotency_key, method, path, body,
                                lambda tx: route.handler(tx, ctx, body))
            with self.db.transaction() as tx:
                return Outcome(*route.handler(tx, ctx, body))
        except ApiError as exc:
            return Outcome(exc.status, exc.body())
        except Exception:
            log.exception("handler failed", extra={"path": path})
            return Outcome(500, ApiError(500, "internal_error", "中心内部错误，请稍后重试").body())

    def batch(self, kiosk_id: str, body: Any) -> Outcome:
        items = body.get("items") if isinstance(body, dict) else None
        if not isinstance(items, list) or not items:
            return Outcome(400, ApiError(400, "invalid_request", "items 必须是非空列表").body())
        if len(items) > MAX_BATCH:
            return Outcome(400, ApiError(400, "batch_too_large", f"一次最多 {MAX_BATCH} 条").body())
        results = []
        for item in items:
            key = item.get("idempotency_key") if isinstance(item, dict) else None
            if not isinstance(item, dict) or not isinstance(key, str) or not key:
                results.append({"idempotency_key": key if isinstance(key, str) else "", "status": 400,
                                "body": ApiError(400, "invalid_item", "批量项缺少 idempotency_key").body(),
                                "replayed": False})
                continue
            method, path = str(item.get("method", "POST")).upper(), str(item.get("path", ""))
            if path == BATCH_PATH:
                out = Outcome(400, ApiError(400, "nested_batch", "批量请求不能嵌套").body())
            else:
                out = self.dispatch(method, path, kiosk_id, key, item.get("body"))
            results.append({"idempotency_key": key, "status": out.status, "body": out.body, "replayed": out.replayed})
        return Outcome(200, {"results": results})

    def health(self) -> dict[str, Any]:
        return {"status": "ok", "server_time": rfc3339(self.now())}

    def effects(self) -> dict[str, Any]:
        with self.db.read() as tx:
            eff = {r["key"]: int(r["n"]) for r in tx.all("SELECT key, n FROM test_effects")}
            replays = int(tx.scalar("SELECT n FROM counters WHERE name = 'replays'") or 0)
        return {"effects": eff, "replays": replays}
