"""Child process for the crash test; the parent SIGKILLs it (or it SIGKILLs itself) at random points.

Modes:
  enqueue  enqueue in a tight loop; the parent kills it at a random moment (mid-enqueue mostly)
  forward  enqueue a few, then forward; the parent kills it at a random moment
  ack      enqueue a few, then forward; right after the central answered 2xx (committed) and
           before the local ack is written, the process SIGKILLs itself
Every key is logged as "A <key>" before enqueue() and "C <key>" once enqueue() returned
(= the kiosk told the citizen "accepted").

Run as ``python -m tests.queue.crash_worker`` it is a fork server: it imports everything once,
then for each "run ARGS…" line on stdin forks a fresh child (a real process, killed for real),
which prints "ready PID". The next stdin line is "kill" (SIGKILL it now) or "wait"; the server
then reaps it and prints "exit PID STATUS". Only the server kills, and only a child it has not
reaped yet, so a recycled pid can never be hit. Forking saves start-up and imports for 200 runs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import uuid
from collections.abc import Sequence

from offline_queue import (
    BatchItem,
    BatchItemResult,
    BodyCipher,
    Forwarder,
    ForwarderConfig,
    Outbox,
    TransportResponse,
    load_key_file,
)
from offline_queue.http_transport import HttpTransport


class KillAfterCommit:
    """Wraps the real transport: dies between the central's commit and our ack, with probability p."""

    def __init__(self, inner: HttpTransport, p: float, rng: random.Random) -> None:
        self.inner, self.p, self.rng = inner, p, rng

    def _maybe_die(self) -> None:
        if self.rng.random() < self.p:
            os.kill(os.getpid(), signal.SIGKILL)

    def send(self, method: str, path: str, body: bytes, idempotency_key: str) -> TransportResponse:
        r = self.inner.send(method, path, body, idempotency_key)
        if 200 <= r.status < 300:
            self._maybe_die()
        return r

    def send_batch(self, items: Sequence[BatchItem]) -> list[BatchItemResult]:
        out = self.inner.send_batch(items)
        self._maybe_die()
        return out


def run(argv: list[str]) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--url", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--mode", choices=["enqueue", "forward", "ack"], required=True)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    rng = random.Random(a.seed)
    log = os.open(a.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    ob = Outbox(a.db, BodyCipher(load_key_file(a.key)))

    def enqueue_one() -> None:
        key = str(uuid.uuid4())
        body = json.dumps({"k": key[:8], "pad": "x" * rng.choice([10, 500, 4000, 20000])}).encode()
        os.write(log, f"A {key}\n".encode())
        ob.enqueue(
            "POST",
            "/v1/_test/echo",
            body,
            service="test",
            idempotency_key=key,
            ordering_key=f"c{rng.randrange(20)}",
            priority=rng.randrange(3),
        )
        os.write(log, f"C {key}\n".encode())

    if a.mode == "enqueue":
        print(f"ready {os.getpid()}", flush=True)
        while True:
            enqueue_one()
    for _ in range(rng.randrange(5, 30)):
        enqueue_one()
    inner = HttpTransport(a.url, connect_timeout_s=1.0, read_timeout_s=2.0)
    transport = KillAfterCommit(inner, 0.35, rng) if a.mode == "ack" else inner
    cfg = ForwarderConfig(
        batch_threshold=rng.choice([5, 20, 1000]),
        batch_size=rng.choice([10, 50, 100]),
        backoff_base_s=0.01,
        backoff_cap_s=0.05,
        idle_poll_s=0.05,
    )
    fwd = Forwarder(ob, transport, config=cfg)
    fwd.start()
    print(f"ready {os.getpid()}", flush=True)
    fwd.flush(20)
    fwd.stop()  # drained without being killed (the parent does not count this run)


def zygote() -> None:
    for line in sys.stdin:
        if not line.startswith("run "):
            continue
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                run(line.split()[1:])
            except BaseException:
                import traceback

                traceback.print_exc()
                code = 1
            sys.stdout.flush()
            os._exit(code)
        if sys.stdin.readline().strip() == "kill":
            os.kill(pid, signal.SIGKILL)  # not reaped yet: the pid is still our child's
        _, status = os.waitpid(pid, 0)
        print(f"exit {pid} {os.waitstatus_to_exitcode(status)}", flush=True)


if __name__ == "__main__":
    zygote()
