"""Face-check failures, limited per ID card per day across every service that checks the face
(kiosk.flows.face_check: apply, replace, loss cancellation, contact change, PIN reset), persisted
across restarts.

Only keyed hashes of (ID number, day) are stored, so the file holds no personal number.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
from pathlib import Path

from hal.atomic_file import write_atomic

MAX_FACE_FAILURES_PER_DAY = 3


class FaceFailures:
    def __init__(self, path: Path, secret: bytes, limit: int = MAX_FACE_FAILURES_PER_DAY) -> None:
        self.path = path
        self.limit = limit
        self._secret = secret
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}
        if path.exists():
            self._counts = {str(k): int(v) for k, v in json.loads(path.read_text(encoding="utf-8")).items()}

    def _key(self, holder: str, day: dt.date) -> str:
        return hmac.new(self._secret, f"face|{holder}|{day.isoformat()}".encode(), hashlib.sha256).hexdigest()

    def count(self, holder: str, day: dt.date) -> int:
        with self._lock:
            return self._counts.get(self._key(holder, day), 0)

    def blocked(self, holder: str, day: dt.date) -> bool:
        return self.count(holder, day) >= self.limit

    def record_failure(self, holder: str, day: dt.date) -> int:
        """Count one failure; returns the failures left today."""
        with self._lock:
            key = self._key(holder, day)
            self._counts[key] = self._counts.get(key, 0) + 1
            write_atomic(self.path, json.dumps(self._counts))
            return max(0, self.limit - self._counts[key])
