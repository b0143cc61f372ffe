"""Exactly-once under mixed faults and under a killed server process (real processes, real SQLite files)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from central_sim.server import ServerHandle
from central_sim.storage import open_database

ROOT = Path(__file__).resolve().parents[2]
ECHO = "/v1/_test/echo"


def _deliver(http: httpx.Client, key: str, deadline: float) -> bool:
    """Retry with the same key until the central answers 200 (what the offline queue does)."""
    while time.monotonic() < deadline:
        try:
            r = http.post(ECHO, json={"key": key}, headers={"Idempotency-Key": key}, timeout=0.25)
            if r.status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.01)
    return False


def test_every_request_applied_exactly_once_under_mixed_faults(central: ServerHandle, admin: httpx.Client) -> None:
    central.faults.rng.seed(7)
    admin.post("/_admin/faults", json={"path": "*", "error_rate": 0.2, "reset_rate": 0.1, "timeout_rate": 0.05,
                                       "timeout_s": 0.35, "lost_after_commit_rate": 0.2}).raise_for_status()
    keys = [f"chaos-{i}" for i in range(40)]
    deadline = time.monotonic() + 30
    with httpx.Client(base_url=central.url) as http:
        assert all(_deliver(http, k, deadline) for k in keys)
    admin.delete("/_admin/faults")
    time.sleep(0.4)  # let timed-out requests still sleeping in the server finish
    effects, replays = admin.get("/_admin/effects").json().values()
    assert effects == {k: 1 for k in keys}
    assert replays > 0  # some answers were lost after commit and replayed on retry


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(db: Path, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, "-m", "central_sim.cli", "--port", str(port), "--db", str(db),
                             "--no-seed", "--log-level", "warning"], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=0.5).raise_for_status()
            return proc
        except httpx.HTTPError:
            time.sleep(0.05)
    proc.kill()
    raise AssertionError("central-sim did not start")


def test_kill_9_mid_traffic_never_half_applies(tmp_path: Path) -> None:
    db, port = tmp_path / "central.sqlite", _free_port()
    url = f"http://127.0.0.1:{port}"
    keys = [f"crash-{i}" for i in range(60)]
    acked: list[str] = []
    proc = _start(db, port)

    def send_all() -> None:  # a kiosk retrying each request with its key until acknowledged
        with httpx.Client(base_url=url) as http:
            for key in keys:
                assert _deliver(http, key, time.monotonic() + 30)
                acked.append(key)

    sender = threading.Thread(target=send_all)
    sender.start()
    while len(acked) < 20:
        time.sleep(0.001)
    os.kill(proc.pid, signal.SIGKILL)  # requests are in flight: some mid-transaction
    proc.wait()
    proc = _start(db, port)
    sender.join(60)
    proc.send_signal(signal.SIGTERM)
    proc.wait(10)
    assert acked == keys
    database = open_database(str(db))
    with database.read() as tx:
        effects = {r["key"]: r["n"] for r in tx.all("SELECT key, n FROM test_effects")}
        outcomes = {r["key"] for r in tx.all("SELECT key FROM idempotency")}
    database.close()
    assert effects == {k: 1 for k in keys} and outcomes == set(keys)
