"""/v1/batch commits once for all its items, and each item still stands or falls on its own."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from central_sim import routes
from central_sim.server import ServerHandle
from central_sim.storage import SqliteDatabase
from tests.central.pg_fixtures import BOTH_BACKENDS

ECHO = "/v1/_test/echo"
Handler = Callable[[Any, Any, Any], tuple[int, dict[str, Any]]]


def _batch(h: ServerHandle, bodies: dict[str, dict[str, Any]]) -> httpx.Response:
    items = [{"idempotency_key": k, "method": "POST", "path": ECHO, "body": b} for k, b in bodies.items()]
    return httpx.post(h.url + "/v1/batch", json={"items": items}, headers={"X-Kiosk-Id": "K1"}, timeout=10)


def _effects(admin: httpx.Client) -> dict[str, int]:
    return dict(admin.get("/_admin/effects").json()["effects"])


@contextmanager
def _echo_replaced_by(make: Callable[[Handler], Handler]) -> Iterator[None]:
    route = next(r for r in routes.ROUTES if r.name == ECHO)
    original = route.handler
    object.__setattr__(route, "handler", make(original))  # Route is frozen
    try:
        yield
    finally:
        object.__setattr__(route, "handler", original)


def test_a_batch_of_forty_items_is_one_commit(central: ServerHandle, admin: httpx.Client) -> None:
    db = central.central.db
    assert isinstance(db, SqliteDatabase)
    statements: list[str] = []
    conn: sqlite3.Connection = db._conn
    conn.set_trace_callback(statements.append)
    try:
        reply = _batch(central, {f"g{i}": {"n": i} for i in range(40)})
    finally:
        conn.set_trace_callback(None)
    assert reply.status_code == 200
    assert [r["status"] for r in reply.json()["results"]] == [200] * 40
    commits = [s for s in statements if s.strip().upper() == "COMMIT"]
    assert len(commits) == 1, f"{len(commits)} commits (one fsync each) for one batch"
    assert _effects(admin) == {f"g{i}": 1 for i in range(40)}


@BOTH_BACKENDS
def test_an_item_that_crashes_rolls_back_alone(central: ServerHandle, admin: httpx.Client) -> None:
    def crash_when_asked(original: Handler) -> Handler:
        def handler(tx: Any, ctx: Any, body: Any) -> tuple[int, dict[str, Any]]:
            out = original(tx, ctx, body)  # the effect is written …
            if body.get("crash"):
                raise RuntimeError("crash after the write")  # … and must go with the crash, alone
            return out
        return handler

    with _echo_replaced_by(crash_when_asked):
        reply = _batch(central, {"a": {"n": 1}, "boom": {"crash": True}, "b": {"n": 2}})
    assert reply.status_code == 200
    assert [(r["idempotency_key"], r["status"]) for r in reply.json()["results"]] == [
        ("a", 200), ("boom", 500), ("b", 200)]
    assert _effects(admin) == {"a": 1, "b": 1}
    again = _batch(central, {"a": {"n": 1}, "boom": {"crash": True}, "b": {"n": 2}})  # the kiosk's retry
    assert [(r["status"], r["replayed"]) for r in again.json()["results"]] == [(200, True), (200, False), (200, True)]
    assert _effects(admin) == {"a": 1, "boom": 1, "b": 1}


def test_a_batch_whose_transaction_is_lost_is_refused_whole_and_replays_once(central: ServerHandle,
                                                                            admin: httpx.Client) -> None:
    # SQLite ends the whole transaction by itself on some errors (a full disk, an I/O error);
    # a handler ending it stands in for that.
    def lose_the_transaction(original: Handler) -> Handler:
        def handler(tx: Any, ctx: Any, body: Any) -> tuple[int, dict[str, Any]]:
            out = original(tx, ctx, body)
            if body.get("lose"):
                tx.execute("ROLLBACK")
            return out
        return handler

    bodies: dict[str, dict[str, Any]] = {"x": {"n": 1}, "y": {"lose": True}, "z": {"n": 3}}
    with _echo_replaced_by(lose_the_transaction):
        reply = _batch(central, bodies)
    assert reply.status_code == 503 and reply.json()["error"]["code"] == "batch_not_stored"
    reply = _batch(central, bodies)  # nothing was acknowledged: the kiosk sends it all again
    assert reply.status_code == 200 and [r["status"] for r in reply.json()["results"]] == [200, 200, 200]
    assert _effects(admin) == {"x": 1, "y": 1, "z": 1}
