"""The maintenance log viewer: the kiosk's JSON log file (and its rotations), filtered by time and
level, masked again on the way out (the file is masked at the sink already)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from kiosk.domain.masking import scrub

LEVELS = ("debug", "info", "warning", "error", "critical")
MAX_LINE = 4096


@dataclass(frozen=True)
class LogEntry:
    ts: str
    level: str
    logger: str
    msg: str
    extra: str

    def line(self) -> str:
        return f"{self.ts} {self.level.upper():8} {self.logger} {self.msg} {self.extra}".rstrip()


def _files(path: Path) -> list[Path]:
    rotated = sorted(path.parent.glob(path.name + ".*"), key=lambda p: -int(p.suffix[1:]) if p.suffix[1:].isdigit()
                     else 0)
    return [p for p in rotated if p.suffix[1:].isdigit()] + ([path] if path.exists() else [])


def read_logs(path: Path, *, since: dt.datetime | None = None, until: dt.datetime | None = None,
              min_level: str = "debug", limit: int = 500) -> list[LogEntry]:
    """The newest ``limit`` entries at ``min_level`` or above between ``since`` and ``until`` (local time)."""
    if min_level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}")
    floor = LEVELS.index(min_level)
    lo = since.strftime("%Y-%m-%dT%H:%M:%S") if since else ""
    hi = until.strftime("%Y-%m-%dT%H:%M:%S") if until else "\uffff"
    out: list[LogEntry] = []
    for f in _files(path):
        with f.open(encoding="utf-8", errors="replace") as fh:
            for raw in fh:
                try:
                    rec = json.loads(raw[:MAX_LINE])
                except (ValueError, RecursionError):
                    continue
                if not isinstance(rec, dict):
                    continue
                level = str(rec.get("level", "info"))
                ts = str(rec.get("ts", ""))
                if level not in LEVELS or LEVELS.index(level) < floor or not (lo <= ts[:19] <= hi):
                    continue
                extra = {k: v for k, v in rec.items() if k not in ("ts", "level", "logger", "msg")}
                out.append(LogEntry(ts, level, str(rec.get("logger", "")), scrub(str(rec.get("msg", ""))),
                                    scrub(json.dumps(extra, ensure_ascii=False)) if extra else ""))
    return out[-limit:]
