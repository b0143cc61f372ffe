"""Idempotency-Key outcomes: stored in the same transaction as the effect they describe.

Keys are scoped per kiosk (the stored key is ``<kiosk_id>/<key>``; kiosk ids have no ``/``).
A repeat with the same key and the same request returns the stored outcome (replayed); the
same key with a different request is 422 idempotency_key_reused. Outcomes are kept 35 days
(contract: at least 30).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from central_sim.errors import ApiError
from central_sim.storage import Database, Tx

RETENTION_S = 35 * 86400
MAX_KEY_LEN = 100


@dataclass
class Outcome:
    status: int
    body: dict[str, Any]
    replayed: bool = False
    headers: dict[str, str] = field(default_factory=dict)


def request_hash(method: str, path: str, body: Any) -> str:
    """Canonical JSON, so the same request sent directly or inside /v1/batch hashes alike."""
    canonical = json.dumps([method.upper(), path, body], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _bump(tx: Tx, name: str) -> None:
    tx.execute("INSERT INTO counters (name, n) VALUES (?, 1) ON CONFLICT (name) DO UPDATE SET n = counters.n + 1",
               (name,))


def scoped_key(kiosk_id: str, key: str) -> str:
    """Keys are per kiosk: one kiosk cannot replay (read) or block another's outcome by guessing its key."""
    return f"{kiosk_id}/{key}" if kiosk_id else key


def run_once(
    db: Database, kiosk_id: str, key: str, method: str, path: str, body: Any,
    effect: Callable[[Tx], tuple[int, dict[str, Any]]],
) -> Outcome:
    if not key or len(key) > MAX_KEY_LEN:
        raise ApiError(400, "missing_idempotency_key", "缺少或无效的幂等键 Idempotency-Key")
    digest = request_hash(method, path, body)
    key = scoped_key(kiosk_id, key)
    with db.transaction() as tx:
        row = tx.one("SELECT request_hash, status, response FROM idempotency WHERE key = ?", (key,))
        if row is not None:
            if row["request_hash"] != digest:
                return Outcome(422, ApiError(422, "idempotency_key_reused", "幂等键已用于另一笔不同的请求").body())
            _bump(tx, "replays")
            return Outcome(int(row["status"]), json.loads(row["response"]), replayed=True)
        try:
            with tx.savepoint():
                status, response = effect(tx)
        except ApiError as exc:
            if exc.status >= 500:
                raise
            status, response = exc.status, exc.body()
        tx.execute(
            "INSERT INTO idempotency (key, request_hash, status, response, created_at) VALUES (?,?,?,?,?)",
            (key, digest, status, json.dumps(response, ensure_ascii=False), time.time()),
        )
        return Outcome(status, response)


def purge_expired(db: Database, now: float | None = None) -> int:
    cutoff = (now if now is not None else time.time()) - RETENTION_S
    with db.transaction() as tx:
        return tx.execute("DELETE FROM idempotency WHERE created_at < ?", (cutoff,))


def replays(tx: Tx) -> int:
    return int(tx.scalar("SELECT n FROM counters WHERE name = 'replays'") or 0)
