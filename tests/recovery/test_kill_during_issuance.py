"""Kill the kiosk (SIGKILL) at every step of instant issuance, restart it, and check what crash
recovery did: the card in the reject box (or, once presented, left for staff), the art. 27 ledger,
the failed 回盘 at the central (application → production_failed, for counter delivery), the
alarm at the central, the journal closed, and a second recovery that does nothing.

Each run: a reference central in this process (port 0, its own SQLite), a kiosk subprocess doing
apply + instant issue on simulators slowed to 0.3 s a step, a watcher reading the issuance
journal and the printer's persisted state from outside, then a second kiosk process. The eleven
runs go three at a time (mostly waiting on sleeps).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from central_sim.server import run_in_thread

ROOT = Path(__file__).resolve().parents[2]
Rows = list[tuple[str, str]]
Watch = Callable[[Rows, str], bool]


def _last(step: str, phase: str, position: str | None = None, not_position: str | None = None) -> Watch:
    def hit(rows: Rows, pos: str) -> bool:
        return bool(rows) and rows[-1] == (step, phase) and (position is None or pos == position) \
            and (not_position is None or pos != not_position)
    return hit


def _seen(step: str, phase: str) -> Watch:
    return lambda rows, _pos: (step, phase) in rows


# target → (when to kill, where the card must end up)
TARGETS: dict[str, tuple[Watch, str]] = {
    "feeding": (_last("fed", "before", position="none"), "none_fed"),
    "fed_moving": (_last("fed", "before", position="contact"), "rejected"),
    "fed": (_seen("fed", "after"), "rejected"),
    "personalising": (_seen("personalised", "before"), "rejected"),
    "personalised": (_seen("personalised", "after"), "rejected"),
    "verifying": (_seen("verified", "before"), "rejected"),
    "verified": (_seen("verified", "after"), "rejected"),
    "printing": (_seen("printed", "before"), "rejected"),
    "printed": (_seen("printed", "after"), "rejected"),
    "ejecting": (_last("ejected", "before", not_position="bezel"), "rejected"),
    "ejected_moving": (_last("ejected", "before", position="bezel"), "uncollected"),
}


@dataclass
class Outcome:
    killed_at: Rows
    position_at_kill: str
    recovered: dict[str, Any]
    app_status: str | None
    failure_note: str
    central_alarms: list[str]


def _journal_rows(path: Path) -> Rows:
    if not path.exists():
        return []
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0.5)
        try:
            return [(r[0], r[1]) for r in db.execute(
                "SELECT step, phase FROM steps WHERE issue_id = (SELECT MAX(issue_id) FROM issuances)"
                " ORDER BY seq")]
        finally:
            db.close()
    except sqlite3.Error:
        return []


def _position(path: Path) -> str:
    try:
        return str(json.loads(path.read_text("utf-8"))["position"])
    except (OSError, ValueError, KeyError):
        return "none"


def _worker(mode: str, workdir: Path, url: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "tests.recovery.kill_worker", mode, str(workdir), url],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def _run(target: str, base: Path) -> Outcome:
    watch, _ = TARGETS[target]
    workdir = base / target
    workdir.mkdir()
    central = run_in_thread(str(workdir / "central.sqlite"), port=0)
    try:
        data = workdir / "kiosk"
        journal, state = data / "issuance_journal.sqlite", data / "sim_issuer.json"
        proc = _worker("issue", workdir, central.url)
        deadline = time.monotonic() + 40
        rows: Rows = []
        try:
            while True:
                rows, pos = _journal_rows(journal), _position(state)
                if watch(rows, pos):
                    proc.send_signal(signal.SIGKILL)  # a power cut, as far as the kiosk can tell
                    break
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"{target}: never reached (journal {rows}, printer {pos})")
                time.sleep(0.005)
        finally:
            proc.kill()
            proc.wait(10)
            assert proc.stdout is not None
            proc.stdout.close()
        killed_rows, killed_pos = _journal_rows(journal), _position(state)
        rec = _worker("recover", workdir, central.url)
        out, _ = rec.communicate(timeout=40)
        assert rec.returncode == 0, f"{target}: recovery process failed ({rec.returncode})"
        recovered = json.loads(out.strip().splitlines()[-1])
        app_ids = [r["application_id"] for r in recovered["first"]["issuances"]]
        with central.central.db.read() as tx:
            app = tx.one("SELECT status FROM applications WHERE application_id = ?", tuple(app_ids[:1]))
            note = tx.one("SELECT note FROM application_timeline WHERE application_id = ? AND"
                          " status = 'production_failed'", tuple(app_ids[:1]))
            alarms = [r["code"] for r in tx.all("SELECT code FROM kiosk_events", ())]
        return Outcome(killed_rows, killed_pos, recovered, app["status"] if app else None,
                       note["note"] if note else "", alarms)
    finally:
        central.stop()


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Outcome]]:
    base = tmp_path_factory.mktemp("kills")
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {t: pool.submit(_run, t, base) for t in TARGETS}
        yield {t: f.result() for t, f in futures.items()}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("target", list(TARGETS))
def test_kill_at_step_then_restart_resolves_it(outcomes: dict[str, Outcome], target: str) -> None:
    o = outcomes[target]
    fate = TARGETS[target][1]
    first, second = o.recovered["first"], o.recovered["second"]
    # recovery found exactly the interrupted production and put the card where it belongs
    [resolved] = first["issuances"]
    assert resolved["fate"] == fate, (target, o.killed_at, o.position_at_kill, resolved)
    assert resolved["result_queued"] and resolved["closed"]
    issuer = o.recovered["issuer"]
    ledger = o.recovered["ledger"]
    if fate == "rejected":
        assert issuer["rejected"] == 1 and issuer["position"] == "none"
        assert [(r["kind"], r["reason"]) for r in ledger] == [("spoiled", "crash_recovery")]
        assert ledger[0]["card_no"].startswith("A") and "*" in ledger[0]["card_no"]  # masked view
    elif fate == "uncollected":
        assert issuer["rejected"] == 0 and issuer["position"] == "bezel"  # it cannot be pulled back
        assert [(r["kind"], r["reason"]) for r in ledger] == [("undelivered", "crash_recovery")]
    else:  # killed before the feed moved a card: nothing to reject, nothing spoiled
        assert issuer["rejected"] == 0 and issuer["blanks"] == 100 and issuer["position"] == "none"
        assert ledger == []
    # the failed 回盘 reached the central: the application goes to counter delivery
    assert o.recovered["delivered"]
    assert o.app_status == "production_failed"
    assert "crash_recovery" in o.failure_note and "counter" in o.failure_note
    # an alarm, masked, at the kiosk and at the central
    [alarm] = [a for a in o.recovered["alarms"] if a["code"] == "crash_recovery"]
    assert alarm["severity"] == ("critical" if fate == "uncollected" else "warning")
    assert "A*" in alarm["message"] and "13800000001" not in alarm["message"]
    assert "crash_recovery" in o.central_alarms
    # the journal is closed, the sealed card record gone, and a second recovery does nothing
    assert o.recovered["unfinished"] == 0 and o.recovered["outcomes"] == ["abandoned"]
    assert o.recovered["contexts"] == []
    assert second == {"issuances": [], "pin_operations": []}
