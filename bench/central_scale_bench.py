"""Scaling the central: 1, 2 and 4 stateless instances on one PostgreSQL (issue 20).

Each instance is its own process (``python -m central_sim.cli --db postgresql://…``), all on one
temporary PostgreSQL cluster (tests/central/pg_fixtures.py's, fsync off as in the two-instance
tests). The load balancer is the load generator itself: every request goes to the next instance in
round-robin order over keep-alive connections (what an L7 balancer such as nginx's default
upstream does), so no balancer process competes for the CPU. Two closed-loop workloads, 64 requests
in flight, SCALE_BENCH_ROUNDS rounds (4) of SCALE_BENCH_SECONDS (3) per configuration and workload:
  - heartbeat ingest: POST /v1/kiosks/{id}/heartbeat (validated, buffered, written once a second);
  - events: POST /v1/kiosks/{id}/events with 5 events each, one idempotent transaction per request.
Keys: central_scale.{heartbeats,events}_per_s_{n}, ..._p99_ms_{n}, ..._scaling_{n} (÷ one instance).
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

from bench.central_bench import _free_port, _pct, _Pool, _state

ROOT = Path(__file__).resolve().parent.parent
INSTANCES = (1, 2, 4)
IN_FLIGHT = 64
EVENTS_PER_REQUEST = 5


class _RoundRobin:
    """The balancer: each request to the next instance in turn."""

    def __init__(self, ports: list[int]) -> None:
        self.pools = [_Pool(p, IN_FLIGHT) for p in ports]
        self.next = 0

    async def request(self, method: str, path: str, body: bytes, headers: str) -> int:
        pool = self.pools[self.next]
        self.next = (self.next + 1) % len(self.pools)
        return await pool.request(method, path, body, headers)

    async def close(self) -> None:
        for p in self.pools:
            await p.close()


def _heartbeat(worker: int, seq: int) -> tuple[str, bytes, str]:
    kiosk = f"FZ-SC-{worker:04d}"
    body = json.dumps(_state(kiosk, seq), separators=(",", ":")).encode()
    return f"/v1/kiosks/{kiosk}/heartbeat", body, f"X-Kiosk-Id: {kiosk}\r\n"


def _events(worker: int, seq: int) -> tuple[str, bytes, str]:
    kiosk = f"FZ-SC-{worker:04d}"
    events = [{"event_id": uuid.uuid4().hex, "at": "2026-11-27T10:00:00+08:00", "type": "transaction_outcome",
               "severity": "info", "code": "apply.done", "message": ""} for _ in range(EVENTS_PER_REQUEST)]
    body = json.dumps({"events": events}, separators=(",", ":")).encode()
    return (f"/v1/kiosks/{kiosk}/events", body,
            f"X-Kiosk-Id: {kiosk}\r\nIdempotency-Key: {uuid.uuid4()}\r\n")


async def _closed_loop(ports: list[int], seconds: float, make: Callable[[int, int], tuple[str, bytes, str]],
                       errors: Counter[str] | None = None) -> tuple[int, list[float]]:
    """Requests answered 200 and their latencies; anything else counted in ``errors`` by status or exception."""
    lb = _RoundRobin(ports)
    lat: list[float] = []
    errors = Counter() if errors is None else errors
    stop = time.monotonic() + seconds

    async def worker(w: int) -> None:
        seq = 0
        while time.monotonic() < stop:
            seq += 1
            path, body, headers = make(w, seq)
            t = time.perf_counter()
            try:
                status = await lb.request("POST", path, body, headers)
            except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
                errors[type(exc).__name__] += 1
                continue
            if status != 200:
                errors[f"HTTP {status}"] += 1
                continue
            lat.append((time.perf_counter() - t) * 1000)

    jobs: list[Awaitable[None]] = [worker(w) for w in range(IN_FLIGHT)]
    await asyncio.gather(*jobs)
    await lb.close()
    return len(lat), lat


WORKLOADS: dict[str, Callable[[int, int], tuple[str, bytes, str]]] = {"heartbeats": _heartbeat, "events": _events}


def _wait_healthy(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=1).raise_for_status()
            return
        except httpx.HTTPError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"central instance on port {port} did not start") from None
            time.sleep(0.2)


@contextmanager
def _instances(db_url: str, n: int) -> Iterator[list[int]]:
    procs: list[subprocess.Popen[bytes]] = []
    ports: list[int] = []
    try:
        for i in range(n):  # the first creates the schema; the others start on it
            port = _free_port()
            proc = subprocess.Popen([sys.executable, "-m", "central_sim.cli", "--port", str(port), "--db", db_url,
                                     "--no-seed", "--log-level", "warning"], cwd=ROOT,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            procs.append(proc)
            ports.append(port)
            if i == 0:
                _wait_healthy(port, proc)
        for port, proc in zip(ports, procs, strict=True):
            _wait_healthy(port, proc)
        yield ports
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextmanager
def _postgres() -> Iterator[str | None]:
    from tests.central.pg_fixtures import _bin, _start_cluster

    if _bin("initdb") is None or _bin("pg_ctl") is None:
        yield None
        return
    with contextmanager(_start_cluster)() as server:  # started and stopped as the tests do
        yield server.admin_url


def _new_db(admin_url: str) -> str:
    import psycopg

    name = f"central_scale_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as admin:
        admin.execute(f'CREATE DATABASE "{name}"'.encode())
    return admin_url.rpartition("/")[0] + "/" + name


def run(results: dict[str, float], report: list[str]) -> None:
    seconds = float(os.environ.get("SCALE_BENCH_SECONDS", "3"))
    rounds = int(os.environ.get("SCALE_BENCH_ROUNDS", "4"))
    report += ["## Central scaling: 1, 2 and 4 instances on one PostgreSQL", ""]
    # per configuration and workload: per-round rates, and every latency
    rates: dict[tuple[int, str], list[float]] = {(n, w): [] for n in INSTANCES for w in WORKLOADS}
    lats: dict[tuple[int, str], list[float]] = {(n, w): [] for n in INSTANCES for w in WORKLOADS}
    errors: Counter[str] = Counter()
    with _postgres() as admin_url, ExitStack() as stack:
        if admin_url is None:
            report += ["Not measured: PostgreSQL (initdb, pg_ctl) is not installed.", ""]
            return
        # Four instances stay up; a configuration of n is the balancer sending to the first n of them
        # (an idle instance costs one flush a second). The configurations take turns, the order rotated
        # every round: load from elsewhere on the machine drifts over minutes and must hit all alike.
        ports = stack.enter_context(_instances(_new_db(admin_url), max(INSTANCES)))
        groups = {n: ports[:n] for n in INSTANCES}
        asyncio.run(_closed_loop(ports, 1.0, _heartbeat))  # warm-up: connections, caches
        for r in range(rounds):
            order = list(INSTANCES[r % len(INSTANCES):] + INSTANCES[:r % len(INSTANCES)])
            for n in order if r % 2 == 0 else reversed(order):
                for name, make in WORKLOADS.items():
                    done, lat = asyncio.run(_closed_loop(groups[n], seconds, make, errors))
                    rates[(n, name)].append(done / seconds)
                    lats[(n, name)] += lat
    cores = os.cpu_count() or 0

    def rate(n: int, w: str) -> float:
        return statistics.median(rates[(n, w)])

    def scaling(n: int, w: str) -> float:
        return statistics.median(a / b for a, b in zip(rates[(n, w)], rates[(1, w)], strict=True))

    report += [
        f"Four `central_sim.cli` processes on one PostgreSQL 15 database (fsync off, as in the two-instance "
        f"tests), n of them behind the balancer for the n-instance figures; the balancer is round-robin per "
        f"request in the load generator (no balancer process); {IN_FLIGHT} "
        f"requests in flight; {rounds} rounds of {seconds:.0f} s per configuration and workload, the three "
        "configurations taking turns in a rotating order; rates are medians of the per-round rates, ×1 the median "
        f"of the per-round ratios to one instance, p99 over every request. Events: {EVENTS_PER_REQUEST} per request, "
        f"one idempotent transaction each. This machine has {cores} cores, shared by the load generator, "
        "PostgreSQL, every instance and the other work on it: more instances than cores can only add contention, "
        "so these figures say what running several stateless instances costs or gains on one small machine, not "
        "what more machines would give.",
        "",
        "| instances | heartbeats/s | ×1 | p99 ms | event requests/s (events/s) | ×1 | p99 ms |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n in INSTANCES:
        hb, ev = rate(n, "heartbeats"), rate(n, "events")
        hb_p99, ev_p99 = _pct(lats[(n, "heartbeats")], 0.99), _pct(lats[(n, "events")], 0.99)
        results[f"central_scale.heartbeats_per_s_{n}"] = round(hb, 1)
        results[f"central_scale.heartbeat_p99_ms_{n}"] = round(hb_p99, 2)
        results[f"central_scale.heartbeat_scaling_{n}"] = round(scaling(n, "heartbeats"), 2)
        results[f"central_scale.event_requests_per_s_{n}"] = round(ev, 1)
        results[f"central_scale.event_p99_ms_{n}"] = round(ev_p99, 2)
        results[f"central_scale.event_scaling_{n}"] = round(scaling(n, "events"), 2)
        report.append(f"| {n} | {hb:,.0f} | {scaling(n, 'heartbeats'):.2f} | {hb_p99:.1f} | {ev:,.0f} "
                      f"({ev * EVENTS_PER_REQUEST:,.0f}) | {scaling(n, 'events'):.2f} | {ev_p99:.1f} |")
    results["central_scale.errors"] = float(sum(errors.values()))
    seen = ", ".join(f"{k} ×{v}" for k, v in errors.most_common()) or "none"
    report += ["", "How to read it: heartbeat ingest is CPU work in each instance's Python process (parsing and "
               "validating the body; the rows are written in one transaction a second), so a second instance can use "
               "the second core; an event request is a PostgreSQL transaction, and PostgreSQL runs on the same two "
               "cores, so extra instances mostly add contention there. Four instances on two cores cannot beat two.",
               "", f"Requests not answered 200: {seen}. Load average at the end of the run: "
               f"{os.getloadavg()[0]:.1f} on {cores} cores.", ""]
