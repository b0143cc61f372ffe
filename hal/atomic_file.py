"""The one way the product writes a whole file: a reader, a kill or a power cut sees the old
file or the new one, never a part, and once this returns the new one survives a power cut.

How: a temporary file in the same directory, written and fsynced, renamed over the target
(or, ``exclusive``, linked to a name that must not exist yet), then the directory fsynced so the
rename itself is on disk. It lives in hal/, the lowest layer, so every writer may import it:
hal's own counters, the queue (offline_queue must not import kiosk), the kiosk and central_sim.
Appending logs (audit chain, consumables, log files) are not whole-file writes and do not use it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path


def write_atomic(path: str | os.PathLike[str], data: bytes | str, *, mode: int = 0o600,
                 check: Callable[[Path], object] | None = None, exclusive: bool = False) -> None:
    """Replace ``path`` with ``data`` (str is written as UTF-8), permissions ``mode``.

    ``check(temp path)`` runs on the complete new file before it takes the target's place; if
    it raises, the target is untouched. ``exclusive``: refuse (FileExistsError) if ``path`` exists.
    """
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    body = data.encode("utf-8") if isinstance(data, str) else data
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
    try:
        try:
            os.fchmod(fd, mode)  # whatever the umask
            view = memoryview(body)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        if check is not None:
            check(tmp)
        if exclusive:
            os.link(tmp, target)  # atomic, and fails if the name exists
        else:
            os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)  # after a replace it is gone already; after link it is a second name
    fsync_dir(target.parent)


def fsync_dir(directory: str | os.PathLike[str]) -> None:
    """Make a rename or a new name in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
