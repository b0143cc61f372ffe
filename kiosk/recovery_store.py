"""What crash recovery needs beyond the issuance journal, kept durably in the data directory.

* The card record of the production in progress (name, social security number, card number,
  bank account), sealed with AES-GCM under a key derived from the queue key: the journal holds
  only a masked card number, but the 回盘 needs the clear card number and the art. 27 ledger the
  personal columns. Each new production prunes the records of productions that have ended, so at
  most the records of interrupted productions stay on disk.
* Which recovery actions were already carried out for an interrupted production, so running
  recovery again (or after a crash during recovery) does not repeat them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from collections.abc import Collection
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kiosk.clock import CHINA_TZ
from kiosk.local_store import derive_key, open_durable
from kiosk.stock_ledger import CardRecord

_SCHEMA = """
CREATE TABLE IF NOT EXISTS production_context (
  application_id TEXT PRIMARY KEY, sealed BLOB NOT NULL, kept_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS recovery_actions (
  issue_id INTEGER NOT NULL, action TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (issue_id, action)
);
"""


class RecoveryStore:
    def __init__(self, path: Path, queue_key: bytes) -> None:
        self.path = path
        self._aead = AESGCM(derive_key(queue_key, b"recovery-context v1"))
        self._lock = threading.Lock()
        self._db = open_durable(path, _SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # ---- the sealed card record of a production -----------------------------------------------
    def keep(self, application_id: str, record: CardRecord, still_open: Collection[str] = ()) -> None:
        """Seal ``record`` for ``application_id``; drop every other record not in ``still_open``."""
        nonce = os.urandom(12)
        plain = json.dumps({"name": record.name, "ssn": record.ssn, "card_no": record.card_no,
                            "bank_account": record.bank_account}, ensure_ascii=False).encode("utf-8")
        sealed = nonce + self._aead.encrypt(nonce, plain, application_id.encode())
        keep = {application_id, *still_open}
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                marks = ",".join("?" * len(keep))
                self._db.execute(f"DELETE FROM production_context WHERE application_id NOT IN ({marks})",
                                 tuple(keep))
                self._db.execute("INSERT OR REPLACE INTO production_context (application_id, sealed, kept_at)"
                                 " VALUES (?,?,?)", (application_id, sealed, _now()))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def record_for(self, application_id: str) -> CardRecord | None:
        with self._lock:
            row = self._db.execute("SELECT sealed FROM production_context WHERE application_id = ?",
                                   (application_id,)).fetchone()
        if row is None:
            return None
        blob = bytes(row[0])
        try:
            d = json.loads(self._aead.decrypt(blob[:12], blob[12:], application_id.encode()))
        except (InvalidTag, ValueError):
            return None  # another key (a re-provisioned kiosk) or a damaged row: treated as lost
        return CardRecord(d["name"], d["ssn"], d["card_no"], d["bank_account"])

    def forget(self, application_id: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM production_context WHERE application_id = ?", (application_id,))

    def application_ids(self) -> list[str]:
        with self._lock:
            return [r[0] for r in self._db.execute("SELECT application_id FROM production_context")]

    # ---- recovery actions already done -----------------------------------------------------------
    def done(self, issue_id: int, action: str) -> bool:
        with self._lock:
            return self._db.execute("SELECT 1 FROM recovery_actions WHERE issue_id = ? AND action = ?",
                                    (issue_id, action)).fetchone() is not None

    def mark(self, issue_id: int, action: str) -> None:
        with self._lock:
            self._db.execute("INSERT OR IGNORE INTO recovery_actions (issue_id, action, at) VALUES (?,?,?)",
                             (issue_id, action, _now()))


def _now() -> str:
    return dt.datetime.now(CHINA_TZ).isoformat(timespec="milliseconds")
