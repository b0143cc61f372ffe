"""The update state file: which release is good, which is pending, how often it was started.

One small JSON file, replaced atomically (write, fsync, rename, fsync the directory), so a
power cut leaves either the old or the new content. ``kiosk update boot`` reads it before every
start of the UI; the heartbeat's ``update`` field is made from it.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hal.atomic_file import write_atomic


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


def write_state(path: Path, state: UpdateState) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # 0644: the unprivileged heartbeat reads it for its ``update`` field; the root updater writes it.
    write_atomic(path, json.dumps(asdict(state), indent=1, sort_keys=True), mode=0o644)
