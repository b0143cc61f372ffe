"""The update state file: which release is good, which is pending, how often it was started.

One small JSON file, replaced atomically (write, fsync, rename, fsync the directory), so a
power cut leaves either the old or the new content. ``kiosk update boot`` reads it before every
start of the UI; the heartbeat's ``update`` field is made from it.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class UpdateState:
    good: str = ""  # the last release that passed its health check ("" = the one installed by hand)
    pending: str = ""  # switched to, not yet proven healthy
    boots: int = 0  # starts of the pending release so far
    last_result: str = ""  # e.g. "ok 1.2.0", "rolled_back 1.2.0: crash_loop"
    last_result_at: float = 0.0
    failed: list[str] = field(default_factory=list)  # releases that rolled back: not offered again

    @property
    def state(self) -> str:
        return "pending" if self.pending else "good"

    def result(self, text: str) -> None:
        self.last_result = text[:200]
        self.last_result_at = time.time()


def read_state(path: Path) -> UpdateState:
    try:
        raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return UpdateState()
    except ValueError:  # cannot happen with atomic writes; a hand-edited file must not brick the kiosk
        return UpdateState(last_result="state file unreadable; reset")
    known = {k: v for k, v in raw.items() if k in UpdateState.__dataclass_fields__}
    return UpdateState(**known)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_state(path: Path, state: UpdateState) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(asdict(state), f, indent=1, sort_keys=True)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)
