"""The kiosk's own small durable SQLite stores (issuance and PIN journals, stock ledger,
recovery records) open the same way, and derive their keys from the queue key the same way."""

from __future__ import annotations

import hashlib
import hmac
import os
import sqlite3
from pathlib import Path


def open_durable(path: Path, schema: str) -> sqlite3.Connection:
    """WAL + synchronous=FULL; the database and its -wal/-shm files are created 0600."""
    old = os.umask(0o077)  # covers the -wal and -shm files SQLite creates next to it
    try:
        db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.executescript(schema)
    finally:
        os.umask(old)
    path.chmod(0o600)
    return db


def derive_key(queue_key: bytes, label: bytes) -> bytes:
    """A separate 256-bit key per purpose, so no two stores share a key."""
    return hmac.new(queue_key, label, hashlib.sha256).digest()
