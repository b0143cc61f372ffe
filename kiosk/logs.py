"""Structured logging to stderr (journald picks it up under systemd), masked at the sink.

Callers must not pass personal data in the first place; the message, every extra field (nested
ones too) and the traceback go through the one PII rule set (hal/pii.py) as the last line of defence.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
import sys
import time
from pathlib import Path
from typing import Any

from hal.pii import scrub, scrub_json

_RESERVED = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(record.created))
            + f".{int(record.msecs):03d}",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": scrub(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = next(iter(scrub_json({key: value}).values()))  # with its key: code=…, name=…
        if record.exc_info:
            entry["exc"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


def setup_logging(level: str = "INFO", stream: Any = None) -> None:
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_kiosk", False):
            root.removeHandler(h)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler._kiosk = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


LOG_FILE = "logs/kiosk.log"  # under kiosk.data_dir; the maintenance log viewer reads it


class _PrivateRotatingHandler(logging.handlers.RotatingFileHandler):
    """Rotating JSON log file readable by the kiosk's user only (0600)."""

    def _open(self) -> Any:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        return os.fdopen(fd, "a", encoding=self.encoding or "utf-8")


def add_log_file(path: str | os.PathLike[str], *, max_bytes: int = 5 * 1024 * 1024, backups: int = 5) -> None:
    """Also write the (masked) JSON log lines to a rotating file; replaces an earlier kiosk log file."""
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_kiosk_file", False):
            root.removeHandler(h)
            h.close()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    handler = _PrivateRotatingHandler(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
    handler.setFormatter(JsonFormatter())
    handler._kiosk_file = True  # type: ignore[attr-defined]
    root.addHandler(handler)
