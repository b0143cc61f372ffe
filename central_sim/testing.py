"""POST /v1/_test/echo: a generic idempotent effect for the queue's chaos and crash tests."""

from __future__ import annotations

from typing import Any

from central_sim.errors import ApiError
from central_sim.routes import Ctx, route
from central_sim.storage import Tx


@route("POST", "/v1/_test/echo", idempotent=True)
def echo(tx: Tx, ctx: Ctx, body: Any) -> tuple[int, dict[str, Any]]:
    if isinstance(body, dict) and body.get("reject"):
        raise ApiError(422, "rejected", f"拒绝 {body.get('reject')}", [{"code": "test_reason", "message": "测试"}])
    # One row per key; n > 1 would mean the effect was applied twice (what the chaos tests look for).
    tx.execute("INSERT INTO test_effects (key, n) VALUES (?, 1) ON CONFLICT (key) DO UPDATE SET n = test_effects.n + 1",
               (ctx.idempotency_key,))
    return 200, {"echo": body, "applied": True}
