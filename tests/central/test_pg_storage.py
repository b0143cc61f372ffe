"""PostgreSQL backend specifics: several servers on one database keep each idempotency key exactly-once."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import httpx

from central_sim.pg_storage import PostgresDatabase, to_pyformat
from central_sim.server import run_in_thread
from central_sim.storage import open_database

KEYS = 6
SENDERS_PER_KEY = 4


def test_placeholders_become_pyformat_and_percent_signs_stay_literal() -> None:
    assert to_pyformat("SELECT ? WHERE a LIKE '5%' AND b = ?") == "SELECT %s WHERE a LIKE '5%%' AND b = %s"


def test_two_servers_on_one_database_apply_each_key_once(pg_url: str) -> None:
    db = open_database(pg_url)
    assert isinstance(db, PostgresDatabase)
    db.close()
    servers = [run_in_thread(pg_url), run_in_thread(pg_url)]
    keys = [str(uuid.uuid4()) for _ in range(KEYS)]
    jobs = [(k, servers[i % 2].url) for k in keys for i in range(SENDERS_PER_KEY)]
    start = threading.Barrier(len(jobs))
    answers: dict[str, list[tuple[int, Any]]] = {k: [] for k in keys}

    def send(key: str, url: str) -> None:
        start.wait(10)
        r = httpx.post(url + "/v1/_test/echo", json={"key": key}, headers={"Idempotency-Key": key}, timeout=15)
        answers[key].append((r.status_code, r.json()))

    threads = [threading.Thread(target=send, args=job) for job in jobs]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        for key in keys:
            assert len(answers[key]) == SENDERS_PER_KEY
            assert {status for status, _ in answers[key]} == {200}, answers[key]
            assert all(body == answers[key][0][1] for _, body in answers[key])
        effects = httpx.get(servers[1].url + "/_admin/effects", timeout=5).json()
        assert effects == {"effects": dict.fromkeys(keys, 1), "replays": len(jobs) - KEYS}
    finally:
        for s in servers:
            s.stop()
