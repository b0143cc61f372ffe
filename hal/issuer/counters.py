"""Persistent device counters in a small JSON file (survive restarts and power cuts).

Written atomically (temp file, fsync, rename) so a power cut leaves the old or the new
file, never half of one. Counts only: no personal data.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterable
from pathlib import Path

from hal.atomic_file import write_atomic

log = logging.getLogger(__name__)


class CounterStore:
    def __init__(self, path: str | os.PathLike[str], keys: Iterable[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._values = dict.fromkeys(keys, 0)
        self._load()

    def _load(self) -> None:
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError):
            log.error("counter file %s unreadable; starting from zero", self.path)
            return
        if isinstance(data, dict):
            for k, v in data.items():
                if isinstance(v, int) and v >= 0:
                    self._values[str(k)] = v

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._values)

    def add(self, key: str, n: int = 1) -> int:
        with self._lock:
            self._values[key] = self._values.get(key, 0) + n
            self._save()
            return self._values[key]

    def reset(self, key: str) -> None:
        with self._lock:
            self._values[key] = 0
            self._save()

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(self.path, json.dumps(self._values, sort_keys=True))
