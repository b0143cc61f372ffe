"""Durable, encrypted store-and-forward outbox for the central link.

Knows nothing of the kiosk, screens or Kivy: callers hand it opaque request bodies (bytes),
a service name, a priority, an ordering key and a masked summary for the ledger.
"""

from offline_queue.crypto import BodyCipher, create_key_file, load_key_file
from offline_queue.errors import (
    ItemNotFound,
    KeyFileError,
    OfflineQueueError,
    QueueFull,
    QueueWriteError,
    SchemaTooNew,
    TransportError,
)
from offline_queue.events import EventSink, QueueEvent
from offline_queue.forwarder import Forwarder, ForwarderConfig
from offline_queue.link import LinkMonitor, LinkState
from offline_queue.store import URGENT_PRIORITY, Bounds, ItemInfo, LedgerEntry, Outbox, QueueStatus, State
from offline_queue.transport import BatchItem, BatchItemResult, BatchRefused, Transport, TransportResponse

__all__ = [
    "URGENT_PRIORITY",
    "BatchItem",
    "BatchItemResult",
    "BatchRefused",
    "BodyCipher",
    "Bounds",
    "EventSink",
    "Forwarder",
    "ForwarderConfig",
    "ItemInfo",
    "ItemNotFound",
    "KeyFileError",
    "LedgerEntry",
    "LinkMonitor",
    "LinkState",
    "OfflineQueueError",
    "Outbox",
    "QueueEvent",
    "QueueFull",
    "QueueStatus",
    "QueueWriteError",
    "SchemaTooNew",
    "State",
    "Transport",
    "TransportError",
    "TransportResponse",
    "create_key_file",
    "load_key_file",
]
