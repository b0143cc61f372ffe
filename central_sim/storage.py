"""The storage seam: a database URL → a Database with serialised transactions.

SQLite (a file path or ``sqlite:///path``) and PostgreSQL (``postgresql://user@host:port/db``,
see pg_storage.py). Handlers only use ``Tx.execute/one/all/scalar/savepoint`` with ``?``
placeholders and portable SQL (schema.sql), so both backends run the same statements.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from central_sim.storage_base import Database, Row, Tx

# Database, Row and Tx are re-exported: the handlers import them from the seam they know.
__all__ = ["Database", "Row", "SqliteDatabase", "Tx", "open_database"]


class SqliteDatabase(Database):
    """One connection, serialised by a lock; WAL + synchronous=FULL so a committed outcome survives a crash."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.url = f"sqlite:///{path}"
        self.path = path
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._lock = threading.Lock()
        schema = (Path(__file__).resolve().parent / "schema.sql").read_text(encoding="utf-8")
        with self._lock:
            self._conn.executescript(schema)

    @contextmanager
    def _write(self) -> Iterator[Tx]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield Tx(self._conn)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    @contextmanager
    def _read(self) -> Iterator[Tx]:
        with self._lock:
            yield Tx(self._conn)

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def open_database(url: str) -> Database:
    """``sqlite:///relative/or/absolute.db``, ``sqlite:///:memory:``, a bare file path or ``postgresql://…``."""
    if url.startswith(("postgresql://", "postgres://")):
        from central_sim.pg_storage import PostgresDatabase  # psycopg is only needed for this backend

        return PostgresDatabase(url)
    if url.startswith("sqlite:///"):
        return SqliteDatabase(url[len("sqlite:///") :])
    if "://" in url:
        raise ValueError(f"unsupported database URL scheme: {url.split('://', 1)[0]}")
    return SqliteDatabase(url)
