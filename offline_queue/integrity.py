"""Start-up checks of the outbox file: the WAL's tail, ``PRAGMA quick_check``.

SQLite reads a write-ahead log up to its first frame whose checksum fails and silently ignores
the rest, so a torn or truncated WAL loses the commits in its tail without any error. Only the
WAL format is read here (https://www.sqlite.org/fileformat2.html#walformat), before SQLite opens
the file; what the rows hold is checked by the store (every waiting body must authenticate).
"""

from __future__ import annotations

import sqlite3
import struct
import time
from dataclasses import dataclass
from pathlib import Path

WAL_MAGIC = (0x377F0682, 0x377F0683)  # low bit: checksum words are big-endian
WAL_HEADER = 32
FRAME_HEADER = 24
MAX_PAGE = 65536


@dataclass(frozen=True)
class WalReport:
    valid_frames: int  # frames SQLite will read (up to the last valid commit)
    ignored_bytes: int  # bytes after them that belong to this WAL generation but do not read back

    @property
    def damaged(self) -> bool:
        return self.ignored_bytes > 0


def _checksum(data: bytes, s0: int, s1: int, big_endian: bool) -> tuple[int, int]:
    words = struct.unpack(f"{'>' if big_endian else '<'}{len(data) // 4}I", data)
    for i in range(0, len(words), 2):
        s0 = (s0 + words[i] + s1) & 0xFFFFFFFF
        s1 = (s1 + words[i + 1] + s0) & 0xFFFFFFFF
    return s0, s1


def _scan(raw: bytes) -> WalReport:
    if len(raw) < WAL_HEADER:
        return WalReport(0, 0)  # no header written yet: SQLite starts a new log, nothing was committed
    magic, _version, page, _seq, salt1, salt2, c1, c2 = struct.unpack(">8I", raw[:WAL_HEADER])
    if magic not in WAL_MAGIC or page < 512 or page > MAX_PAGE or page & (page - 1):
        return WalReport(0, len(raw))  # the header itself is damaged: the whole log is ignored
    big = bool(magic & 1)
    s = _checksum(raw[:24], 0, 0, big)
    if s != (c1, c2):
        return WalReport(0, len(raw) - WAL_HEADER)
    size = FRAME_HEADER + page
    pos, frames, committed_end, committed_frames = WAL_HEADER, 0, WAL_HEADER, 0
    while pos + size <= len(raw):
        pgno, commit, f1, f2, k1, k2 = struct.unpack(">6I", raw[pos:pos + FRAME_HEADER])
        if (f1, f2) != (salt1, salt2):
            break  # a frame of an earlier generation (left after a checkpoint restarted the log): normal
        s = _checksum(raw[pos:pos + 8] + raw[pos + FRAME_HEADER:pos + size], *s, big)
        if s != (k1, k2) or pgno == 0:
            return WalReport(committed_frames, len(raw) - committed_end)  # a damaged frame of this generation
        frames += 1
        pos += size
        if commit:
            committed_end, committed_frames = pos, frames
    tail = len(raw) - pos
    if 0 < tail < size:  # a partial frame: the log was cut
        return WalReport(committed_frames, len(raw) - committed_end)
    return WalReport(committed_frames, 0)


def inspect_wal(db_path: Path) -> WalReport:
    """The WAL next to ``db_path`` as SQLite will read it. Read twice when damaged: a log another
    process is appending to right now may show a half-written frame that is no damage."""
    wal = Path(f"{db_path}-wal")
    report = WalReport(0, 0)
    for attempt in range(2):
        try:
            raw = wal.read_bytes()
        except FileNotFoundError:
            return WalReport(0, 0)
        report = _scan(raw)
        if not report.damaged:
            return report
        if attempt == 0:
            time.sleep(0.05)
            try:
                if wal.stat().st_size != len(raw):
                    return WalReport(report.valid_frames, 0)  # it is growing: a live writer, not damage
            except FileNotFoundError:
                return WalReport(0, 0)
    return report


def quick_check(conn: sqlite3.Connection) -> list[str]:
    """Problems ``PRAGMA quick_check`` finds (empty when the file is sound)."""
    try:
        rows = conn.execute("PRAGMA quick_check(20)").fetchall()
    except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:  # the latter: damaged schema text in a message
        return [str(exc)]
    problems = [str(r[0]) for r in rows]
    return [] if problems == ["ok"] else problems
