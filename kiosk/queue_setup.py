"""Opens the offline queue and its forwarder from configuration (kiosk and `kiosk sync` alike).

Fail closed on the key: items waiting in the queue are sealed with the queue key, so a missing
key or another key would strand them (each set aside as unreadable on its first send). Start-up
refuses instead, naming the key file and the recovery step (``check_queue_key``). Only simulator
mode creates a key, and only when nothing is waiting.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from kiosk.config import Config
from offline_queue.crypto import BodyCipher, create_key_file, load_key_file
from offline_queue.errors import KeyFileError, SchemaTooNew
from offline_queue.events import EventSink
from offline_queue.forwarder import Forwarder, ForwarderConfig
from offline_queue.http_transport import HttpTransport
from offline_queue.link import LinkMonitor
from offline_queue.migrations import CURRENT_VERSION
from offline_queue.store import Bounds, Outbox


class QueueKeyRefused(Exception):
    """The queue key is missing, unusable, or not the key the waiting items were sealed with."""

    def __init__(self, key_path: Path, problem: str, fix: str) -> None:
        super().__init__(f"queue key {key_path}: {problem}; {fix}")
        self.key_path = key_path
        self.problem = problem
        self.fix = fix


class QueueUnreadable(Exception):
    """The queue database cannot be read at all (not SQLite, damaged, no permission)."""

    def __init__(self, db: Path, problem: str) -> None:
        super().__init__(f"queue database {db}: {problem}")
        self.db = db
        self.problem = problem


@dataclass(frozen=True)
class QueueOnDisk:
    schema: int
    sealed: int  # items still holding a body (waiting, dead or set aside)
    sealed_by_other_key: int  # of those, sealed under a key id other than the one asked about


def inspect_queue(db: Path, key_id: bytes | None) -> QueueOnDisk:
    """A read-only look at the queue file before the Outbox opens (and migrates) it."""
    if not db.exists():
        return QueueOnDisk(0, 0, 0)
    try:
        conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise QueueUnreadable(db, str(exc)) from None
    try:
        schema = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'items'").fetchone():
            return QueueOnDisk(schema, 0, 0)  # no items table yet: an empty queue
        sealed, other = conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(key_id IS NOT NULL AND key_id != ?), 0)"
            " FROM items WHERE body IS NOT NULL", (key_id or b"",)).fetchone()
        return QueueOnDisk(schema, int(sealed), int(other) if key_id is not None else int(sealed))
    except sqlite3.Error as exc:  # not SQLite, damaged, or unreadable to us
        raise QueueUnreadable(db, str(exc)) from None
    finally:
        conn.close()


def check_queue_key(cfg: Config) -> None:
    """Refuse (QueueKeyRefused, QueueUnreadable, SchemaTooNew) rather than open a queue whose items
    we could not read."""
    key_path = cfg.data_path(cfg.offline.queue_key_file)
    db = cfg.data_path(cfg.offline.queue_db)
    restore = (f"restore {key_path} (mode 0600) from the kiosk's key backup; only if that key is lost for good, "
               f"move {db} aside (its items cannot be delivered without it) and create a new key with "
               f"`kiosk queue init-key --config {cfg.source or 'FILE'}`")
    if not key_path.exists():
        found = inspect_queue(db, None)
        _refuse_newer(found)
        if found.sealed:
            raise QueueKeyRefused(key_path, f"missing while {found.sealed} queued item(s) are sealed with it",
                                  restore)
        if not cfg.kiosk.simulator_mode:
            raise QueueKeyRefused(key_path, "missing", "create it at provisioning with "
                                  f"`kiosk queue init-key --config {cfg.source or 'FILE'}` (as the kiosk's user)")
        return  # simulator mode: open_queue creates a fresh key for the empty queue
    try:
        key = load_key_file(key_path)
    except KeyFileError as exc:
        raise QueueKeyRefused(key_path, exc.problem, "fix the file (32 random bytes, mode 0600, owned by the "
                              "kiosk's user) or restore it from the kiosk's key backup") from None
    found = inspect_queue(db, BodyCipher(key).key_id)
    _refuse_newer(found)
    if found.sealed_by_other_key:
        raise QueueKeyRefused(key_path, f"is not the key {found.sealed_by_other_key} queued item(s) are sealed "
                              "with", restore)


def _refuse_newer(found: QueueOnDisk) -> None:
    if found.schema > CURRENT_VERSION:
        raise SchemaTooNew(found.schema, CURRENT_VERSION)


def open_queue(cfg: Config, link: LinkMonitor, on_event: EventSink | None
               ) -> tuple[Outbox, Forwarder, HttpTransport, bytes]:
    data = Path(cfg.kiosk.data_dir)
    data.mkdir(parents=True, exist_ok=True)
    data.chmod(0o700)
    check_queue_key(cfg)
    key_path = cfg.data_path(cfg.offline.queue_key_file)
    if not key_path.exists():  # simulator mode with nothing queued (check_queue_key refused otherwise)
        create_key_file(key_path)
    key = load_key_file(key_path)
    outbox = Outbox(
        cfg.data_path(cfg.offline.queue_db), BodyCipher(key),
        Bounds(cfg.offline.max_items, cfg.offline.max_bytes, cfg.offline.max_age_days * 86400),
        on_event=on_event,
    )
    transport = HttpTransport(
        cfg.central.url, ca_file=cfg.central.ca_file, cert_file=cfg.central.cert_file,
        key_file=cfg.central.key_file, connect_timeout_s=cfg.central.connect_timeout_s,
        read_timeout_s=cfg.central.read_timeout_s, default_headers={"X-Kiosk-Id": cfg.kiosk.id},
    )
    forwarder = Forwarder(outbox, transport, link=link,
                          config=ForwarderConfig(batch_threshold=cfg.offline.batch_threshold), on_event=on_event)
    return outbox, forwarder, transport, key
