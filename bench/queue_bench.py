"""Offline queue benchmark: durable enqueue (4 KB, 40 KB) and backlog drain, with baselines in the same run.

Enqueue contenders, all WAL + synchronous=FULL with one commit (fsync) per item:
- ours: Outbox.enqueue, AES-256-GCM included;
- persist-queue's SQLiteAckQueue (auto_commit: one commit per put; synchronous forced to FULL);
- a bare SQLite loop (INSERT of the body, one commit per item);
- the same bare loop sealing the body with AES-256-GCM first: what encryption at rest alone costs,
  so the queue's own overhead can be told apart from it.
They run interleaved in short rounds on the same disk (the order rotates and flips each round, so
each takes every position equally often): drift in fsync latency and other processes' load hit all
three alike. A ratio is the median over rounds of (ours ÷ baseline) within the same round — the two
ran seconds apart — so a burst of load from elsewhere in one round does not decide it.
Drain: a 10,000-item backlog to the loopback central over real HTTP, single requests vs /v1/batch.
"""

from __future__ import annotations

import os
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

ROUNDS = 32  # 4 contenders: each takes every position four times in each direction
# Per contender, split over the rounds. A round holds about three of SQLite's automatic checkpoints
# (every 1,000 WAL pages: 333 items at 4 KB, 91 at 40 KB). A checkpoint halves the rate of the round
# it falls in, so with shorter rounds a per-round ratio compared a round with one to a round
# without, and the median followed where each contender's checkpoints fell, not its speed.
ITEMS = {4096: 32_000, 40960: 9_600}
DRAIN_ITEMS = 10_000
BUSY_CPUS = 0.5  # CPUs kept busy by other work, in the second before, above which the report flags it


def _busy_cpus(seconds: float = 1.0) -> float:
    """How many CPUs other processes kept busy over the next ``seconds`` (we sleep meanwhile).

    Not the load average: that still counts the benchmarks that ran just before this one.
    """

    def sample() -> tuple[int, int]:
        with open("/proc/stat", encoding="ascii") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
        return fields[3] + fields[4], sum(fields)  # idle + iowait, all

    idle0, all0 = sample()
    time.sleep(seconds)
    idle1, all1 = sample()
    return (os.cpu_count() or 1) * (1 - (idle1 - idle0) / max(1, all1 - all0))
DRAIN_SINGLE_ITEMS = 10_000


def _pct(samples: list[float], q: float) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, int(q * len(s)))]


class _Ours:
    name = "offline_queue"

    def __init__(self, d: Path) -> None:
        from offline_queue import BodyCipher, Bounds, Outbox, create_key_file

        key = create_key_file(d / "ours.key")
        self.ob = Outbox(d / "ours.sqlite", BodyCipher(key), Bounds(max_items=10**7, max_bytes=10**12))

    def put(self, body: bytes) -> None:
        self.ob.enqueue("POST", "/v1/persons/contact", body, service="contact_change", ordering_key="c1")

    def close(self) -> None:
        self.ob.close()


class _PersistQueue:
    name = "persist-queue SQLiteAckQueue"

    def __init__(self, d: Path) -> None:
        from persistqueue import SQLiteAckQueue

        self.q = SQLiteAckQueue(str(d / "pq"), auto_commit=True, multithreading=False)
        conns: list[Any] = [self.q._putter, self.q._getter]
        for conn in conns:
            conn.execute("PRAGMA synchronous=FULL")
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL, like ours and the bare loop

    def put(self, body: bytes) -> None:
        self.q.put(body)

    def close(self) -> None:
        self.q.close()


class _Bare:
    name = "bare SQLite loop"
    file = "bare.sqlite"

    def __init__(self, d: Path) -> None:
        self.c = sqlite3.connect(d / self.file, isolation_level=None)
        self.c.execute("PRAGMA journal_mode=WAL")
        self.c.execute("PRAGMA synchronous=FULL")
        self.c.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, data BLOB)")

    def put(self, body: bytes) -> None:
        self.c.execute("INSERT INTO t(data) VALUES (?)", (body,))

    def close(self) -> None:
        self.c.close()


class _BareSealed(_Bare):
    name = "bare SQLite loop + AES-GCM"
    file = "bare-sealed.sqlite"

    def __init__(self, d: Path) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        super().__init__(d)
        self.aead = AESGCM(AESGCM.generate_key(256))

    def put(self, body: bytes) -> None:
        nonce = os.urandom(12)
        self.c.execute("INSERT INTO t(data) VALUES (?)", (nonce + self.aead.encrypt(nonce, body, b"bench"),))


class _Run:
    """One contender's samples: per-item latencies and per-round rates."""

    def __init__(self) -> None:
        self.lat: list[float] = []
        self.rounds: list[float] = []  # items/s in each round
        self.total = 0.0

    def rate(self) -> float:
        return statistics.median(self.rounds)

    def ratio(self, other: _Run) -> float:
        """Median over rounds of self ÷ other, each pair measured in the same round."""
        return statistics.median(a / b for a, b in zip(self.rounds, other.rounds, strict=True))


def _enqueue(size: int, n: int) -> dict[str, _Run]:
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
        d = Path(tmp)
        contenders: list[Any] = [_Ours(d), _PersistQueue(d), _Bare(d), _BareSealed(d)]
        runs = {c.name: _Run() for c in contenders}
        per_round = n // ROUNDS
        for r in range(ROUNDS):
            k = (r // 2) % len(contenders)
            order = contenders[k:] + contenders[:k]
            for c in order if r % 2 == 0 else reversed(order):
                run = runs[c.name]
                body = os.urandom(size)
                t_round = time.perf_counter()
                for _ in range(per_round):
                    t0 = time.perf_counter()
                    c.put(body)
                    run.lat.append(time.perf_counter() - t0)
                elapsed = time.perf_counter() - t_round
                run.total += elapsed
                run.rounds.append(per_round / elapsed)
        for c in contenders:
            c.close()
    return runs


def _drain(batch: bool, items: int) -> float:
    from central_sim.server import run_in_thread
    from offline_queue import BodyCipher, Bounds, Forwarder, ForwarderConfig, Outbox, create_key_file
    from offline_queue.http_transport import HttpTransport

    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
        d = Path(tmp)
        handle = run_in_thread(str(d / "central.sqlite"), host="127.0.0.1", port=0, seed=False)
        try:
            ob = Outbox(d / "q.sqlite", BodyCipher(create_key_file(d / "k")), Bounds(max_items=10**6))
            for i in range(items):
                ob.enqueue(
                    "POST",
                    "/v1/_test/echo",
                    b'{"n": %d, "card_no": "A1234567X"}' % i,
                    service="test",
                    ordering_key=f"c{i % 500}",
                )
            cfg = ForwarderConfig(use_batch=batch, batch_threshold=20, backoff_base_s=0.01)
            # as the kiosk does (kiosk/queue_setup.py): the central acts only for a named kiosk
            fwd = Forwarder(ob, HttpTransport(handle.url, default_headers={"X-Kiosk-Id": "FZ-BENCH-0001"}), config=cfg)
            t0 = time.perf_counter()
            fwd.start()
            ok = fwd.flush(600)
            elapsed = time.perf_counter() - t0
            fwd.stop()
            assert ok and ob.status().depth == 0
            ob.close()
        finally:
            handle.stop()
    return items / elapsed


def run(results: dict[str, float], report: list[str]) -> None:
    report.append("## Offline queue (offline_queue/)")
    report.append("")
    report.append(
        "Durable enqueue: WAL + synchronous=FULL, one commit per item; ours includes AES-256-GCM. "
        f"{ROUNDS} interleaved rounds per size (order rotated and flipped each round; each round spans about "
        "three automatic checkpoints). items/s: median of "
        "the per-round rates (in brackets: all items ÷ all time, which a load burst from other processes "
        "skews); ratios: median of the per-round ratios; p50/p99 over every item."
    )
    report.append("")
    report.append("| body | contender | items/s | p50 ms | p99 ms |")
    report.append("|---|---|---:|---:|---:|")
    busy_before = _busy_cpus()  # the ratios move with other work on the machine: say how much there was
    for size, n in ITEMS.items():
        res = _enqueue(size, n)
        for name, run in res.items():
            report.append(
                f"| {size // 1024} KB | {name} | {run.rate():,.0f} ({len(run.lat) / run.total:,.0f}) "
                f"| {_pct(run.lat, 0.5) * 1000:.2f} | {_pct(run.lat, 0.99) * 1000:.2f} |"
            )
        ours = res[_Ours.name]
        tag = f"{size // 1024}k"
        results[f"queue.enqueue_ratio_vs_persistqueue_{tag}"] = round(ours.ratio(res[_PersistQueue.name]), 3)
        results[f"queue.enqueue_ratio_vs_bare_sqlite_{tag}"] = round(ours.ratio(res[_Bare.name]), 3)
        results[f"queue.enqueue_ratio_vs_bare_sealed_{tag}"] = round(ours.ratio(res[_BareSealed.name]), 3)
        results[f"queue.bare_sealed_ratio_vs_bare_{tag}"] = round(res[_BareSealed.name].ratio(res[_Bare.name]), 3)
        results[f"queue.enqueue_p99_ms_{tag}"] = round(_pct(ours.lat, 0.99) * 1000, 3)
        results[f"queue.enqueue_p99_ms_bare_{tag}"] = round(_pct(res[_Bare.name].lat, 0.99) * 1000, 3)
    report.append("")
    report.append(
        "Ratios (ours ÷ baseline, items/s): "
        f"vs persist-queue 4 KB {results['queue.enqueue_ratio_vs_persistqueue_4k']}, "
        f"40 KB {results['queue.enqueue_ratio_vs_persistqueue_40k']}; "
        f"vs bare loop 4 KB {results['queue.enqueue_ratio_vs_bare_sqlite_4k']}, "
        f"40 KB {results['queue.enqueue_ratio_vs_bare_sqlite_40k']}. "
        "Goals: ≥ 1.0 vs persist-queue, ≥ 0.85 vs bare, p99 < 2 ms at 4 KB. "
        f"Other work on the machine kept {busy_before:.2f} of {os.cpu_count()} CPUs busy in the second before "
        f"the enqueue runs, {_busy_cpus():.2f} in the second after."
    )
    report.append("")
    report.append(
        "Where the gap to the bare loop goes, in the same run: the bare loop sealing its body with AES-256-GCM "
        f"runs at {results['queue.bare_sealed_ratio_vs_bare_4k']} of the bare loop at 4 KB "
        f"({results['queue.bare_sealed_ratio_vs_bare_40k']} at 40 KB): that is what encryption at rest alone "
        f"costs. Ours runs at {results['queue.enqueue_ratio_vs_bare_sealed_4k']} of the sealed loop at 4 KB "
        f"({results['queue.enqueue_ratio_vs_bare_sealed_40k']} at 40 KB): the queue's own work (the row's "
        "columns, the item key, the ordering-key pseudonym, the associated data, bounds and counters). "
        "Profiled (strace, cProfile, timers around the INSERT): the I/O is the same as the bare loop's, per "
        "commit three 4 KB WAL frames and one fdatasync; the per-item CPU work is about 8 µs with warm caches, "
        "several times that right after each fsync, when the thread wakes on cold caches. Encryption at rest "
        "is a requirement, so no goal is met by weakening it."
    )
    report.append("")
    if busy_before > BUSY_CPUS:
        report.append(
            f"**Measured on a busy machine** ({busy_before:.2f} CPUs busy with other work): other processes run "
            "between one fsync and the next item, and the ratios to the bare loop fall with them (by a quarter "
            "with the test suite running beside the bench). Re-run with nothing else running to compare with the "
            "goals."
        )
        report.append("")
    single = _drain(batch=False, items=DRAIN_SINGLE_ITEMS)
    batched = _drain(batch=True, items=DRAIN_ITEMS)
    results["queue.drain_items_per_s_single"] = round(single, 1)
    results["queue.drain_items_per_s_batch"] = round(batched, 1)
    report.append(
        f"Drain to the loopback reference central (central_sim, real HTTP): a {DRAIN_ITEMS:,}-item "
        f"backlog through /v1/batch {batched:,.0f} items/s; single requests (baseline, "
        f"{DRAIN_SINGLE_ITEMS:,}-item backlog) {single:,.0f} items/s; ×{batched / single:.1f}. "
        "Goal: > 2,000 items/s with batching (the central commits each batch once)."
    )
