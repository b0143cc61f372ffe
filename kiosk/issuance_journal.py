"""A durable journal of the physical steps of card production, for crash recovery.

Each physical step is written *before* it starts and *after* it ends (SQLite, WAL,
synchronous=FULL). After a crash, :meth:`IssuanceJournal.unfinished` lists every production
that never reached an end, with its last step and whether that step completed, which tells
a recovery module where the card is: a ``fed``/``personalised``/``verified`` card sits at the
contact station, a ``printed`` one at the print head, an ``ejected`` one in the bezel.
No personal data: the application id and a masked card number only.

Steps, in order: fed → personalised → verified → printed → ejected (→ taken), or rejected.
Ends: done, spoiled (sent to the reject box), failed, abandoned.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from kiosk.clock import CHINA_TZ
from kiosk.local_store import open_durable


class Step(StrEnum):
    FED = "fed"
    PERSONALISED = "personalised"
    VERIFIED = "verified"
    PRINTED = "printed"
    EJECTED = "ejected"
    TAKEN = "taken"
    REJECTED = "rejected"


class Outcome(StrEnum):
    DONE = "done"
    SPOILED = "spoiled"
    FAILED = "failed"
    ABANDONED = "abandoned"  # recovery decided


@dataclass(frozen=True)
class OpenIssuance:
    issue_id: int
    application_id: str
    attempt: int
    card_no_masked: str
    last_step: Step | None
    completed: bool  # False: the crash happened during last_step
    started_at: str


_SCHEMA = """
CREATE TABLE IF NOT EXISTS issuances (
  issue_id INTEGER PRIMARY KEY AUTOINCREMENT,
  application_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  card_no_masked TEXT NOT NULL,
  started_at TEXT NOT NULL,
  outcome TEXT,
  ended_at TEXT
);
CREATE TABLE IF NOT EXISTS steps (
  issue_id INTEGER NOT NULL REFERENCES issuances(issue_id),
  seq INTEGER NOT NULL,
  step TEXT NOT NULL,
  phase TEXT NOT NULL CHECK (phase IN ('before', 'after', 'error')),
  at TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (issue_id, seq)
);
"""


def _now() -> str:
    return dt.datetime.now(CHINA_TZ).isoformat(timespec="milliseconds")


class IssuanceJournal:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db = open_durable(path, _SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def start(self, application_id: str, attempt: int, card_no_masked: str) -> int:
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO issuances (application_id, attempt, card_no_masked, started_at) VALUES (?,?,?,?)",
                (application_id, attempt, card_no_masked, _now()))
            return int(cur.lastrowid or 0)

    def _write(self, issue_id: int, step: Step, phase: str, detail: str = "") -> None:
        with self._lock:
            seq = self._db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM steps WHERE issue_id = ?",
                                   (issue_id,)).fetchone()[0]
            self._db.execute("INSERT INTO steps (issue_id, seq, step, phase, at, detail) VALUES (?,?,?,?,?,?)",
                             (issue_id, seq, step.value, phase, _now(), detail[:120]))

    @contextlib.contextmanager
    def step(self, issue_id: int, step: Step) -> Iterator[None]:
        """Journal ``before``, run the physical step, journal ``after`` (or ``error`` with its type)."""
        self._write(issue_id, step, "before")
        try:
            yield
        except BaseException as exc:
            self._write(issue_id, step, "error", getattr(exc, "code", type(exc).__name__))
            raise
        self._write(issue_id, step, "after")

    def mark(self, issue_id: int, step: Step, detail: str = "") -> None:
        """A step observed rather than performed (e.g. the citizen took the card)."""
        self._write(issue_id, step, "after", detail)

    def finish(self, issue_id: int, outcome: Outcome) -> None:
        with self._lock:
            self._db.execute("UPDATE issuances SET outcome = ?, ended_at = ? WHERE issue_id = ?",
                             (outcome.value, _now(), issue_id))

    def unfinished(self) -> list[OpenIssuance]:
        """Productions without an end: where a card may have been left after a crash."""
        with self._lock:
            rows = self._db.execute(
                "SELECT i.issue_id, i.application_id, i.attempt, i.card_no_masked, i.started_at,"
                " (SELECT step FROM steps s WHERE s.issue_id = i.issue_id ORDER BY seq DESC LIMIT 1),"
                " (SELECT phase FROM steps s WHERE s.issue_id = i.issue_id ORDER BY seq DESC LIMIT 1)"
                " FROM issuances i WHERE i.outcome IS NULL ORDER BY i.issue_id").fetchall()
        return [OpenIssuance(r[0], r[1], r[2], r[3], Step(r[5]) if r[5] else None, r[6] == "after", r[4])
                for r in rows]

    def history(self, issue_id: int) -> list[tuple[str, str]]:
        """(step, phase) in order, for tests and the maintenance screen."""
        with self._lock:
            return [(r[0], r[1]) for r in self._db.execute(
                "SELECT step, phase FROM steps WHERE issue_id = ? ORDER BY seq", (issue_id,))]

    def outcome(self, issue_id: int) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT outcome FROM issuances WHERE issue_id = ?", (issue_id,)).fetchone()
        return None if row is None else row[0]
