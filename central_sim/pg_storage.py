"""PostgreSQL backend for the storage seam (psycopg 3), running the same portable SQL as SQLite.

SQLite's ``BEGIN IMMEDIATE`` makes every write transaction the only writer; the handlers rely on
that (idempotency key look-up then insert, ``MAX(seq) + 1`` timelines, read-then-write counters).
Here each write transaction first takes one transaction-scoped advisory lock, so writers from any
number of server processes on the same database are serialised exactly like that, and an
idempotency key's effect is applied at most once. Reads take no lock (READ COMMITTED snapshot).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

from central_sim.storage_base import Database, Tx

# Arbitrary constant naming "the central's single-writer lock" among advisory locks.
WRITE_LOCK_ID = 0x6B696F736B
CONNECT_TIMEOUT_S = 10
MAX_IDLE = 8


def to_pyformat(sql: str) -> str:
    """``?`` placeholders → psycopg's ``%s`` (the handlers' SQL holds no ``?`` or ``%`` in literals)."""
    return sql.replace("%", "%%").replace("?", "%s")


class _Conn:
    """What Tx needs from a connection: ``execute(sql, params)`` returning a cursor."""

    def __init__(self, conn: psycopg.Connection[tuple[Any, ...]]) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> psycopg.Cursor[tuple[Any, ...]]:
        return self.conn.execute(to_pyformat(sql).encode(), tuple(params))


class PostgresDatabase(Database):
    """A small pool of autocommit connections; transactions are explicit BEGIN … COMMIT."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        self._lock = threading.Lock()
        self._idle: list[psycopg.Connection[tuple[Any, ...]]] = []
        self._closed = False
        schema = (Path(__file__).resolve().parent / "schema.sql").read_text(encoding="utf-8")
        with self.transaction() as tx:  # under the write lock: concurrent CREATE IF NOT EXISTS can collide
            tx.execute(schema)

    def _get(self) -> psycopg.Connection[tuple[Any, ...]]:
        with self._lock:
            if self._closed:
                raise RuntimeError("database closed")
            if self._idle:
                return self._idle.pop()
        return psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)

    def _put(self, conn: psycopg.Connection[tuple[Any, ...]]) -> None:
        with self._lock:
            if not self._closed and len(self._idle) < MAX_IDLE and not conn.closed \
                    and conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
                self._idle.append(conn)
                return
        conn.close()

    @contextmanager
    def _session(self, begin: bytes, lock: bool) -> Iterator[Tx]:
        conn = self._get()
        try:
            conn.execute(begin)
            try:
                if lock:
                    conn.execute(b"SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK_ID,))
                yield Tx(_Conn(conn))
            except BaseException:
                conn.execute(b"ROLLBACK")
                raise
            conn.execute(b"COMMIT")
        finally:
            self._put(conn)  # closed instead unless it is back to idle (a failed ROLLBACK/COMMIT)

    @contextmanager
    def _write(self) -> Iterator[Tx]:
        with self._session(b"BEGIN ISOLATION LEVEL READ COMMITTED", lock=True) as tx:
            yield tx

    @contextmanager
    def _read(self) -> Iterator[Tx]:
        with self._session(b"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", lock=False) as tx:
            yield tx

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
