"""The storage seam: a database URL → a Database with serialised transactions.

SQLite (a file path or ``sqlite:///path``) and PostgreSQL (``postgresql://user@host:port/db``,
see pg_storage.py). Handlers only use ``Tx.execute/one/all/scalar/savepoint`` with ``?``
placeholders and portable SQL (schema.sql), so both backends run the same statements.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

Row = dict[str, Any]


class Tx:
    """One open transaction (or read snapshot) on a connection."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn  # sqlite3.Connection, or pg_storage's adapter with the same execute()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return int(self._conn.execute(sql, tuple(params)).rowcount)

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        cur = self._conn.execute(sql, tuple(params))
        row = cur.fetchone()
        if row is None:
            return None
        return {d[0]: v for d, v in zip(cur.description, row, strict=True)}

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        cur = self._conn.execute(sql, tuple(params))
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self._conn.execute(sql, tuple(params)).fetchone()
        return None if row is None else row[0]

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Undo a handler's partial writes when it refuses the request (the outcome is still stored)."""
        self._conn.execute("SAVEPOINT handler")
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK TO handler")
            self._conn.execute("RELEASE handler")
            raise
        self._conn.execute("RELEASE handler")


class Database:
    url: str

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        raise NotImplementedError
        yield  # pragma: no cover

    @contextmanager
    def read(self) -> Iterator[Tx]:
        raise NotImplementedError
        yield  # pragma: no cover

    def close(self) -> None:
        raise NotImplementedError


class SqliteDatabase(Database):
    """One connection, serialised by a lock; WAL + synchronous=FULL so a committed outcome survives a crash."""

    def __init__(self, path: str) -> None:
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
    def transaction(self) -> Iterator[Tx]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield Tx(self._conn)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[Tx]:
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
