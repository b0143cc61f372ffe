"""The durable outbox: one SQLite file (WAL, synchronous=FULL), bodies encrypted per item.

``Outbox.enqueue`` returns only after the row is committed and the WAL fsynced, so the kiosk
may tell the citizen "accepted". Stored items are never dropped: past a bound enqueue raises
QueueFull; an item older than the maximum age is flagged for a technician and kept.
Delivery order: lowest priority number first, then enqueue order; items sharing an ordering
key go strictly one after the other (the next waits while an earlier one is pending, in flight
or flagged), other keys are not held up. Dead letters and set-aside items no longer hold their
key back: they wait for a technician, who may re-queue them with ``retry``. Items of
URGENT_PRIORITY are never flagged for age.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from hal import pii
from offline_queue.crypto import AD_V1, AD_V2, BodyCipher, BodyUnreadable
from offline_queue.errors import ItemNotFound, QueueFull, QueueWriteError
from offline_queue.events import EventSink, QueueEvent, emit
from offline_queue.integrity import inspect_wal, quick_check
from offline_queue.migrations import migrate


class State(StrEnum):
    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    ACKED = "acked"
    DEAD = "dead"
    SET_ASIDE = "set_aside"
    FLAGGED_OLD = "flagged_old"


@dataclass(frozen=True)
class Bounds:
    max_items: int = 10_000
    max_bytes: int = 512 * 1024 * 1024
    max_age_s: float = 14 * 86400.0
    # No retry is ever scheduled further ahead (backoff cap, Retry-After): a later one found at
    # start was set by a clock that has since gone back, and is made due.
    max_retry_delay_s: float = 3600.0


# What SQLite may raise on a damaged file: its own errors, and a UnicodeDecodeError when its
# message quotes damaged schema text that is not UTF-8.
DB_ERRORS = (sqlite3.Error, UnicodeDecodeError)
CLOCK_JUMP_S = 5.0  # wall clock vs monotonic drift taken as a jump (NTP slews far slower)


@dataclass(frozen=True)
class QueueStatus:
    """The heartbeat's ``queue{}`` fields (plus set_aside and flagged_old for technicians)."""

    depth: int  # waiting for delivery: pending + in flight + flagged for age
    oldest_age_s: float  # age of the oldest item waiting for delivery (0 when none)
    dead_letters: int
    bytes: int  # encrypted bytes stored (every item still holding a body)
    set_aside: int
    flagged_old: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ItemInfo:
    """What an operator may see of an item: never its body."""

    id: int
    idempotency_key: str
    method: str
    path: str
    service: str
    priority: int
    state: str
    created_at: float
    attempts: int
    next_attempt_at: float
    last_error: str | None
    body_bytes: int
    summary: str
    acked_at: float | None
    status: int | None
    error_code: str | None = None  # the central's refusal code of a dead letter (schema v4)
    reasons: tuple[tuple[str, str], ...] = ()  # its (code, scrubbed message) reasons

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["reasons"] = [{"code": c, "message": m} for c, m in self.reasons]
        for k in ("created_at", "next_attempt_at", "acked_at"):
            d[k] = iso(d[k]) if d[k] is not None else None
        return d


@dataclass(frozen=True)
class LedgerEntry:
    idempotency_key: str
    service: str
    path: str
    acked_at: float
    status: int
    summary: str


@dataclass(frozen=True, slots=True)
class Enqueued:
    id: int
    idempotency_key: str


@dataclass(frozen=True)
class DueItem:
    """An item claimed for sending (state in_flight), body decrypted in memory only."""

    id: int
    idempotency_key: str
    method: str
    path: str
    service: str
    attempts: int  # including this one
    body: bytes


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).astimezone().isoformat(timespec="seconds")




def scrub(text: str, limit: int = 300) -> str:
    """Masks personal data (hal/pii.py, the kiosk's one rule set) in texts we store or show."""
    return pii.scrub(text)[:limit]


# The urgent class (a loss report, kiosk.domain.services): never flagged for age. The central judges
# such a request as of the time it carries, so lateness does not make it stale, and a technician's
# release must not stand between a citizen and a frozen card.
URGENT_PRIORITY = 0
_ACTIVE = "('pending','in_flight','flagged_old')"
# Only the first undelivered item of an ordering key may go out (same citizen: strict order):
# its predecessor of the same key (prev_id, set at enqueue) must no longer be waiting.
_HEAD = f"(i.prev_id IS NULL OR NOT EXISTS(SELECT 1 FROM items p WHERE p.id = i.prev_id AND p.state IN {_ACTIVE}))"

# Keys the queue makes are RFC 9562 version-8 UUIDs: 82 random bits drawn when the Outbox opens and,
# in the low 40 bits, the item id, so find(key) is a primary-key probe and no index over every key is
# written per enqueue. Unique: ids never repeat in a database; another kiosk, or this one after a
# restart, draws other random bits.
_ID_BITS = 40
_ID_MASK = (1 << _ID_BITS) - 1
_V8 = (0x8 << 76) | (0b10 << 62)
_RANDOM_MASK = ((1 << 128) - 1) & ~_ID_MASK & ~(0xF << 76) & ~(0b11 << 62)


# The key id is the same for every row this Outbox writes: a literal in its statement, one bind less.
_INSERT = (
    "INSERT INTO items(id, idempotency_key, method, path, service, priority, ordering_tag, created_at,"
    " next_attempt_at, state, body, body_len, key_id, summary, key_given, prev_id)"
    " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?8,'pending',?9,?10,X'{key_id}',?11,?12,?13)"
)


def _key_prefix() -> int:
    return (int.from_bytes(os.urandom(16)) & _RANDOM_MASK) | _V8


class _KeyMaker:
    """str(uuid.UUID(int=prefix | item_id)) for one Outbox's prefix. The item id only reaches the last
    group (48 bits), so the rest is formatted once: this runs on every enqueue, right after an fsync."""

    def __init__(self, prefix: int) -> None:
        h = prefix.to_bytes(16).hex()
        self.head = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-"
        self.low = prefix & ((1 << 48) - 1)

    def __call__(self, item_id: int) -> str:
        return f"{self.head}{self.low | item_id:012x}"


def _id_in_key(key: str) -> int | None:
    """The item id carried by a key this queue made (None for any other key)."""
    try:
        v = uuid.UUID(key).int
    except ValueError:
        return None
    return v & _ID_MASK if v & ~_RANDOM_MASK & ~_ID_MASK == _V8 else None


_INFO_COLS = (
    "id, idempotency_key, method, path, service, priority, state, created_at, attempts, "
    "next_attempt_at, last_error, body_len, summary, acked_at, status, error_code, reasons"
)


def _lenient_text(raw: bytes) -> str:
    """A damaged text field must not stop the queue: it reads (and then fails authentication)."""
    return raw.decode("utf-8", "surrogateescape")


def _reasons(text: str | None) -> tuple[tuple[str, str], ...]:
    if not text:
        return ()
    try:
        return tuple((str(r["code"]), str(r.get("message", ""))) for r in json.loads(text))
    except (ValueError, KeyError, TypeError, AttributeError):
        return ()


def _info(row: Sequence[Any]) -> ItemInfo:
    return ItemInfo(
        id=row[0],
        idempotency_key=row[1],
        method=row[2],
        path=row[3],
        service=row[4],
        priority=row[5],
        state=row[6],
        created_at=row[7],
        attempts=row[8],
        next_attempt_at=row[9],
        last_error=row[10],
        body_bytes=row[11] if row[6] != State.ACKED else 0,
        summary=row[12],
        acked_at=row[13],
        status=row[14],
        error_code=row[15],
        reasons=_reasons(row[16]),
    )


class Outbox:
    """Thread-safe; one SQLite connection guarded by a lock (no network I/O under it)."""

    def __init__(
        self,
        db_path: str | os.PathLike[str],
        cipher: BodyCipher,
        bounds: Bounds | None = None,
        *,
        on_event: EventSink | None = None,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        busy_timeout_s: float = 5.0,
    ) -> None:
        self.path = Path(db_path)
        self.bounds = bounds or Bounds()
        self._cipher = cipher
        self._on_event = on_event
        self._clock = clock
        self._monotonic = monotonic
        self._lock = threading.RLock()
        self._rlock = threading.Lock()
        self._listeners: list[Callable[[], None]] = []
        new_file = not self.path.exists()
        wal = inspect_wal(self.path)  # before SQLite reads the log and drops a damaged tail unseen
        try:
            self._conn = sqlite3.connect(
                str(self.path), isolation_level=None, check_same_thread=False, timeout=busy_timeout_s
            )
            self._conn.text_factory = _lenient_text
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.execute("PRAGMA secure_delete=ON")  # acked bodies are overwritten, not just unlinked
            self._conn.execute("PRAGMA foreign_keys=ON")
            migrate(self._conn)
            meta = self._conn.execute("SELECT value FROM queue_meta WHERE name = 'ad_v2_from_id'").fetchone()
            # Reads (the forwarder's dispatch scan, status, lists) use their own connection and lock,
            # so an enqueue never queues behind them; WAL lets them run beside the writer.
            self._rconn = sqlite3.connect(
                str(self.path), isolation_level=None, check_same_thread=False, timeout=busy_timeout_s
            )
            self._rconn.text_factory = _lenient_text
            self._rconn.execute("PRAGMA query_only=ON")
        except DB_ERRORS as exc:
            raise QueueWriteError("open", str(exc)) from None
        if new_file:
            self._fsync_dir()  # the new db and WAL file names must survive a power cut too
        self._data_version = -1
        self._count = 0
        self._bytes = 0
        self._next_id = 1
        self._last_of_tag: dict[str, int] = {}  # ordering tag -> its latest item id (prev_id of the next)
        self._key_prefix = _key_prefix()
        self._make_key = _KeyMaker(self._key_prefix)
        self._insert_sql = _INSERT.format(key_id=cipher.key_id.hex())
        # Cursors kept for the enqueue path (Connection.execute makes a new cursor every call).
        self._version_cur = self._conn.cursor()
        self._insert_cur = self._conn.cursor()
        # Rows below this id were sealed before schema v5 (AD version 1). A meta row that is missing
        # or damaged makes every row need version 2: old rows then fail closed, never the reverse.
        self._ad_v2_from = meta[0] if meta is not None and isinstance(meta[0], int) else 1
        self._clock_anchor = (self._clock(), self._monotonic())
        try:
            self._startup_check(wal.ignored_bytes)
            self._refresh_if_changed()
        except DB_ERRORS as exc:
            raise QueueWriteError("open", str(exc)) from None

    # ---- housekeeping -------------------------------------------------------------------------
    def _fsync_dir(self) -> None:
        fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def _startup_check(self, wal_ignored_bytes: int) -> None:
        """Report a damaged WAL tail and a failing quick_check; every waiting body must authenticate:
        a row that does not (tampered, or damaged where the check cannot see) becomes a dead letter
        with an alarm, and the rest is delivered as usual. Re-base retry times set by a clock that
        has since gone back."""
        problems: list[str] = []
        if wal_ignored_bytes:
            problems.append(f"write-ahead log tail damaged or cut ({wal_ignored_bytes} bytes ignored): "
                            "the last requests accepted before it may be lost")
        damage = quick_check(self._conn)
        if damage:
            problems += [f"quick_check: {p}" for p in damage[:3]]
            try:  # index contents out of step with the table are rebuilt; a damaged page is not (reported)
                self._conn.execute("REINDEX")
                after = quick_check(self._conn)
            except DB_ERRORS as exc:
                after = [str(exc)]
            problems.append(f"still damaged after rebuilding the indexes: {after[0]}" if after
                            else "indexes rebuilt from the table: the file checks clean again")
        failed: list[tuple[int, str]] = []
        try:
            rows = self._conn.execute(
                "SELECT id, idempotency_key, method, path, body, key_id FROM items"
                f" WHERE state IN {_ACTIVE}"
            ).fetchall()
        except DB_ERRORS as exc:  # a damaged page under the table: read what the index allows
            problems.append(f"items unreadable: {exc}")
            rows = []
        for item_id, key, method, path, blob, key_id in rows:
            try:
                self._open(item_id, key, method, path, blob, key_id)
            except BodyUnreadable as exc:
                if exc.tampered:
                    failed.append((item_id, exc.reason))
        if failed:
            with self._lock:
                self._batch_update(
                    "UPDATE items SET state='dead', status=NULL, error_code='integrity_failed', last_error=?"
                    f" WHERE id=? AND state IN {_ACTIVE}",
                    [(f"integrity: {reason}", i) for i, reason in failed],
                    "integrity",
                )
            problems.append(f"{len(failed)} queued item(s) failed authentication and became dead letters")
        now = self._clock()
        with self._lock:
            self._exec("UPDATE items SET next_attempt_at=? WHERE state='pending' AND next_attempt_at > ?",
                       (now, now + self.bounds.max_retry_delay_s))
        for i, reason in failed:
            emit(self._on_event, QueueEvent("dead_letter", "critical", f"queue item {i} dead letter: {reason}", i))
        if problems:
            emit(self._on_event, QueueEvent("integrity_failed", "critical", "; ".join(problems)[:500]))

    def _open(self, item_id: int, key: str, method: str, path: str, blob: Any, key_id: Any) -> bytes:
        version = AD_V1 if item_id < self._ad_v2_from else AD_V2
        return self._cipher.decrypt(item_id, key, blob or b"", key_id, method, path, version)

    def _follow_clock(self) -> None:
        """A wall-clock jump back (an operator, a first NTP sync, an RTC reset) must not strand
        retries: pending retry times move back by the jump, so each still waits its backoff in real
        time. A jump forward only makes retries due early, which the idempotency keys make harmless
        (and another process seeing the same jump must not push them out twice)."""
        wall, mono = self._clock(), self._monotonic()
        wall0, mono0 = self._clock_anchor
        jump = wall - (wall0 + (mono - mono0))
        if abs(jump) < CLOCK_JUMP_S:
            return
        self._clock_anchor = (wall, mono)
        if jump < 0:
            with self._lock:
                self._exec("UPDATE items SET next_attempt_at = next_attempt_at + ? WHERE state='pending'", (jump,))
        emit(self._on_event, QueueEvent("clock_jump", "info", f"wall clock moved {jump:+.0f} s; retry times follow"))

    def _refresh_if_changed(self) -> None:
        """Re-read counters when another connection (e.g. the CLI) committed since we last looked."""
        version = self._version_cur.execute("PRAGMA data_version").fetchone()[0]
        if version == self._data_version:
            return
        count, nbytes = self._conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(body_len), 0) FROM items WHERE body IS NOT NULL"
        ).fetchone()
        # Items other connections added since (a primary-key range; ids only grow).
        for item_id, tag in self._conn.execute(
            "SELECT id, ordering_tag FROM items WHERE id >= ? AND ordering_tag IS NOT NULL ORDER BY id",
            (self._next_id,),
        ):
            self._last_of_tag[tag] = int(item_id)
        (max_id,) = self._conn.execute("SELECT COALESCE(MAX(id), 0) FROM items").fetchone()
        self._count, self._bytes, self._next_id = int(count), int(nbytes), int(max_id) + 1
        self._data_version = version

    def data_version(self) -> int:
        """Changes whenever another connection (e.g. another process) committed to the queue."""
        with self._lock:
            return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

    def add_listener(self, callback: Callable[[], None]) -> None:
        """Called (outside the lock) after each successful enqueue; the forwarder wakes on it."""
        self._listeners.append(callback)

    def close(self) -> None:
        with self._rlock:
            self._rconn.close()
        with self._lock:
            self._conn.close()

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Every read: a damaged file (a page, the schema) answers with QueueWriteError, never sqlite3's own."""
        try:
            with self._rlock:
                return self._rconn.execute(sql, params).fetchall()
        except DB_ERRORS as exc:
            raise QueueWriteError("read", str(exc)) from None

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- the kiosk side -----------------------------------------------------------------------
    def enqueue(
        self,
        method: str,
        path: str,
        body: bytes,
        *,
        service: str,
        priority: int = 5,
        ordering_key: str | None = None,
        summary: str = "",
        idempotency_key: str | None = None,
    ) -> Enqueued:
        """Store a request durably; returns once committed and fsynced.

        ``idempotency_key``: pass the key already used for a direct attempt whose outcome is
        unknown; otherwise a new UUID is made here. Re-enqueueing a stored key returns the
        existing item. ``summary`` must already be masked: it is kept in the ledger in clear.
        Raises QueueFull (nothing stored) or QueueWriteError (nothing stored).
        """
        tag = self._cipher.ordering_tag(ordering_key) if ordering_key is not None else None
        if idempotency_key is None:
            done = self._enqueue_fast(method, path, body, service, priority, tag, summary)
            if done is not None:
                return done
        given = 1 if idempotency_key else 0
        # Other processes' commits are noticed without a statement per enqueue: their inserts take
        # the ids after ours (ids are max + 1), so a stale view collides on the id and re-reads;
        # their acks only free room, so the counters are re-read before refusing at a bound.
        with self._lock:
            try:
                if self._data_version < 0:
                    self._refresh_if_changed()
                if idempotency_key:
                    row = self._find_row(self._conn, "id", idempotency_key)
                    if row is not None:
                        return Enqueued(int(row[0]), idempotency_key)
            except DB_ERRORS as exc:
                raise self._write_failed("enqueue", exc) from None
            size_guess = len(body) + 28
            for _ in range(3):
                if self._count + 1 > self.bounds.max_items or self._bytes + size_guess > self.bounds.max_bytes:
                    try:
                        self._refresh_if_changed()
                    except DB_ERRORS as exc:
                        raise self._write_failed("enqueue", exc) from None
                    if self._count + 1 > self.bounds.max_items:
                        raise self._full("max_items", self._count, self.bounds.max_items)
                    if self._bytes + size_guess > self.bounds.max_bytes:
                        raise self._full("max_bytes", self._bytes, self.bounds.max_bytes)
                item_id = self._next_id
                key = idempotency_key or self._make_key(item_id)
                if item_id > _ID_MASK and not idempotency_key:  # past 10^12 items: a plain indexed UUID
                    key, given = str(uuid.uuid4()), 1
                blob = self._cipher.encrypt(item_id, key, body, method, path)
                now = self._clock()
                try:
                    self._insert_cur.execute(
                        self._insert_sql,
                        (
                            item_id,
                            key,
                            method,
                            path,
                            service,
                            priority,
                            tag,
                            now,
                            blob,
                            len(blob),
                            summary,
                            given,
                            self._last_of_tag.get(tag) if tag is not None else None,
                        ),
                    )
                except sqlite3.IntegrityError:
                    try:
                        row = self._find_row(self._conn, "id", key) if given else None
                        if row is not None:  # another process stored the same key meanwhile
                            return Enqueued(int(row[0]), key)
                        self._data_version = -1  # id taken by another writer: re-read and try again
                        self._refresh_if_changed()
                    except DB_ERRORS as exc:
                        raise self._write_failed("enqueue", exc) from None
                    continue
                except DB_ERRORS as exc:
                    raise self._write_failed("enqueue", exc) from None
                self._next_id = item_id + 1
                if tag is not None:
                    self._last_of_tag[tag] = item_id
                self._count += 1
                self._bytes += len(blob)
                break
            else:
                raise QueueWriteError("enqueue", "could not allocate an item id")
        for listener in self._listeners:
            listener()
        return Enqueued(item_id, key)

    def _enqueue_fast(
        self, method: str, path: str, body: bytes, service: str, priority: int, tag: str | None, summary: str
    ) -> Enqueued | None:
        """The common case, in as few steps as possible: a new key, within bounds, no error.

        None: not the common case or the insert failed; enqueue() then does it the careful way.
        """
        with self._lock:
            item_id = self._next_id
            if (
                self._data_version < 0
                or item_id > _ID_MASK
                or self._count >= self.bounds.max_items
                or self._bytes + len(body) + 28 > self.bounds.max_bytes
            ):
                return None
            key = self._make_key(item_id)
            blob = self._cipher.encrypt(item_id, key, body, method, path)
            now = self._clock()
            prev = self._last_of_tag.get(tag) if tag is not None else None
            try:
                self._insert_cur.execute(
                    self._insert_sql,
                    (item_id, key, method, path, service, priority, tag, now, blob, len(blob), summary, 0, prev),
                )  # fmt: skip
            except DB_ERRORS:
                return None  # nothing stored; the careful path re-reads, retries or reports
            self._next_id = item_id + 1
            if tag is not None:
                self._last_of_tag[tag] = item_id
            self._count += 1
            self._bytes += len(blob)
        for listener in self._listeners:
            listener()
        return Enqueued(item_id, key)

    def _full(self, bound: str, current: int, limit: int) -> QueueFull:
        err = QueueFull(bound, current, limit)
        emit(self._on_event, QueueEvent("queue_full", "critical", str(err)))
        return err

    def _write_failed(self, operation: str, exc: Exception) -> QueueWriteError:
        err = QueueWriteError(operation, str(exc))
        emit(self._on_event, QueueEvent("write_failed", "critical", str(err)))
        with contextlib.suppress(sqlite3.Error):
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            self._conn.execute("PRAGMA synchronous=FULL")
        self._data_version = -1
        return err

    # ---- operator surface ---------------------------------------------------------------------
    def status(self) -> QueueStatus:
        now = self._clock()
        # One statement, one snapshot. Every item not yet acked still holds its body.
        rows = self._read(
            "SELECT state, COUNT(*), MIN(created_at), COALESCE(SUM(body_len), 0) FROM items"
            " WHERE state != 'acked' GROUP BY state"
        )
        counts = {r[0]: int(r[1]) for r in rows}
        waiting = [r[2] for r in rows if r[0] in (State.PENDING, State.IN_FLIGHT, State.FLAGGED_OLD)]
        oldest = min(waiting) if waiting else None
        nbytes = sum(int(r[3]) for r in rows)
        return QueueStatus(
            depth=sum(counts.get(s, 0) for s in (State.PENDING, State.IN_FLIGHT, State.FLAGGED_OLD)),
            oldest_age_s=round(max(0.0, now - oldest), 3) if oldest is not None else 0.0,
            dead_letters=counts.get(State.DEAD, 0),
            bytes=int(nbytes),
            set_aside=counts.get(State.SET_ASIDE, 0),
            flagged_old=counts.get(State.FLAGGED_OLD, 0),
        )

    def list_items(self, states: Iterable[State | str] | None = None, limit: int = 200) -> list[ItemInfo]:
        wanted = [str(s) for s in states] if states is not None else [s.value for s in State if s != State.ACKED]
        marks = ",".join("?" * len(wanted))
        rows = self._read(
            f"SELECT {_INFO_COLS} FROM items WHERE state IN ({marks}) ORDER BY priority, id LIMIT ?",
            (*wanted, limit),
        )
        return [_info(r) for r in rows]

    def get(self, item_id: int) -> ItemInfo:
        rows = self._read(f"SELECT {_INFO_COLS} FROM items WHERE id = ?", (item_id,))
        if not rows:
            raise ItemNotFound(item_id)
        return _info(rows[0])

    def find(self, idempotency_key: str) -> ItemInfo | None:
        """The item holding this key: a primary-key probe for keys the queue made, else the key index."""
        try:
            with self._rlock:
                row = self._find_row(self._rconn, _INFO_COLS, idempotency_key)
        except DB_ERRORS as exc:
            raise QueueWriteError("read", str(exc)) from None
        return _info(row) if row is not None else None

    @staticmethod
    def _find_row(conn: sqlite3.Connection, cols: str, key: str) -> Any:
        item_id = _id_in_key(key)
        if item_id is not None:
            row = conn.execute(
                f"SELECT {cols} FROM items WHERE id = ? AND idempotency_key = ?", (item_id, key)
            ).fetchone()
            if row is not None:
                return row
        return conn.execute(f"SELECT {cols} FROM items WHERE idempotency_key = ? AND key_given = 1", (key,)).fetchone()

    def retry(self, item_id: int) -> ItemInfo:
        """Technician: put a dead, set-aside, age-flagged or backing-off item back to pending, due now."""
        with self._lock:
            cur = self._exec(
                "UPDATE items SET state='pending', next_attempt_at=?, age_reviewed=1"
                " WHERE id=? AND state IN ('dead','set_aside','flagged_old','pending')",
                (self._clock(), item_id),
            )
        if cur.rowcount == 0:
            info = self.get(item_id)  # raises ItemNotFound
            raise ValueError(f"item {item_id} is {info.state}; only dead, set_aside, flagged_old or pending")
        self._notify()
        return self.get(item_id)

    def retry_dead(self) -> int:
        with self._lock:
            cur = self._exec(
                "UPDATE items SET state='pending', next_attempt_at=?, age_reviewed=1 WHERE state='dead'",
                (self._clock(),),
            )
        self._notify()
        return int(cur.rowcount)

    def export_dead(self) -> list[dict[str, Any]]:
        return [i.to_json() for i in self.list_items([State.DEAD], limit=1_000_000)]

    def ledger(self, limit: int = 200) -> list[LedgerEntry]:
        rows = self._read(
            "SELECT idempotency_key, service, path, acked_at, status, summary FROM items"
            " WHERE state='acked' ORDER BY acked_at DESC LIMIT ?",
            (limit,),
        )
        return [LedgerEntry(*r) for r in rows]

    def prune_ledger(self, older_than_s: float) -> int:
        """Drop ledger records acked before now - older_than_s (the newest row is kept: ids never reused)."""
        with self._lock:
            cur = self._exec(
                "DELETE FROM items WHERE state='acked' AND acked_at < ? AND id < (SELECT MAX(id) FROM items)",
                (self._clock() - older_than_s,),
            )
        return int(cur.rowcount)

    def flag_old(self) -> list[int]:
        """Flag pending items past max age (kept, not sent) for a technician; returns their ids."""
        with self._lock:
            rows = self._exec(
                "UPDATE items SET state='flagged_old',"
                " last_error='older than the maximum age; held for a technician'"
                " WHERE state='pending' AND age_reviewed=0 AND created_at < ? AND priority > ? RETURNING id",
                (self._clock() - self.bounds.max_age_s, URGENT_PRIORITY),
            ).fetchall()
        ids = sorted(int(r[0]) for r in rows)
        for i in ids:
            emit(self._on_event, QueueEvent("flagged_old", "warning", f"queue item {i} older than max age", i))
        return ids

    # ---- the forwarder side -------------------------------------------------------------------
    def recover_in_flight(self) -> int:
        """After a crash: items that were in flight go back to pending (the key makes resending safe)."""
        with self._lock:
            return int(self._exec("UPDATE items SET state='pending' WHERE state='in_flight'", ()).rowcount)

    def due_count(self) -> int:
        self._follow_clock()
        [(n,)] = self._read(
            "SELECT COUNT(*) FROM items WHERE state='pending' AND next_attempt_at <= ?", (self._clock(),)
        )
        return int(n)

    def undelivered(self) -> int:
        """Items the forwarder still has to deliver on its own (pending or in flight)."""
        [(n,)] = self._read("SELECT COUNT(*) FROM items WHERE state IN ('pending','in_flight')")
        return int(n)

    def next_due_at(self) -> float | None:
        self._follow_clock()
        [(t,)] = self._read(f"SELECT MIN(next_attempt_at) FROM items i WHERE i.state='pending' AND {_HEAD}")
        return float(t) if t is not None else None

    def make_all_due(self) -> None:
        """Force flush: forget every pending item's backoff."""
        with self._lock:
            self._exec("UPDATE items SET next_attempt_at=? WHERE state='pending'", (self._clock(),))
        self._notify()

    def claim_due(self, limit: int) -> list[DueItem]:
        """Claim up to ``limit`` due items (one per ordering key), decrypt them, mark them in flight.

        An item sealed under another key is set aside; one whose body does not authenticate under
        ours (tampered: another body, path, method, id or key) becomes a dead letter. Both are reported.
        """
        self._follow_clock()
        now = self._clock()
        claimed: list[DueItem] = []
        opened: list[DueItem] = []
        aside: list[tuple[int, str]] = []
        bad: list[tuple[int, str]] = []
        rows = self._read(
            "SELECT id, idempotency_key, method, path, service, attempts, body, key_id FROM items i"
            f" WHERE i.state='pending' AND next_attempt_at <= ? AND {_HEAD}"
            " ORDER BY priority, id LIMIT ?",
            (now, limit),
        )
        # Decrypt outside the lock: an enqueue from the UI thread need not wait for it.
        for item_id, key, method, path, service, attempts, blob, key_id in rows:
            try:
                body = self._open(item_id, key, method, path, blob, key_id)
            except BodyUnreadable as exc:
                (bad if exc.tampered else aside).append((item_id, exc.reason))
                continue
            opened.append(DueItem(item_id, key, method, path, service, attempts + 1, body))
        with self._lock:
            try:
                self._conn.execute("PRAGMA synchronous=NORMAL")
                self._conn.execute("BEGIN IMMEDIATE")
                for item in opened:  # hand out only what is still pending (another process may have acted)
                    cur = self._conn.execute(
                        "UPDATE items SET state='in_flight', attempts=attempts+1 WHERE id=? AND state='pending'",
                        (item.id,),
                    )
                    if cur.rowcount == 1:
                        claimed.append(item)
                self._conn.executemany(
                    "UPDATE items SET state='set_aside', last_error=? WHERE id=? AND state='pending'",
                    [(f"set aside: {reason}", i) for i, reason in aside],
                )
                self._conn.executemany(
                    "UPDATE items SET state='dead', error_code='integrity_failed', last_error=?"
                    " WHERE id=? AND state='pending'",
                    [(f"integrity: {reason}", i) for i, reason in bad],
                )
                self._conn.execute("COMMIT")
                self._conn.execute("PRAGMA synchronous=FULL")
            except DB_ERRORS as exc:
                # The in-flight mark is bookkeeping only (one forwarder sends at a time, keys make a
                # resend safe): on a full disk still hand the items out, so delivery can go on.
                self._write_failed("claim", exc)
                claimed = opened
        for i, reason in aside:
            emit(self._on_event, QueueEvent("set_aside", "critical", f"queue item {i} set aside: {reason}", i))
        for i, reason in bad:
            emit(self._on_event, QueueEvent("dead_letter", "critical", f"queue item {i} dead letter: {reason}", i))
        return claimed

    def mark_acked(self, acks: Sequence[tuple[int, int]]) -> None:
        """(item id, HTTP status) pairs: drop the bodies, keep the masked ledger record."""
        if not acks:
            return
        now = self._clock()
        ids = [i for i, _ in acks]
        with self._lock:
            freed_n, freed_b = self._conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(body_len), 0) FROM items WHERE body IS NOT NULL"
                f" AND id IN ({','.join('?' * len(ids))})",
                ids,
            ).fetchone()
            self._batch_update(
                "UPDATE items SET state='acked', body=NULL, key_id=NULL, acked_at=?, status=?,"
                " last_error=NULL, error_code=NULL, reasons=NULL"
                " WHERE id=? AND state != 'acked'",
                [(now, status, item_id) for item_id, status in acks],
                "ack",
            )
            self._count -= int(freed_n)
            self._bytes -= int(freed_b)

    def mark_dead(
        self, item_id: int, status: int, reason: str, *, error_code: str | None = None,
        reasons: Sequence[tuple[str, str]] = (),
    ) -> None:
        """A permanent refusal: ``reason`` is the operator's text; ``error_code`` and ``reasons`` (code,
        message) the central's refusal as data (messages scrubbed like the text)."""
        listed = json.dumps([{"code": c, "message": scrub(m)} for c, m in reasons], ensure_ascii=False)
        with self._lock:
            self._batch_update(
                "UPDATE items SET state='dead', status=?, last_error=?, error_code=?, reasons=?"
                " WHERE id=? AND state='in_flight'",
                [(status, scrub(reason), error_code, listed if reasons else None, item_id)],
                "dead",
            )

    def mark_retry(self, retries: Sequence[tuple[int, float, str]]) -> None:
        """(item id, next attempt time, error) for transient failures."""
        if not retries:
            return
        with self._lock:
            self._batch_update(
                "UPDATE items SET state='pending', next_attempt_at=?, last_error=? WHERE id=? AND state='in_flight'",
                [(at, scrub(err), item_id) for item_id, at, err in retries],
                "retry",
            )

    def release(self, item_ids: Sequence[int]) -> None:
        """Back to pending without counting the attempt (sending paused before they went out)."""
        with self._lock:
            self._batch_update(
                "UPDATE items SET state='pending', attempts=MAX(attempts-1, 0) WHERE id=? AND state='in_flight'",
                [(i,) for i in item_ids],
                "release",
            )

    # ---- helpers --------------------------------------------------------------------------------
    # Only enqueue() changes what is stored-and-counted, except acks (which adjust the counters) and
    # other processes (caught by PRAGMA data_version), so plain updates leave the counters alone.
    def _exec(self, sql: str, params: Sequence[Any]) -> sqlite3.Cursor:
        try:
            return self._conn.execute(sql, params)
        except DB_ERRORS as exc:
            raise self._write_failed("update", exc) from None

    def _batch_update(self, sql: str, rows: list[tuple[Any, ...]], operation: str) -> None:
        """Forwarder bookkeeping, committed without waiting for fsync (synchronous=NORMAL).

        Losing such a commit in a power cut only means an item is sent again, which its
        idempotency key makes a harmless replay; the next enqueue's fsync makes it durable anyway.
        """
        try:
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.executemany(sql, rows)
            self._conn.execute("COMMIT")
            self._conn.execute("PRAGMA synchronous=FULL")
        except DB_ERRORS as exc:
            raise self._write_failed(operation, exc) from None

    def _notify(self) -> None:
        for listener in self._listeners:
            listener()
