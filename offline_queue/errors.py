"""Typed errors of the offline queue. Messages never hold request bodies or personal data."""

from __future__ import annotations


class OfflineQueueError(Exception):
    """Base of every error this package raises on purpose."""


class KeyFileError(OfflineQueueError):
    """The body-encryption key file is missing, unreadable, malformed or too widely readable."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"队列密钥文件错误 queue key file {path}: {problem}")
        self.path = path
        self.problem = problem


class QueueFull(OfflineQueueError):
    """A configured bound (items or bytes) is reached: new offline work must be refused.

    Stored items are never dropped to make room.
    """

    def __init__(self, bound: str, current: int, limit: int) -> None:
        super().__init__(f"离线队列已满，暂不受理需离线排队的业务 offline queue full: {bound} {current}/{limit}")
        self.bound = bound
        self.current = current
        self.limit = limit


class QueueWriteError(OfflineQueueError):
    """SQLite could not durably write (disk full, I/O error, read-only, locked too long), or could
    not read a damaged file (operation "open" or "read").

    On enqueue the item is NOT stored; the caller must refuse the transaction.
    """

    def __init__(self, operation: str, cause: str) -> None:
        super().__init__(f"离线队列写入失败 offline queue write failed during {operation}: {cause}")
        self.operation = operation
        self.cause = cause


class SchemaTooNew(OfflineQueueError):
    """The database was written by a newer version of this package; we refuse to touch it."""

    def __init__(self, found: int, known: int) -> None:
        super().__init__(f"queue database schema v{found} is newer than this software (v{known})")
        self.found = found
        self.known = known


class ItemNotFound(OfflineQueueError):
    def __init__(self, item_id: int) -> None:
        super().__init__(f"no queue item with id {item_id}")
        self.item_id = item_id


class TransportError(OfflineQueueError):
    """Connection error, reset or timeout: the outcome at the central is unknown (retry)."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"transport {kind}: {detail}" if detail else f"transport {kind}")
        self.kind = kind
        self.detail = detail
