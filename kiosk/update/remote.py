"""The remote command ``update{version?}`` from the central, handed to the privileged updater.

The process that receives commands (``kiosk sync``, unprivileged) cannot write the releases
root. It writes a request file into the run directory; ``kiosk-update.path`` (systemd) sees it
and starts ``kiosk-update.service``, which runs ``kiosk update run-request`` as root: check,
download, wait for an idle kiosk, apply. The outcome is in the state file and so in the next
heartbeat's ``update`` field, and the boot helper reports a rollback the same way.

Registration (kiosk/remote_commands.py, or where kiosk/sync.py registers its handlers):
    from kiosk.update.remote import register as register_update; register_update(heartbeat, cfg)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hal.atomic_file import write_atomic
from kiosk.update.releases import check_version

REQUEST = "update-request.json"


class UpdateRequests:
    """One pending request at most: a newer command replaces an unprocessed older one."""

    def __init__(self, run_dir: Path) -> None:
        self.path = Path(run_dir) / REQUEST

    def post(self, command_id: str, version: str | None) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # 0644: posted by the unprivileged sync process, taken by the root updater, peeked at by the
        # heartbeat; a command id and a version are no secret.
        write_atomic(self.path, json.dumps({"id": command_id, "version": version}), mode=0o644)

    def peek(self) -> dict[str, Any] | None:
        try:
            data: dict[str, Any] = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data

    def take(self) -> dict[str, Any] | None:
        data = self.peek()
        self.path.unlink(missing_ok=True)
        return data


def register(heartbeat: Any, cfg: Any) -> None:
    """Register the ``update`` command on a HeartbeatSender for the kiosk configured by ``cfg``."""
    heartbeat.register("update", UpdateCommand(cfg.run_path("")).handle)


class UpdateCommand:
    def __init__(self, run_dir: Path) -> None:
        self.requests = UpdateRequests(run_dir)

    def handle(self, cmd: Any) -> str:
        """HeartbeatSender handler: ``cmd`` is a kiosk.central.models.Command (extra fields allowed)."""
        extra = getattr(cmd, "model_extra", None) or {}
        version = extra.get("version")
        if version is not None:
            check_version(str(version))  # a malformed version fails the command (reported as failed)
        self.requests.post(cmd.id, str(version) if version is not None else None)
        return f"update to {version or 'channel release'} requested"
