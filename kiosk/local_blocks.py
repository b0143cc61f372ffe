"""Cards blocked at this kiosk after a loss report made here, until the citizen cancels the loss.

Only keyed hashes are stored, so the file holds no card or ID number.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from pathlib import Path

from hal.atomic_file import write_atomic


class LocalBlocks:
    def __init__(self, path: Path, secret: bytes) -> None:
        self.path = path
        self._secret = secret
        self._lock = threading.Lock()
        self._hashes: set[str] = set()
        if path.exists():
            self._hashes = set(json.loads(path.read_text(encoding="utf-8")))

    def _h(self, identifier: str) -> str:
        return hmac.new(self._secret, identifier.encode("utf-8"), hashlib.sha256).hexdigest()

    def block(self, identifier: str) -> None:
        with self._lock:
            self._hashes.add(self._h(identifier))
            write_atomic(self.path, json.dumps(sorted(self._hashes)))

    def unblock(self, *identifiers: str) -> None:
        """The citizen cancelled the loss at the central: the card is no longer blocked here."""
        with self._lock:
            gone = {self._h(i) for i in identifiers if i} & self._hashes
            if gone:
                self._hashes -= gone
                write_atomic(self.path, json.dumps(sorted(self._hashes)))

    def is_blocked(self, *identifiers: str) -> bool:
        with self._lock:
            return any(self._h(i) in self._hashes for i in identifiers if i)
