"""The card stock and spoiled-card ledger of regulation art. 27 (每日台账明细).

One row per card made or spoiled at this kiosk, in SQLite in the data directory. The
personal columns the regulation asks for (name, social security number, card number, bank
account) are stored only AES-GCM-encrypted (a key derived from the queue key); the clear
columns hold masked values for the maintenance screen. The day's ledger is uploaded through
the offline queue (kiosk.central.requests.STOCK_LEDGER; the central keeps one ledger per kiosk
and date, so each upload replaces that day's).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kiosk.domain.masking import mask_account, mask_card_no, mask_id, mask_name
from kiosk.local_store import derive_key, open_durable


class Kind(StrEnum):
    ISSUED = "issued"  # made and handed to the citizen
    SPOILED = "spoiled"  # 废卡: went to the reject box
    UNDELIVERED = "undelivered"  # made but not taken, and not retracted: still in the bezel
    RETAINED = "retained"  # made, not taken, retracted into the retain bin: held for the counter


@dataclass(frozen=True)
class LedgerRow:
    """The clear (masked) view of one ledger line."""

    row_id: int
    day: str
    kind: Kind
    at: str
    application_id: str
    name: str
    ssn: str
    card_no: str
    bank_account: str
    reason: str


@dataclass(frozen=True, repr=False)
class CardRecord:
    """The personal part of a ledger line (kept only encrypted)."""

    name: str = ""
    ssn: str = ""
    card_no: str = ""
    bank_account: str = ""

    def __repr__(self) -> str:
        return "CardRecord(<personal data>)"


_SCHEMA = """
CREATE TABLE IF NOT EXISTS ledger (
  row_id INTEGER PRIMARY KEY AUTOINCREMENT,
  day TEXT NOT NULL, kind TEXT NOT NULL, at TEXT NOT NULL, application_id TEXT NOT NULL,
  name_masked TEXT NOT NULL, ssn_masked TEXT NOT NULL, card_no_masked TEXT NOT NULL,
  account_masked TEXT NOT NULL, reason TEXT NOT NULL, sealed BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS ledger_day ON ledger(day);
"""


class StockLedger:
    def __init__(self, path: Path, queue_key: bytes, kiosk_id: str) -> None:
        self.kiosk_id = kiosk_id
        self._aead = AESGCM(derive_key(queue_key, b"stock-ledger v1"))
        self._lock = threading.Lock()
        self._db = open_durable(path, _SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def record(self, kind: Kind, at: dt.datetime, application_id: str, card: CardRecord, reason: str = "") -> int:
        day = at.date().isoformat()
        nonce = os.urandom(12)
        plain = json.dumps({"name": card.name, "ssn": card.ssn, "card_no": card.card_no,
                            "bank_account": card.bank_account}, ensure_ascii=False).encode("utf-8")
        sealed = nonce + self._aead.encrypt(nonce, plain, f"{day}|{application_id}".encode())
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO ledger (day, kind, at, application_id, name_masked, ssn_masked, card_no_masked,"
                " account_masked, reason, sealed) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (day, kind.value, at.isoformat(timespec="seconds"), application_id, mask_name(card.name),
                 mask_id(card.ssn), mask_card_no(card.card_no), mask_account(card.bank_account), reason[:80],
                 sealed))
            return int(cur.lastrowid or 0)

    def rows(self, day: dt.date) -> list[LedgerRow]:
        with self._lock:
            found = self._db.execute(
                "SELECT row_id, day, kind, at, application_id, name_masked, ssn_masked, card_no_masked,"
                " account_masked, reason FROM ledger WHERE day = ? ORDER BY row_id", (day.isoformat(),)).fetchall()
        return [LedgerRow(r[0], r[1], Kind(r[2]), *r[3:]) for r in found]

    def counts(self, day: dt.date) -> dict[str, int]:
        out = {k.value: 0 for k in Kind}
        for row in self.rows(day):
            out[row.kind.value] += 1
        return out

    def upload_body(self, day: dt.date) -> dict[str, Any]:
        """The day's ledger as the central expects it (personal fields in clear: only for the queue,
        which stores bodies encrypted)."""
        with self._lock:
            found = self._db.execute("SELECT kind, at, application_id, reason, sealed FROM ledger WHERE day = ?"
                                     " ORDER BY row_id", (day.isoformat(),)).fetchall()
        entries: list[dict[str, Any]] = []
        for kind, at, app_id, reason, sealed in found:
            blob = bytes(sealed)
            card = json.loads(self._aead.decrypt(blob[:12], blob[12:], f"{day.isoformat()}|{app_id}".encode()))
            entries.append({"kind": kind, "produced_at": at, "application_id": app_id, "reason": reason, **card})
        return {"date": day.isoformat(), "entries": entries}
