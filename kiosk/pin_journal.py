"""A durable record of PIN changes and resets sent to a card, for crash recovery.

The start is written before the card command and the end after it returns (SQLite, WAL,
synchronous=FULL). A start without an end after a restart means the command may or may not have
reached the chip: nobody knows whether the PIN changed. Only a keyed hash of the card number is
stored (HMAC-SHA256 under a key derived from the queue key), never the card number or a PIN.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from kiosk.clock import CHINA_TZ
from kiosk.local_store import derive_key, open_durable

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pin_operations (
  op_id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL CHECK (kind IN ('change', 'reset')),
  card_hash TEXT NOT NULL,
  started_at TEXT NOT NULL,
  ended_at TEXT,
  outcome TEXT
);
"""
KEEP_ENDED = 1000  # ended operations kept for the maintenance screen; older ones are pruned


@dataclass(frozen=True)
class OpenPinOperation:
    op_id: int
    kind: str
    card_hash: str
    started_at: str


class PinJournal:
    def __init__(self, path: Path, queue_key: bytes) -> None:
        self._key = derive_key(queue_key, b"pin-journal v1")
        self._lock = threading.Lock()
        self._db = open_durable(path, _SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def card_hash(self, card_no: str) -> str:
        return hmac.new(self._key, card_no.encode("utf-8"), hashlib.sha256).hexdigest()[:32]

    @contextlib.contextmanager
    def operation(self, kind: str, card_no: str) -> Iterator[None]:
        """Journal the start, send the card command, journal its end (``returned`` or the error type)."""
        op_id = self.begin(kind, card_no)
        outcome = "returned"
        try:
            yield
        except BaseException as exc:
            outcome = f"error:{getattr(exc, 'code', type(exc).__name__)}"[:60]
            raise
        finally:
            self.end(op_id, outcome)

    def begin(self, kind: str, card_no: str) -> int:
        with self._lock:
            cur = self._db.execute("INSERT INTO pin_operations (kind, card_hash, started_at) VALUES (?,?,?)",
                                   (kind, self.card_hash(card_no), _now()))
            return int(cur.lastrowid or 0)

    def end(self, op_id: int, outcome: str) -> None:
        with self._lock:
            self._db.execute("UPDATE pin_operations SET ended_at = ?, outcome = ? WHERE op_id = ?",
                             (_now(), outcome, op_id))
            self._db.execute("DELETE FROM pin_operations WHERE ended_at IS NOT NULL AND op_id <= ?",
                             (op_id - KEEP_ENDED,))

    def unfinished(self) -> list[OpenPinOperation]:
        with self._lock:
            rows = self._db.execute("SELECT op_id, kind, card_hash, started_at FROM pin_operations"
                                    " WHERE ended_at IS NULL ORDER BY op_id").fetchall()
        return [OpenPinOperation(*r) for r in rows]

    def outcome(self, op_id: int) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT outcome FROM pin_operations WHERE op_id = ?", (op_id,)).fetchone()
        return None if row is None else row[0]


def _now() -> str:
    return dt.datetime.now(CHINA_TZ).isoformat(timespec="milliseconds")
