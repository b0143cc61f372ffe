"""Schema of the outbox database, versioned with ``PRAGMA user_version``.

Rules that keep old databases readable:
- each step is a list of statements applied in ONE transaction together with the new
  user_version, so a crash mid-migration leaves the previous version intact;
- no column is ever renamed or removed, so code reading the columns it knows keeps working
  (v3 rebuilds the table, but every earlier column keeps its name and meaning);
- a database newer than ``CURRENT_VERSION`` is refused (SchemaTooNew), never downgraded.

v1  items: one row per queued request. The body is AES-GCM ciphertext (NULL once acked; the
    row then stays as the masked ledger record: key, service, path, acked_at, status, summary).
    ordering_tag is an HMAC pseudonym of the caller's ordering key (one citizen).
v2  age_reviewed: a technician released an item flagged for age, so it is not re-flagged;
    an index for ledger reads.
v3  Enqueue touches only the table's B-tree (each index leaf an insert touches is one more
    4 KB page in the fsynced WAL commit: v2 wrote ~5 pages per 4 KB item, the bare loop 3):
    - no UNIQUE index over every idempotency key. Keys made by the queue carry their item id
      (store.py), so they are found through the primary key; only keys handed in by a caller
      (key_given=1; every row migrated from v1/v2) sit in a partial unique index;
    - no scheduling index: prev_id links an item to the previous one of its ordering key, so
      "is it first of its key" is one primary-key probe;
    - body is the last column, so scans that skip it never read its overflow pages.
v4  A dead letter keeps the central's refusal as data: error_code and reasons (a JSON list of
    {"code", "message"}, messages scrubbed as last_error is), so the kiosk never parses last_error.
    Both NULL until an item is refused; enqueue does not write them.
v5  The body's AEAD associated data also binds the request's method and path (AD version 2,
    crypto.py). Rather than a column written on every enqueue, queue_meta records the first
    item id sealed that way: rows below it (written before v5) open with AD version 1.
"""

from __future__ import annotations

import sqlite3

from offline_queue.errors import QueueWriteError, SchemaTooNew

_ACTIVE = "('pending','in_flight','flagged_old')"

_V2_COLUMNS = (
    "id, idempotency_key, method, path, service, priority, ordering_tag, created_at, attempts,"
    " next_attempt_at, last_error, state, body_len, key_id, summary, acked_at, status, age_reviewed"
)

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
    3: [
        """CREATE TABLE items_v3(
            id INTEGER PRIMARY KEY,
            idempotency_key TEXT NOT NULL,
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
            body_len INTEGER NOT NULL,
            key_id BLOB,
            summary TEXT NOT NULL DEFAULT '',
            acked_at REAL,
            status INTEGER,
            age_reviewed INTEGER NOT NULL DEFAULT 0,
            key_given INTEGER NOT NULL DEFAULT 0,
            prev_id INTEGER,
            body BLOB)""",
        # Old keys may be anything: all go into the key index. prev_id: the latest earlier item of
        # the same key still waiting (found through v1's items_sched index), as v2's order rule had it.
        f"INSERT INTO items_v3({_V2_COLUMNS}, key_given, prev_id, body)"
        f" SELECT {_V2_COLUMNS}, 1,"
        " (SELECT MAX(p.id) FROM items p WHERE p.ordering_tag = items.ordering_tag"
        f" AND p.state IN {_ACTIVE} AND p.id < items.id), body FROM items",
        "DROP TABLE items",
        "ALTER TABLE items_v3 RENAME TO items",
        "CREATE UNIQUE INDEX items_given_key ON items(idempotency_key) WHERE key_given = 1",
        "CREATE INDEX items_ledger ON items(acked_at) WHERE state = 'acked'",
    ],
    4: [
        "ALTER TABLE items ADD COLUMN error_code TEXT",
        "ALTER TABLE items ADD COLUMN reasons TEXT",
    ],
    5: [
        "CREATE TABLE queue_meta(name TEXT PRIMARY KEY, value INTEGER NOT NULL)",
        "INSERT INTO queue_meta(name, value) SELECT 'ad_v2_from_id', COALESCE(MAX(id), 0) + 1 FROM items",
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
    if found < 0:  # only a damaged header says so
        raise QueueWriteError("open", f"schema version {found} is not one this software wrote (damaged file)")
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
    check_row_ids(conn)
    return found


def check_row_ids(conn: sqlite3.Connection) -> None:
    """``items.id`` must be the row id: one flipped bit in the stored schema text
    (``INTEGER`` -> ``HNTEGER``) makes it a plain column that reads NULL in every row, and no
    item could be addressed. Such a file is refused whole and left as it is for recovery."""
    columns = {row[1]: (str(row[2]).upper(), row[5]) for row in conn.execute("PRAGMA table_info(items)")}
    if columns and columns.get("id") != ("INTEGER", 1):
        raise QueueWriteError("open", f"items table damaged: id is declared {columns.get('id')}, "
                                      "not INTEGER PRIMARY KEY (the file is left as it is)")
