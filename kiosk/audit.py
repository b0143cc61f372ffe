"""Append-only, hash-chained audit log of technician actions and citizen transaction outcomes.

One JSON record per line. Each record holds ``prev`` (the previous record's hash) and ``hash``,
an HMAC-SHA256 (keyed from the queue key, so someone holding only the disk cannot forge a
consistent chain) over the record's canonical JSON. ``verify`` finds a deleted, edited, inserted
or reordered record. Text fields are scrubbed; callers pass codes and masked values only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.clock import CHINA_TZ
from kiosk.domain.masking import scrub
from kiosk.local_store import derive_key

GENESIS = "0" * 64
MAX_FIELD = 200
MAX_RECORD = 8192  # a longer line is not one of ours
AUDIT_FILE = "audit.log"


def audit_key(queue_key: bytes) -> bytes:
    return derive_key(queue_key, b"audit chain v1")


def _canonical(record: dict[str, Any]) -> bytes:
    return json.dumps({k: v for k, v in record.items() if k != "hash"}, sort_keys=True,
                      ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _digest(key: bytes, record: dict[str, Any]) -> str:
    return hmac.new(key, _canonical(record), hashlib.sha256).hexdigest()


def _clean(text: str) -> str:
    return scrub("".join(c if c.isprintable() else " " for c in str(text)))[:MAX_FIELD]


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    records: int
    bad_line: int | None = None  # 1-based line of the first problem
    problem: str = ""

    def __str__(self) -> str:
        if self.ok:
            return f"审计日志完整 audit log intact: {self.records} records"
        return f"审计日志被篡改 audit log broken at line {self.bad_line}: {self.problem}"


class AuditLog:
    def __init__(self, path: Path, key: bytes) -> None:
        self.path = path
        self._key = key
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._seq, self._head = self._tail()

    def _tail(self) -> tuple[int, str]:
        """The last record's seq and hash, read from the end of the file (a year of records is big)."""
        try:
            with self.path.open("rb") as fh:
                size = fh.seek(0, os.SEEK_END)
                fh.seek(max(0, size - 4 * MAX_RECORD))
                lines = fh.read().splitlines()
        except FileNotFoundError:
            return 0, GENESIS
        for raw in reversed(lines):
            try:
                rec = json.loads(raw.decode("utf-8"))
            except (ValueError, RecursionError):
                continue  # a torn or damaged last line: `verify` reports it
            if isinstance(rec, dict) and isinstance(rec.get("seq"), int):
                return rec["seq"], str(rec.get("hash", GENESIS))
        return 0, GENESIS

    def _records(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """The readable records (a damaged line is skipped here; ``verify`` reports it)."""
        try:
            with self.path.open("r", encoding="utf-8", errors="replace") as fh:
                for n, line in enumerate(fh, 1):
                    try:
                        rec = json.loads(line[:MAX_RECORD]) if line.strip() else None
                    except (ValueError, RecursionError):
                        continue
                    if isinstance(rec, dict):
                        yield n, rec
        except FileNotFoundError:
            return

    def append(self, kind: str, actor: str, action: str, outcome: str, detail: str = "") -> dict[str, Any]:
        """Add one record; returns it. ``kind``: technician / transaction / system."""
        with self._lock:
            record: dict[str, Any] = {
                "seq": self._seq + 1,
                "at": dt.datetime.now(CHINA_TZ).isoformat(timespec="seconds"),
                "kind": _clean(kind), "actor": _clean(actor), "action": _clean(action),
                "outcome": _clean(outcome), "detail": _clean(detail), "prev": self._head,
            }
            record["hash"] = _digest(self._key, record)
            line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o600)
            try:
                os.write(fd, line.encode("utf-8"))
                os.fsync(fd)
            finally:
                os.close(fd)
            self._seq, self._head = record["seq"], record["hash"]
            return record

    def records(self) -> list[dict[str, Any]]:
        return [r for _, r in self._records()]

    def verify(self) -> VerifyResult:
        return verify_file(self.path, self._key)


def verify_file(path: Path, key: bytes) -> VerifyResult:
    prev, seq, count = GENESIS, 0, 0
    try:
        fh = path.open("r", encoding="utf-8", errors="replace")  # a damaged byte is a broken record
    except FileNotFoundError:
        return VerifyResult(True, 0)
    with fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line[:MAX_RECORD])
            except (ValueError, RecursionError):
                return VerifyResult(False, count, n, "not a JSON record")
            if not isinstance(rec, dict):
                return VerifyResult(False, count, n, "not a JSON record")
            if rec.get("seq") != seq + 1:
                return VerifyResult(False, count, n, f"sequence {rec.get('seq')} follows {seq} "
                                                     "(a record was deleted, inserted or moved)")
            if rec.get("prev") != prev:
                return VerifyResult(False, count, n, "does not chain to the previous record")
            if not hmac.compare_digest(str(rec.get("hash", "")), _digest(key, rec)):
                return VerifyResult(False, count, n, "hash mismatch (the record was edited)")
            prev, seq, count = rec["hash"], rec["seq"], count + 1
    return VerifyResult(True, count)
