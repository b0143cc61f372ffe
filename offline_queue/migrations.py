"""Schema of the outbox database, versioned with ``PRAGMA user_version``.

Rules that keep old databases readable:
- each step is a list of statements applied in ONE transaction together with the new
  user_version, so a crash mid-migration leaves the previous version intact;
- steps only add (tables, columns with defaults, indexes); nothing is renamed or dropped,
  so code reading the columns it knows keeps working;
- a database newer than ``CURRENT_VERSION`` is refused (SchemaTooNew), never downgraded.

v1  items: one row per queued request. The body is AES-GCM ciphertext (NULL once acked; the
    row then stays as the masked ledger record: key, service, path, acked_at, status, summary).
    ordering_tag is an HMAC pseudonym of the caller's ordering key (one citizen).
v2  age_reviewed: a technician released an item flagged for age, so it is not re-flagged;
    an index for ledger reads.
"""

from __future__ import annotations

import sqlite3

from offline_queue.errors import SchemaTooNew

_ACTIVE = "('pending','in_flight','flagged_old')"

STEPS: dict[int, list[str]] = {
    1: [
        """CREATE TABLE items(
            id INTEGER PRIMARY KEY,
            idempotency_key TEXT NOT NULL UNIQUE,
            method TEXT NOT NULL,
            path TEXT NOT NULL,
            service TEXT NOT NULL,
            priority INTEGER NOT NULL,
            ordering_tag TEXT,
            created_at REAL NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at REAL NOT NULL,
            last_error TEXT,
            state TEXT NOT NULL,
            body BLOB,
            body_len INTEGER NOT NULL,
            key_id BLOB,
            summary TEXT NOT NULL DEFAULT '',
            acked_at REAL,
            status INTEGER)""",
        # One index serves both the dispatch scan and the per-key order check: every index costs
        # a page write in each enqueue's fsynced commit.
        f"CREATE INDEX items_sched ON items(ordering_tag, id) WHERE state IN {_ACTIVE}",
    ],
    2: [
        "ALTER TABLE items ADD COLUMN age_reviewed INTEGER NOT NULL DEFAULT 0",
        "CREATE INDEX items_ledger ON items(acked_at) WHERE state = 'acked'",
    ],
}

CURRENT_VERSION = max(STEPS)


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, target: int = CURRENT_VERSION) -> int:
    """Bring the database up to ``target``; returns the version found before. Autocommit connection."""
    found = schema_version(conn)
    if found > CURRENT_VERSION:
        raise SchemaTooNew(found, CURRENT_VERSION)
    for version in range(found + 1, target + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Re-read under the write lock: another process may have migrated meanwhile.
            if schema_version(conn) >= version:
                conn.execute("ROLLBACK")
                continue
            for statement in STEPS[version]:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return found
