"""Append-only, hash-chained audit log of technician actions and citizen transaction outcomes.

One JSON record per line. Each record holds ``prev`` (the previous record's hash) and ``hash``,
an HMAC-SHA256 over the record's canonical JSON, keyed by the audit key: its own file
(``audit.key``, 0600, like every secret), never derived from the queue key. Records written
before that key existed (no ``"k"``) verify with the old queue-derived key, and only when the
record right after them, of the new key, seals them (``legacy_until``: their last seq).

The key is on the kiosk's disk, so whoever holds the disk can rebuild a consistent chain. What
they cannot rebuild is the central's copy of the head: the head (seq, hash) goes out with every
heartbeat and every technician_action event, and ``verify_file(..., anchors=...)`` checks the log
against the heads the central anchored (docs/security.md, "The audit log").
Text fields are scrubbed; callers pass codes and masked values only.
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
from offline_queue import KeyFileError, create_key_file, load_key_file

GENESIS = "0" * 64
MAX_FIELD = 200
MAX_RECORD = 8192  # a longer line is not one of ours
AUDIT_FILE = "audit.log"
AUDIT_KEY_FILE = "audit.key"
KEY_VERSION = 2  # "k" of records keyed by the audit key file


def audit_key(queue_key: bytes) -> bytes:
    """The retired key (derived from the queue key): verifies records written before audit.key existed."""
    return derive_key(queue_key, b"audit chain v1")


def load_audit_key(path: Path, *, create: bool = False) -> bytes:
    """The audit key file: regular, ours, 0600, 32 bytes (the queue key's rules). ``create``: make it if
    missing (first start after an upgrade). Raises KeyFileError."""
    try:
        return load_key_file(path)
    except KeyFileError:
        if not create or path.exists() or path.is_symlink():
            raise
    return create_key_file(path)


def open_audit_log(log_path: Path, key_path: Path, queue_key: bytes | None) -> AuditLog:
    """The kiosk's audit log: its own key (created on first use), the queue-derived one for old records.

    A log that ends in records of the retired key is sealed at once by a record of the new one
    naming the last retired seq, so a chain later rebuilt with the queue key alone does not verify.
    """
    log = AuditLog(log_path, load_audit_key(key_path, create=True),
                   legacy_key=audit_key(queue_key) if queue_key is not None else None)
    if log.tail_is_legacy():
        log.append("system", "kiosk", "audit.key_created", "ok", f"legacy_until={log.head()['seq']}",
                   legacy_until=log.head()["seq"])
    return log


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
    bad_line: int | None = None  # 1-based line of the first problem (None: a problem of the whole log)
    problem: str = ""
    anchors: int | None = None  # heads checked against the central's copy; None: not checked

    def __str__(self) -> str:
        if not self.ok:
            where = f" at line {self.bad_line}" if self.bad_line is not None else ""
            return f"审计日志被篡改 audit log broken{where}: {self.problem}"
        if self.anchors is None:
            return (f"审计日志本地完整 audit log intact locally: {self.records} records; not checked against the "
                    "central, so a cut tail or a re-signed chain would not show")
        return (f"审计日志完整 audit log intact: {self.records} records, agreeing with the {self.anchors} heads "
                "anchored at the central")


@dataclass(frozen=True)
class Anchor:
    """A head the central holds: record ``seq`` had hash ``head``."""

    seq: int
    head: str


class AuditLog:
    def __init__(self, path: Path, key: bytes, *, legacy_key: bytes | None = None) -> None:
        self.path = path
        self._key = key
        self._legacy_key = legacy_key
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._seq, self._head = self._tail()

    def _tail(self) -> tuple[int, str]:
        return read_tail(self.path)

    def head(self) -> dict[str, Any]:
        """``{"seq", "head"}`` for the heartbeat and events: what the central anchors."""
        with self._lock:
            return {"seq": self._seq, "head": self._head}

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

    def tail_is_legacy(self) -> bool:
        """The last record was written with the retired (queue-derived) key."""
        rec = _tail_record(self.path)
        return rec is not None and "k" not in rec

    def append(self, kind: str, actor: str, action: str, outcome: str, detail: str = "", *,
               legacy_until: int | None = None) -> dict[str, Any]:
        """Add one record; returns it. ``kind``: technician / transaction / system."""
        with self._lock:
            record: dict[str, Any] = {
                "k": KEY_VERSION,
                "seq": self._seq + 1,
                "at": dt.datetime.now(CHINA_TZ).isoformat(timespec="seconds"),
                "kind": _clean(kind), "actor": _clean(actor), "action": _clean(action),
                "outcome": _clean(outcome), "detail": _clean(detail), "prev": self._head,
            }
            if legacy_until is not None:
                record["legacy_until"] = legacy_until
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

    def verify(self, anchors: list[Anchor] | None = None) -> VerifyResult:
        return verify_file(self.path, self._key, legacy_key=self._legacy_key, anchors=anchors)


_HEX64 = frozenset("0123456789abcdef")


def _tail_record(path: Path) -> dict[str, Any] | None:
    """The last readable record (seq in 0…2⁶³, a 64-hex hash), read from the end of the file (a year
    of records is big); a torn or damaged last line is skipped here (`verify` reports it)."""
    try:
        with path.open("rb") as fh:
            size = fh.seek(0, os.SEEK_END)
            fh.seek(max(0, size - 4 * MAX_RECORD))
            lines = fh.read().splitlines()
    except FileNotFoundError:
        return None
    for raw in reversed(lines):
        try:
            rec = json.loads(raw.decode("utf-8"))
        except (ValueError, RecursionError):
            continue
        if not isinstance(rec, dict):
            continue
        seq, head = rec.get("seq"), rec.get("hash")
        if isinstance(seq, int) and not isinstance(seq, bool) and 0 <= seq < 2**63 and isinstance(head, str) \
                and len(head) == 64 and set(head) <= _HEX64:
            return rec
    return None


def read_tail(path: Path) -> tuple[int, str]:
    """The last record's seq and hash (0 and GENESIS for an empty or unreadable log)."""
    rec = _tail_record(path)
    return (rec["seq"], rec["hash"]) if rec is not None else (0, GENESIS)


def read_head(path: Path) -> dict[str, Any]:
    """The head as the file on disk has it (the heartbeat of a `kiosk sync` process reads it so)."""
    seq, head = read_tail(path)
    return {"seq": seq, "head": head}


def verify_file(path: Path, key: bytes, *, legacy_key: bytes | None = None,
                anchors: list[Anchor] | None = None) -> VerifyResult:
    """The chain (every record's seq, prev and HMAC), then, given the central's ``anchors``, that
    the log still holds every anchored record with the anchored hash."""
    prev, seq, count = GENESIS, 0, 0
    new_key_seen, legacy_last = False, 0
    wanted = {a.seq: a.head for a in anchors or [] if a.seq > 0}
    found: dict[int, str] = {}
    try:
        fh = path.open("r", encoding="utf-8", errors="replace")  # a damaged byte is a broken record
    except FileNotFoundError:
        fh = None
    if fh is None:
        return _against(wanted, found, 0, 0, anchors)
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
            if rec.get("k") == KEY_VERSION:
                if legacy_last and not new_key_seen and rec.get("legacy_until") != legacy_last:
                    return VerifyResult(False, count, n, "records of the retired key are not sealed by the audit key")
                use, new_key_seen = key, True
            elif "k" not in rec and not new_key_seen:
                use, legacy_last = (legacy_key if legacy_key is not None else key), rec.get("seq", 0)
            else:
                return VerifyResult(False, count, n, "signed with a retired or unknown key")
            if not _same(rec.get("hash"), _digest(use, rec)):
                return VerifyResult(False, count, n, "hash mismatch (the record was edited)")
            prev, seq, count = rec["hash"], rec["seq"], count + 1
            if seq in wanted:
                found[seq] = prev
    if legacy_last and not new_key_seen:
        return VerifyResult(False, count, None, "records of the retired key are not sealed by the audit key")
    return _against(wanted, found, seq, count, anchors)


def _same(stored: object, expected: str) -> bool:
    """Constant-time; a damaged stored value (not text, not ASCII) simply does not match."""
    if not isinstance(stored, str):
        return False
    return hmac.compare_digest(stored.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass"))


def _against(wanted: dict[int, str], found: dict[int, str], last: int, count: int,
             anchors: list[Anchor] | None) -> VerifyResult:
    if anchors is None:
        return VerifyResult(True, count)
    for s in sorted(wanted):
        if s > last:
            return VerifyResult(False, count, None, f"truncated: the central anchored record {s}, "
                                                    f"the log ends at record {last}")
        if not _same(found.get(s), wanted[s]):
            return VerifyResult(False, count, None, f"forked: record {s} differs from the head the central "
                                                    "anchored (the chain was rebuilt)")
    return VerifyResult(True, count, anchors=len(wanted))
