"""The monitor's version cell: each kiosk's release, its pending update and the last result."""

from __future__ import annotations

import html
from typing import Any


def update_cell(state: dict[str, Any]) -> str:
    upd = state.get("update") if isinstance(state.get("update"), dict) else None
    version = html.escape(str(state.get("app_version", "?")))
    if upd is None:
        return version
    parts = [html.escape(str(upd.get("version", version)))]
    st = str(upd.get("state", ""))
    if st == "pending":
        parts.append(f'<span class="warn">待确认 pending {html.escape(str(upd.get("pending", "")))}</span>')
    elif st == "requested":
        parts.append(f'<span class="warn">已下发 requested {html.escape(str(upd.get("requested") or ""))}</span>')
    result = str(upd.get("last_result", ""))
    if result:
        cls = "bad" if result.startswith(("rolled_back", "failed")) else ""
        parts.append(f'<small class="{cls}">{html.escape(result[:120])}</small>')
    return "<br>".join(parts)
