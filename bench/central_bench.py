"""Load test of the reference central: 2,000 kiosks heartbeating every 30 s on loopback.

The central runs in its own process (``kiosk central-sim``), so its CPU is measured apart from the
load generator. Phases:
  1. baseline: GET /v1/health (no database work), closed loop;
  2. fleet schedule: 2,000 kiosks, each every 30 s, spread evenly, for CENTRAL_BENCH_SECONDS (default 60);
  3. capacity: closed loop with 64 in flight, 10 s — the most heartbeats/s this server sustains.
Keys: central.heartbeats_per_s (phase 2), central.heartbeat_p99_ms (phase 2), central.heartbeat_capacity_per_s,
central.server_cpu_pct (phase 2), central.health_p99_ms (baseline).
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
KIOSKS = 2000
INTERVAL_S = 30.0
CLK_TCK = os.sysconf("SC_CLK_TCK")


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def _state(kiosk: str, seq: int) -> dict[str, Any]:
    return {
        "kiosk_id": kiosk, "seq": seq, "sent_at": "2026-11-27T10:00:00+08:00", "app_version": "0.1.0",
        "uptime_s": 3600 + seq, "mode": "in_service", "in_transaction": False,
        "devices": {name: {"state": "online", "supplies": {"level": "ok"}, "counters": {"ops": seq}, "last_error": None}
                    for name in ("id_reader", "card_reader", "issuer", "camera", "pin_pad", "receipt_printer")},
        "link": {"online": True, "last_success_at": "2026-11-27T09:59:30+08:00", "consecutive_failures": 0},
        "queue": {"depth": seq % 3, "oldest_age_s": 0.0, "dead_letters": 0, "bytes": 0},
        "disk_free_bytes": 20_000_000_000,
    }


class _Pool:
    """Keep-alive HTTP/1.1 connections over asyncio streams: a load generator light enough that the
    server, not the client library, is what gets measured."""

    def __init__(self, port: int, size: int) -> None:
        self.port = port
        self.free: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
        self.size = size
        self.opened = 0

    async def request(self, method: str, path: str, body: bytes = b"", headers: str = "") -> int:
        if self.free.empty() and self.opened < self.size:
            self.opened += 1
            conn = await asyncio.open_connection("127.0.0.1", self.port)
        else:
            conn = await self.free.get()
        reader, writer = conn
        head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n{headers}\r\n")
        writer.write(head.encode() + body)
        status_line = await reader.readline()
        length = 0
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
        await reader.readexactly(length)
        self.free.put_nowait(conn)
        return int(status_line.split()[1])

    async def close(self) -> None:
        while not self.free.empty():
            _, writer = self.free.get_nowait()
            writer.close()


async def _beat(pool: _Pool, kiosk: str, seq: int, lat: list[float], errors: list[int]) -> None:
    body = json.dumps(_state(kiosk, seq), separators=(",", ":")).encode()
    t = time.perf_counter()
    try:
        status = await pool.request("POST", f"/v1/kiosks/{kiosk}/heartbeat", body, f"X-Kiosk-Id: {kiosk}\r\n")
    except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
        errors.append(0)
        return
    if status != 200:
        errors.append(status)
        return
    lat.append((time.perf_counter() - t) * 1000)


async def _closed_loop(port: int, seconds: float, concurrency: int, heartbeat: bool) -> tuple[int, list[float]]:
    lat: list[float] = []
    errors: list[int] = []
    done = 0
    stop = time.monotonic() + seconds
    pool = _Pool(port, concurrency)

    async def worker(w: int) -> None:
        nonlocal done
        seq = 0
        while time.monotonic() < stop:
            seq += 1
            if heartbeat:
                await _beat(pool, f"CAP-{w:04d}", seq, lat, errors)
            else:
                t = time.perf_counter()
                await pool.request("GET", "/v1/health")
                lat.append((time.perf_counter() - t) * 1000)
            done += 1

    await asyncio.gather(*(worker(w) for w in range(concurrency)))
    await pool.close()
    return done - len(errors), lat


async def _fleet(port: int, seconds: float) -> tuple[int, int, list[float]]:
    lat: list[float] = []
    errors: list[int] = []
    tasks: set[asyncio.Task[None]] = set()
    pool = _Pool(port, 256)
    start = time.monotonic()
    n = 0
    while True:
        due = start + n * INTERVAL_S / KIOSKS  # kiosk n % KIOSKS, its (n // KIOSKS)+1-th beat
        if due - start >= seconds:
            break
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(_beat(pool, f"FZ-{n % KIOSKS:05d}", n // KIOSKS + 1, lat, errors))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        n += 1
    await asyncio.gather(*tasks)
    await pool.close()
    return n, len(errors), lat


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(results: dict[str, float], report: list[str]) -> None:
    seconds = float(os.environ.get("CENTRAL_BENCH_SECONDS", "60"))
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.Popen([sys.executable, "-m", "central_sim.cli", "--port", str(port), "--db",
                                 str(Path(tmp) / "central.sqlite"), "--log-level", "warning"], cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    httpx.get(url + "/v1/health", timeout=1).raise_for_status()
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
            _, health_lat = asyncio.run(_closed_loop(port, 3, 8, heartbeat=False))
            cpu0, t0 = _cpu_s(proc.pid), time.monotonic()
            sent, errors, lat = asyncio.run(_fleet(port, seconds))
            cpu1, t1 = _cpu_s(proc.pid), time.monotonic()
            capacity_done, cap_lat = asyncio.run(_closed_loop(port, 10, 64, heartbeat=True))
        finally:
            proc.terminate()
            proc.wait(10)
    wall = t1 - t0
    rate = len(lat) / wall
    offered = KIOSKS / INTERVAL_S
    results["central.heartbeats_per_s"] = round(rate, 1)
    results["central.heartbeat_p99_ms"] = round(_pct(lat, 0.99), 2)
    results["central.heartbeat_p50_ms"] = round(_pct(lat, 0.50), 2)
    results["central.heartbeat_errors"] = float(errors)
    results["central.server_cpu_pct"] = round(100 * (cpu1 - cpu0) / wall, 1)
    results["central.heartbeat_capacity_per_s"] = round(capacity_done / 10, 1)
    results["central.health_p99_ms"] = round(_pct(health_lat, 0.99), 2)
    report += [
        "## Central: 2,000 kiosks heartbeating every 30 s (loopback, SQLite WAL synchronous=FULL)",
        "",
        "| measure | value |",
        "|---|---|",
        f"| offered load | {offered:.1f} heartbeats/s for {wall:.0f} s ({sent} sent) |",
        f"| sustained | {rate:.1f} heartbeats/s, {errors} errors |",
        f"| latency p50 / p99 | {_pct(lat, 0.5):.1f} ms / {_pct(lat, 0.99):.1f} ms |",
        f"| server CPU (one process) | {100 * (cpu1 - cpu0) / wall:.1f} % of one core |",
        f"| capacity (64 in flight, 10 s) | {capacity_done / 10:.0f} heartbeats/s, p99 {_pct(cap_lat, 0.99):.1f} ms |",
        f"| baseline: GET /v1/health p99 (no database) | {_pct(health_lat, 0.99):.1f} ms |",
    ]


if __name__ == "__main__":
    res: dict[str, float] = {}
    rep: list[str] = []
    run(res, rep)
    print("\n".join(rep))
    print(res)
