"""A citizen's session: the only place personal data lives, and only until it is wiped."""

from __future__ import annotations

import threading
import uuid
from typing import Any


class Session:
    """Holds personal data for one transaction. ``wipe()`` drops every reference to it.

    Python cannot zero immutable strings; dropping the references and keeping no copies
    elsewhere (logs, caches, reprs) is what this class guarantees.
    """

    def __init__(self) -> None:
        self.session_id = uuid.uuid4().hex[:12]
        self._data: dict[str, Any] = {}
        self._lock = threading.Lock()
        self.wiped = False

    def __setitem__(self, key: str, value: Any) -> None:
        with self._lock:
            if self.wiped:
                raise RuntimeError("session already wiped")
            self._data[key] = value

    def __getitem__(self, key: str) -> Any:
        with self._lock:
            return self._data[key]

    def get(self, key: str, default: Any = None) -> Any:
        with self._lock:
            return self._data.get(key, default)

    def __contains__(self, key: str) -> bool:
        with self._lock:
            return key in self._data

    def wipe(self) -> None:
        with self._lock:
            for key in list(self._data):
                self._data[key] = None
            self._data.clear()
            self.wiped = True

    def __repr__(self) -> str:
        return f"Session({self.session_id}, {len(self._data)} items)"
