"""Refuse to start with secrets other users could read: the queue key, the TLS client key, the
audit key and the technician account file must be regular files, mode 0600, owned by the kiosk's own user."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from kiosk.audit import AUDIT_KEY_FILE
from kiosk.config import Config, ConfigError

TECHNICIAN_FILE = "technicians.json"


class SecretsError(ConfigError):
    """A ConfigError; the start-up guard (kiosk/startup_guard.py) turns it into exit 77 with the files named."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("secrets", "拒绝启动 refusing to start: " + "; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Secret:
    label: str
    path: Path
    required: bool
    create: str = ""  # how to make a missing one (the command), where the kiosk has one


def secrets_of(cfg: Config, *, before_queue: bool = False) -> list[Secret]:
    """``before_queue``: the check before the queue opens, where simulator mode may still create its key."""
    key_required = not (before_queue and cfg.kiosk.simulator_mode)
    queue_key = cfg.data_path(cfg.offline.queue_key_file)
    out = [Secret("queue key (offline.queue_key_file)", queue_key, key_required,
                  f"kiosk queue init-key --key {queue_key}"),
           Secret("technician accounts", cfg.data_path(TECHNICIAN_FILE), False),
           Secret("audit key", cfg.data_path(AUDIT_KEY_FILE), False)]
    if cfg.central.key_file:
        out.append(Secret("client key (central.key_file)", Path(cfg.central.key_file), True))
    return out


def problem_with(secret: Secret, uid: int | None = None) -> str | None:
    uid = os.geteuid() if uid is None else uid
    try:
        st = os.lstat(secret.path)
    except FileNotFoundError:
        if not secret.required:
            return None
        if secret.create:  # a lost key is restored, never replaced: items waiting may be sealed with it
            return (f"{secret.label} {secret.path} is missing (a new kiosk: create it with `{secret.create}` "
                    "as the kiosk's user; otherwise restore it from the kiosk's key backup)")
        return f"{secret.label} {secret.path} is missing"
    except OSError as exc:
        return f"{secret.label} {secret.path}: {exc.strerror}"
    if not stat.S_ISREG(st.st_mode):
        return f"{secret.label} {secret.path} is not a regular file"
    if st.st_uid != uid:
        return f"{secret.label} {secret.path} is owned by uid {st.st_uid}, must be owned by uid {uid}"
    mode = stat.S_IMODE(st.st_mode)
    if mode != 0o600:
        return f"{secret.label} {secret.path} has mode {mode:04o}, must be 0600 (chmod 600 {secret.path})"
    return None


def check_secrets(cfg: Config, *, before_queue: bool = False) -> list[str]:
    return [p for s in secrets_of(cfg, before_queue=before_queue) if (p := problem_with(s)) is not None]


def enforce_secrets(cfg: Config, *, before_queue: bool = False) -> None:
    problems = check_secrets(cfg, before_queue=before_queue)
    if problems:
        raise SecretsError(problems)


def no_core_dumps() -> None:
    """A core dump of the kiosk would hold the citizen in memory (ID data, photo, PIN entry state):
    the process never writes one, whatever the unit's LimitCORE says."""
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
