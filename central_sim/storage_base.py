"""What every storage backend is: a Database handing out serialised transactions (Tx).

Both backends (storage.py's SQLite, pg_storage.py's PostgreSQL) build on this module and
storage.py picks one by URL; keeping the shared types here means neither backend module
imports the other's (pg_storage used to import storage, which imports pg_storage).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
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
    def savepoint(self, name: str = "handler") -> Iterator[None]:
        """Undo a handler's partial writes when it refuses the request (the outcome is still stored)."""
        self._conn.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            self._conn.execute(f"ROLLBACK TO {name}")
            self._conn.execute(f"RELEASE {name}")
            raise
        self._conn.execute(f"RELEASE {name}")


class Database:
    """Backends implement ``_write`` (one serialised write transaction) and ``_read``.

    ``group()`` makes the transactions a thread opens inside it savepoints of one outer
    transaction, so /v1/batch commits (and fsyncs) once for its items, not once per item.
    Each item still succeeds or fails on its own: a failed one rolls back to its savepoint.
    """

    url: str

    def __init__(self) -> None:
        self._local = threading.local()  # this thread's group transaction, if it has one open

    def _group_tx(self) -> Tx | None:
        tx: Tx | None = getattr(self._local, "tx", None)
        return tx

    @contextmanager
    def group(self) -> Iterator[None]:
        if self._group_tx() is not None:
            yield
            return
        with self._write() as tx:
            self._local.tx = tx
            try:
                yield
            finally:
                self._local.tx = None

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        outer = self._group_tx()
        if outer is None:
            with self._write() as tx:
                yield tx
            return
        with outer.savepoint("grouped"):
            yield outer

    @contextmanager
    def read(self) -> Iterator[Tx]:
        outer = self._group_tx()
        if outer is not None:  # the group holds the writer: read through it, and see its writes
            yield outer
            return
        with self._read() as tx:
            yield tx

    @contextmanager
    def _write(self) -> Iterator[Tx]:
        raise NotImplementedError
        yield  # pragma: no cover

    @contextmanager
    def _read(self) -> Iterator[Tx]:
        raise NotImplementedError
        yield  # pragma: no cover

    def close(self) -> None:
        raise NotImplementedError
