"""The UI command spool: remote commands only the UI process can carry out (set_mode, reload_config,
restart_app), posted by the sync process or the updater as one JSON file each; the UI writes each
outcome back. Shared by kiosk/sync.py, kiosk/remote_commands.py and kiosk/update/cli.py."""

from __future__ import annotations

import contextlib
import json
import logging
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hal.atomic_file import write_atomic

log = logging.getLogger("kiosk.sync")


class CommandSpool:
    """A directory of pending UI commands; each file is written by rename, so it is whole or absent."""

    def __init__(self, run_dir: Path) -> None:
        self.commands = run_dir / "ui-commands"
        self.results = run_dir / "ui-results"

    def post(self, command: Mapping[str, Any]) -> None:
        self.commands.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns()}-{uuid.uuid4().hex[:6]}.json"
        write_atomic(self.commands / name, json.dumps(dict(command)))

    def take(self) -> list[dict[str, Any]]:
        if not self.commands.is_dir():
            return []
        out: list[dict[str, Any]] = []
        for f in sorted(self.commands.glob("[0-9]*.json")):
            try:
                out.append(json.loads(f.read_text(encoding="utf-8")))
            except (OSError, ValueError):
                log.warning("unreadable UI command dropped")
            f.unlink(missing_ok=True)
        return out

    def report(self, command_id: str, ok: bool, message: str) -> None:
        self.results.mkdir(parents=True, exist_ok=True)
        write_atomic(self.results / f"{command_id}.json", json.dumps({"id": command_id, "ok": ok, "message": message}))

    def outcomes(self) -> list[dict[str, Any]]:
        if not self.results.is_dir():
            return []
        out: list[dict[str, Any]] = []
        for f in sorted(self.results.glob("[!.]*.json")):
            with contextlib.suppress(OSError, ValueError):
                out.append(json.loads(f.read_text(encoding="utf-8")))
            f.unlink(missing_ok=True)
        return out
