"""The one start-up guard of `kiosk run` and `kiosk sync`: both entry points call ``prepare``
before anything else runs (no Kivy, no device, no network).

It disables core dumps, loads the configuration, and checks the data directory, the secrets'
permissions and the queue key. A failed check is a ``StartupRefused``: the CLI prints its one
line on stderr (English, with the file and the fix: the journal shows it under the unit) and
exits with its code. The codes are sysexits.h values, which systemd logs by name
(``status=78/CONFIG``), so each cause is told apart in ``systemctl status``.
"""

from __future__ import annotations

import os
from enum import IntEnum
from pathlib import Path

from hal.atomic_file import write_atomic
from kiosk.config import Config, ConfigError, load_config
from kiosk.queue_setup import QueueKeyRefused, QueueUnreadable, check_queue_key
from kiosk.secrets_check import SecretsError, enforce_secrets, no_core_dumps
from offline_queue.errors import SchemaTooNew


class Exit(IntEnum):
    CONFIG = 78  # EX_CONFIG: the configuration file is unreadable, not TOML, or a key is wrong
    SECRETS = 77  # EX_NOPERM: a secret is readable by others, owned by another user, or not a file
    DATA_DIR = 73  # EX_CANTCREAT: kiosk.data_dir (or the run directory) is not a writable directory
    QUEUE_KEY = 66  # EX_NOINPUT: the queue key is missing, broken, or not the one the queued items need
    QUEUE_SCHEMA = 65  # EX_DATAERR: the queue database was written by a newer release
    QUEUE_DB = 74  # EX_IOERR: the queue database cannot be read (not SQLite, damaged, no permission)


class StartupRefused(Exception):
    def __init__(self, code: Exit, problem: str, fix: str) -> None:
        super().__init__(problem)
        self.code = code
        self.problem = problem
        self.fix = fix

    def line(self, command: str) -> str:
        """The operator's one line: what is wrong, where, and what to do."""
        text = f"kiosk {command}: refusing to start [{self.code.name.lower()}, exit {int(self.code)}]: " \
               f"{self.problem}. Fix: {self.fix}"
        return " ".join(text.split())  # one line, whatever the messages held


def prepare(config_path: str | None) -> Config:
    """Everything both entry points check before they start; returns the loaded configuration."""
    no_core_dumps()  # first: nothing the process reads from here on can end up in a core file
    cfg = _load(config_path)
    _check_dirs(cfg)
    try:
        enforce_secrets(cfg, before_queue=True)
    except SecretsError as exc:
        raise StartupRefused(Exit.SECRETS, "secrets other users could read or replace: " + "; ".join(exc.problems),
                             "each secret must be a regular file, mode 0600, owned by the kiosk's user "
                             "(chmod 600 FILE; chown sscard-kiosk: FILE)") from None
    try:
        check_queue_key(cfg)
    except QueueKeyRefused as exc:
        raise StartupRefused(Exit.QUEUE_KEY, f"queue key {exc.key_path} {exc.problem}", exc.fix) from None
    except QueueUnreadable as exc:
        raise StartupRefused(Exit.QUEUE_DB, f"queue database {exc.db} cannot be read ({exc.problem})",
                             f"give it back to the kiosk's user (mode 0600), or restore {exc.db} from the copy "
                             "taken before the last upgrade; never delete it while it may hold undelivered "
                             "items") from None
    except SchemaTooNew as exc:
        db = cfg.data_path(cfg.offline.queue_db)
        raise StartupRefused(Exit.QUEUE_SCHEMA, f"queue database {db} has schema v{exc.found}, newer than this "
                             f"release (v{exc.known})", "install the newer release again, or restore the copy of "
                             "the data directory taken before the upgrade (docs/deployment.md, Rollback)") from None
    return cfg


def _load(config_path: str | None) -> Config:
    where = config_path or "(built-in defaults, no --config)"
    try:
        return load_config(config_path)
    except ConfigError as exc:
        if exc.key == "(file)":
            fix = "point --config at the kiosk's TOML file (a regular file under 256 KB)"
        else:
            fix = f"correct {exc.key} in {where} (every key is documented in config/kiosk.example.toml)"
        raise StartupRefused(Exit.CONFIG, f"configuration {where}: {exc.key}: {exc.problem}", fix) from None


def _check_dirs(cfg: Config) -> None:
    for key, path in (("kiosk.data_dir", Path(cfg.kiosk.data_dir)), ("kiosk.run_dir", cfg.run_path(""))):
        problem = _not_writable(path)
        if problem:
            raise StartupRefused(Exit.DATA_DIR, f"{key} {path} is not a writable directory ({problem})",
                                 f"make {path} a directory owned by the kiosk's user, mode 0700, on a writable "
                                 "file system (under systemd: listed in ReadWritePaths=)")


def _not_writable(path: Path) -> str | None:
    """Why ``path`` cannot hold the kiosk's files, or None. Tries for real: a read-only mount, a
    full disk or a foreign owner all show here, where os.access() can be fooled."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        os.listdir(path)
        probe = path / f".startup-probe-{os.getpid()}"
        write_atomic(probe, b"", exclusive=True)
        probe.unlink()
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    return None
