"""The dispatcher: one request (direct or a /v1/batch item) → route → idempotent execution → Outcome."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

# Importing the handler modules registers their routes.
from central_sim import (  # noqa: F401
    applications,
    audit_anchor,
    cards,
    documents,
    ecard,
    face_verify,
    fleet,
    payments,
    persons,
    sms,
    testing,
)
from central_sim.api_models import MAX_BATCH, REQUESTS, BatchIn, Heartbeat, validate
from central_sim.clock import Clock, rfc3339, system_clock
from central_sim.errors import ApiError
from central_sim.idempotency import Outcome, purge_expired, run_once
from central_sim.request_body import parse_json
from central_sim.routes import Ctx, find
from central_sim.seed import seed_database
from central_sim.storage import Database, open_database

log = logging.getLogger("central_sim")

HEARTBEAT_FLUSH_S = 1.0
PURGE_EVERY_S = 3600.0
BATCH_PATH = "/v1/batch"


class Central:
    def __init__(self, db_url: str, *, seed: bool = True, clock: Clock = system_clock) -> None:
        self.db: Database = open_database(db_url)
        self.clock = clock
        self.certfiles: dict[str, str] = {}  # role → PEM path, for the expiry metric (set by the server)
        self.after_flush: list[Callable[[], object]] = []  # run after each heartbeat flush (the console's sync)
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
                with self.db.read() as tx:
                    due = payments.expire_due(tx, self.now(), dry_run=True)
                if due:
                    with self.db.transaction() as tx:
                        payments.expire_due(tx, self.now())  # unpaid fee orders void at expiry (issue 21 §4)
                for hook in list(self.after_flush):
                    hook()
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
            body: Any = parse_json(raw)
        except ApiError as exc:
            return Outcome(exc.status, exc.body())
        if method == "POST" and path == BATCH_PATH:
            return self.batch(kiosk_id, body)
        return self.dispatch(method, path, kiosk_id, idempotency_key, body)

    def dispatch(self, method: str, path: str, kiosk_id: str, idempotency_key: str, body: Any) -> Outcome:
        try:
            route, params = find(method, path)
            ctx = Ctx(kiosk_id, self.now(), params, idempotency_key)
            model = REQUESTS.get(route.name)
            checked = validate(model, body) if model is not None else None
            if route.handler is fleet.heartbeat:
                assert isinstance(checked, Heartbeat)
                return Outcome(*self.heartbeats.handle(ctx, checked))
            if route.idempotent:
                return run_once(self.db, kiosk_id, idempotency_key, method, path, body,
                                lambda tx: route.handler(tx, ctx, body))
            with self.db.transaction() as tx:
                return Outcome(*route.handler(tx, ctx, body))
        except ApiError as exc:
            return Outcome(exc.status, exc.body())
        except Exception:
            log.exception("handler failed", extra={"path": path})
            return Outcome(500, ApiError(500, "internal_error", "中心内部错误，请稍后重试").body())

    def batch(self, kiosk_id: str, body: Any) -> Outcome:
        """Each item is judged on its own, for the calling kiosk only (paths naming another kiosk are 403)."""
        items = body.get("items") if isinstance(body, dict) else None
        if isinstance(items, list) and len(items) > MAX_BATCH:
            return Outcome(400, ApiError(400, "batch_too_large", f"一次最多 {MAX_BATCH} 条").body())
        try:
            checked = validate(BatchIn, body)
        except ApiError as exc:
            return Outcome(exc.status, exc.body())
        assert isinstance(checked, BatchIn)
        results = []
        try:
            # One commit for the whole batch (one fsync, not one per item); an item that fails rolls
            # back to its own savepoint. The reply goes out only after the commit.
            with self.db.group():
                for item in checked.items:
                    if item.path == BATCH_PATH:
                        out = Outcome(400, ApiError(400, "nested_batch", "批量请求不能嵌套").body())
                    else:
                        out = self.dispatch(item.method, item.path, kiosk_id, item.idempotency_key, item.body)
                    results.append({"idempotency_key": item.idempotency_key, "status": out.status,
                                    "body": out.body, "replayed": out.replayed})
        except Exception:
            # Nothing in it is acknowledged: the kiosk sends the items again and each idempotency
            # key replays whatever did commit.
            log.exception("batch commit failed", extra={"path": BATCH_PATH})
            return Outcome(503, ApiError(503, "batch_not_stored", "批量请求未能保存，请重试").body())
        return Outcome(200, {"results": results})

    def health(self) -> dict[str, Any]:
        return {"status": "ok", "server_time": rfc3339(self.now())}

    def effects(self) -> dict[str, Any]:
        with self.db.read() as tx:
            eff = {r["key"]: int(r["n"]) for r in tx.all("SELECT key, n FROM test_effects")}
            replays = int(tx.scalar("SELECT n FROM counters WHERE name = 'replays'") or 0)
        return {"effects": eff, "replays": replays}
