"""The heartbeat's optional ``update`` field: ``{version, state, last_result}`` (additive).

``version`` is the release ``current`` points at, ``state`` is "good" or "pending" (or
"requested" while a remote update waits for the privileged updater), ``last_result`` the
outcome of the last update ("ok 1.2.0", "rolled_back 1.2.0: crash_loop", "failed 1.2.0: …").
"""

from __future__ import annotations

from typing import Any

from kiosk.config import Config, ConfigError
from kiosk.update.releases import current_version
from kiosk.update.remote import UpdateRequests
from kiosk.update.settings import UpdateSettings, load_settings
from kiosk.update.state import read_state


def heartbeat_update(cfg: Config) -> dict[str, Any] | None:
    """The ``update`` field for ``cfg``'s kiosk; None when there is nothing to report or it cannot be read
    (an update problem must never stop the heartbeat). In the heartbeat's state provider:
    ``**({"update": u} if (u := heartbeat_update(cfg)) else {})``."""
    try:
        return update_field(load_settings(cfg), UpdateRequests(cfg.run_path("")))
    except (ConfigError, OSError, ValueError):
        return None


def update_field(settings: UpdateSettings, requests: UpdateRequests | None = None) -> dict[str, Any] | None:
    """None on a kiosk installed without the releases layout (nothing to report)."""
    version = current_version(settings.root)
    if not version:
        return None
    st = read_state(settings.state_file)
    state = st.state
    waiting = requests.peek() if requests is not None else None
    if state == "good" and waiting is not None:
        state = "requested"
    out: dict[str, Any] = {"version": version, "state": state, "last_result": st.last_result}
    if st.pending:
        out["pending"] = st.pending
    if waiting is not None:
        out["requested"] = waiting.get("version")
    return out
