"""How far a kiosk's clock runs from ours, as its heartbeats show it.

A kiosk dates what the citizen did by its own clock (a loss report's ``reported_at``, ``requested_at``).
Its heartbeats carry ``sent_at`` on the same clock, and the central keeps the last one with when it
arrived (``kiosks.state``, ``kiosks.last_seen``: central_sim.fleet), so the difference reads one clock
against the other. A module of its own: the request handlers that need it sit below the fleet module.
"""

from __future__ import annotations

import datetime as dt
import json

from central_sim.clock import parse_rfc3339
from central_sim.storage import Tx


def clock_ahead(tx: Tx, kiosk_id: str) -> dt.timedelta:
    """How far the kiosk's clock ran ahead of ours at its last heartbeat (negative: behind); zero when
    it has sent none."""
    row = tx.one("SELECT last_seen, state FROM kiosks WHERE kiosk_id = ?", (kiosk_id,))
    if row is None:
        return dt.timedelta(0)
    try:
        sent = parse_rfc3339(str(json.loads(row["state"]).get("sent_at", "")))
    except (ValueError, TypeError, AttributeError):
        sent = None
    if sent is None:
        return dt.timedelta(0)
    return sent - dt.datetime.fromtimestamp(float(row["last_seen"]), dt.UTC)
