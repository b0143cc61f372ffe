"""Staged rollout: a release goes to a cohort, and stops by itself when too many kiosks fail it.

The rollout (one at a time) is a small JSON file beside the repository (``rollout.json``, not
served). ``tick`` is idempotent: it reads every kiosk's last heartbeat (``app_version`` and the
optional ``update{version, state, last_result}``), counts who succeeded and who rolled back or
failed, halts when the failure rate passes the threshold, and otherwise queues the ``update``
remote command for cohort kiosks not yet told. Ticks come from GET /_admin/rollout (the
``kiosk-release rollout --watch S`` loop calls it) and from the monitor page.

Cohort: ``percent`` picks kiosks by a stable hash of their id (the same kiosks stay in as the
percentage grows), ``kiosks`` names them.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from central_sim.clock import rfc3339
from central_sim.fleet import fleet, queue_command
from hal.atomic_file import write_atomic

ROLLOUT_FILE = "rollout.json"
_lock = threading.Lock()


@dataclass
class Rollout:
    version: str
    percent: float = 0.0
    kiosks: list[str] = field(default_factory=list)
    max_failure_rate: float = 0.2
    min_results: int = 3  # results needed before the rate is judged (1 failure of 1 is no trend)
    status: str = "active"  # active / halted / done
    halted_reason: str = ""
    commanded: list[str] = field(default_factory=list)
    succeeded: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def in_cohort(self, kiosk_id: str) -> bool:
        if kiosk_id in self.kiosks:
            return True
        bucket = int.from_bytes(hashlib.sha256(f"{self.version}:{kiosk_id}".encode()).digest()[:4], "big")
        return bucket % 10000 < self.percent * 100

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "failure_rate": self.failure_rate()}

    def failure_rate(self) -> float:
        done = len(self.succeeded) + len(self.failed)
        return len(self.failed) / done if done else 0.0


def load(updates_dir: Path) -> Rollout | None:
    try:
        data = json.loads((updates_dir / ROLLOUT_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    return Rollout(**data)


def save(updates_dir: Path, r: Rollout) -> None:
    # 0600: read only by the central itself (it lies beside, not inside, the served metadata/ and targets/)
    write_atomic(updates_dir / ROLLOUT_FILE, json.dumps(asdict(r), indent=1), mode=0o600)


def start(updates_dir: Path, spec: dict[str, Any]) -> Rollout:
    version = spec.get("version")
    if not isinstance(version, str) or not version:
        raise ValueError("version is required")
    percent = float(spec.get("percent", 0))
    kiosks = [str(k) for k in spec.get("kiosks", [])]
    if not 0 <= percent <= 100 or (percent == 0 and not kiosks):
        raise ValueError("give percent (0-100] or a kiosks list")
    rate = float(spec.get("max_failure_rate", 0.2))
    if not 0 <= rate < 1:
        raise ValueError("max_failure_rate must be in [0, 1)")
    r = Rollout(version=version, percent=percent, kiosks=kiosks, max_failure_rate=rate,
                min_results=int(spec.get("min_results", 3)))
    with _lock:
        old = load(updates_dir)
        if old is not None and old.version == version:  # widening the same rollout keeps its record
            r.commanded, r.succeeded, r.failed = old.commanded, old.succeeded, old.failed
        save(updates_dir, r)
    return r


def outcome(version: str, state: dict[str, Any]) -> str:
    """"ok", "failed" or "" (no verdict yet) for one kiosk's heartbeat."""
    raw = state.get("update")
    upd: dict[str, Any] = raw if isinstance(raw, dict) else {}
    result = str(upd.get("last_result", ""))
    if result.startswith((f"rolled_back {version}", f"failed {version}")):
        return "failed"
    if upd.get("version") == version and upd.get("state") == "good":
        return "ok"
    return ""


def tick(central: Any, updates_dir: Path) -> Rollout | None:
    with _lock:
        r = load(updates_dir)
        if r is None or r.status != "active":
            return r
        central.heartbeats.flush()
        with central.db.read() as tx:
            kiosks = fleet(tx)
        for k in kiosks:
            kid, verdict = k["kiosk_id"], outcome(r.version, k["state"])
            if verdict == "ok" and kid not in r.succeeded:
                r.succeeded.append(kid)
            elif verdict == "failed" and kid not in r.failed:
                r.failed.append(kid)
        done = len(r.succeeded) + len(r.failed)
        if done >= r.min_results and r.failure_rate() > r.max_failure_rate:
            r.status = "halted"
            r.halted_reason = f"{len(r.failed)} of {done} kiosks failed (limit {r.max_failure_rate:.0%})"
            save(updates_dir, r)
            return r
        todo = [k["kiosk_id"] for k in kiosks
                if r.in_cohort(k["kiosk_id"]) and k["kiosk_id"] not in r.commanded and not k["offline"]
                and k["state"].get("app_version") != r.version and outcome(r.version, k["state"]) == ""]
        for kid in todo:
            with central.db.transaction() as tx:
                queue_command(tx, kid, {"type": "update", "version": r.version}, rfc3339(central.now()))
            central.heartbeats.command_queued(kid)
            r.commanded.append(kid)
        cohort = [k["kiosk_id"] for k in kiosks if r.in_cohort(k["kiosk_id"])]
        if cohort and all(kid in r.succeeded for kid in cohort) and r.percent >= 100:
            r.status = "done"
        save(updates_dir, r)
        return r
