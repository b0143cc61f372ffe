"""SIGKILL many times (80 in `make test`, 200 in `make stress`) during enqueue, during forwarding
and between the central's commit and our ack.

Four independent kiosk databases run in parallel; each is killed again and again (every run is
a fresh process), then restarted once more and drained against the central. Then:
- every key the kiosk confirmed is applied at the central exactly once;
- a key attempted but never confirmed is applied once if its row was durable, otherwise never;
- the central saw replays at most — no key has a second effect, no unknown key appears.
"""

from __future__ import annotations

import os
import queue
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from offline_queue import BodyCipher, Forwarder, ForwarderConfig, Outbox, load_key_file
from offline_queue.http_transport import HttpTransport
from tests.queue.conftest import Central

ROOT = Path(__file__).resolve().parents[2]
CHAINS = 4
# `make stress` raises this to 50 (200 kills); the suite keeps 20 per chain to stay within its time budget.
KILLS_PER_CHAIN = int(os.environ.get("QUEUE_KILLS_PER_CHAIN", "20"))
MODES = ["enqueue", "forward", "ack"]


def _run_chain(n: int, tmp: Path, key: Path, url: str, kills: Counter[str], errors: list[str]) -> None:
    rng = random.Random(1000 + n)
    db, log = tmp / f"kiosk{n}.sqlite", tmp / f"kiosk{n}.log"
    zygote = subprocess.Popen(
        [sys.executable, "-m", "tests.queue.crash_worker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        text=True,
        bufsize=1,
    )
    assert zygote.stdin is not None and zygote.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    out = zygote.stdout

    def pump() -> None:
        for ln in out:
            lines.put(ln.strip())

    threading.Thread(target=pump, daemon=True).start()

    def next_line(timeout: float) -> str:
        try:
            return lines.get(timeout=timeout)
        except queue.Empty:
            return ""

    done = runs = 0
    try:
        while done < KILLS_PER_CHAIN and runs < KILLS_PER_CHAIN * 3:
            runs += 1
            mode = MODES[done % 3]
            zygote.stdin.write(
                f"run --db {db} --key {key} --url {url} --log {log} --mode {mode} --seed {rng.randrange(1 << 30)}\n"
            )
            line = next_line(30)
            if line.startswith("ready ") and mode != "ack":
                time.sleep(rng.uniform(0.0, 0.25 if mode == "enqueue" else 0.4))
                zygote.stdin.write("kill\n")
            else:
                zygote.stdin.write("wait\n")
            while not line.startswith("exit "):
                line = next_line(60)
                if not line:
                    errors.append(f"chain {n} {mode}: no exit reported")
                    return
            status = int(line.split()[2])
            if status == -signal.SIGKILL:
                done += 1
                kills[mode] += 1
            elif status != 0:
                errors.append(f"chain {n} {mode}: exit {status}")
                return
    finally:
        zygote.stdin.close()
        zygote.wait(30)


def _read_log(path: Path) -> tuple[set[str], set[str]]:
    attempted: set[str] = set()
    confirmed: set[str] = set()
    for line in path.read_text().splitlines():
        parts = line.split(" ")
        if len(parts) == 2 and len(parts[1]) == 36:  # a line cut by the kill is ignored
            (attempted if parts[0] == "A" else confirmed).add(parts[1])
    return attempted, confirmed


@pytest.mark.slow
def test_sigkill_many_times_then_drain_exactly_once(tmp_path: Path, key_path: Path, central: Central) -> None:
    central.faults(path="*", lost_after_commit_rate=0.05)
    kills: Counter[str] = Counter()
    errors: list[str] = []
    threads = [
        threading.Thread(target=_run_chain, args=(n, tmp_path, key_path, central.url, kills, errors))
        for n in range(CHAINS)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    total = CHAINS * KILLS_PER_CHAIN
    assert sum(kills.values()) >= total and min(kills[m] for m in MODES) >= total * 3 // 10, kills
    central.clear_faults()

    cipher = BodyCipher(load_key_file(key_path))
    all_attempted: set[str] = set()
    in_db_total = 0
    for n in range(CHAINS):
        db = tmp_path / f"kiosk{n}.sqlite"
        assert sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        ob = Outbox(db, cipher)
        fwd = Forwarder(ob, HttpTransport(central.url), config=ForwarderConfig(backoff_base_s=0.01))
        fwd.start()
        assert fwd.flush(60)
        fwd.stop()
        st = ob.status()
        assert (st.depth, st.dead_letters, st.set_aside) == (0, 0, 0)
        attempted, confirmed = _read_log(tmp_path / f"kiosk{n}.log")
        in_db = {r[0] for r in ob._conn.execute("SELECT idempotency_key FROM items")}
        ob.close()
        assert confirmed <= in_db, "a confirmed item was lost"
        assert in_db <= attempted
        all_attempted |= attempted
        in_db_total += len(in_db)
        effects, _ = central.effects()
        for k in attempted:
            assert effects.get(k, 0) == (1 if k in in_db else 0), k
    effects, replays = central.effects()
    assert set(effects) <= all_attempted and set(effects.values()) == {1}
    assert len(effects) == in_db_total
    print(f"kills={dict(kills)} keys={len(effects)} replays={replays} unconfirmed={len(all_attempted) - in_db_total}")
