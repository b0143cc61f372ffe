"""The maintenance screen's view of the offline queue: depth, oldest age, dead letters (masked),
retry, export and a forced flush. Bodies are never shown; summaries are masked by the queue."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hal.atomic_file import write_atomic
from kiosk.domain.masking import scrub
from offline_queue.forwarder import Forwarder
from offline_queue.store import Outbox, State, iso


@dataclass(frozen=True)
class QueueView:
    depth: int
    oldest_age_s: float
    dead_letters: int
    lines: tuple[str, ...]


class QueueTools:
    def __init__(self, outbox: Outbox, forwarder: Forwarder) -> None:
        self.outbox = outbox
        self.forwarder = forwarder

    def view(self, limit: int = 50) -> QueueView:
        st = self.outbox.status()
        items = self.outbox.list_items([State.DEAD, State.PENDING, State.IN_FLIGHT, State.SET_ASIDE,
                                              State.FLAGGED_OLD], limit=limit)
        lines = tuple(scrub(f"#{i.id} {i.state} {i.service} {i.path} tries={i.attempts} {iso(i.created_at)} "
                            f"{i.summary} {i.last_error or ''}") for i in items)
        return QueueView(st.depth, st.oldest_age_s, st.dead_letters, lines)

    def status(self) -> dict[str, Any]:
        return dict(self.outbox.status().to_json())

    def retry(self, item_id: int) -> str:
        return str(self.outbox.retry(item_id).state)

    def retry_dead(self) -> int:
        return self.outbox.retry_dead()

    def export_dead(self, path: Path) -> int:
        dead = self.outbox.export_dead()
        text = scrub(json.dumps(dead, ensure_ascii=False, indent=2))
        write_atomic(path, text + "\n")
        return len(dead)

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Forget backoffs and send now; True when the queue drained within the timeout."""
        return self.forwarder.flush(timeout=timeout_s)
