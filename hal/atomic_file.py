"""The one way the product writes a whole file: a reader, a kill or a power cut sees the old
file or the new one, never a part, and once this returns the new one survives a power cut.

How: a temporary file in the same directory, written and fsynced, renamed over the target
(or, ``exclusive``, linked to a name that must not exist yet), then the directory fsynced so the
rename itself is on disk. It lives in hal/, the lowest layer, so every writer may import it:
hal's own counters, the queue (offline_queue must not import kiosk), the kiosk and central_sim.
Appending logs (audit chain, consumables, log files) are not whole-file writes and do not use it.
Renames that must be durable (``replace_path``) and files written as a stream (``write_stream``,
``copy_atomic``) have their own small functions here, so that too is done in one place.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


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


def replace_path(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
    """Rename ``src`` over ``dst`` in one step, durably.

    For what is not "write a whole file" but must be swapped in whole: a release directory
    renamed into place, a new ``current`` symlink renamed over the old one, a finished download's
    ``.part`` file, a key moved to retired/. rename(2) is atomic; the fsync of the destination's
    directory (and the source's, when it is another one) makes the new name, and the old name's
    removal, survive a power cut.
    """
    source, target = Path(src), Path(dst)
    os.replace(source, target)
    fsync_dir(target.parent)
    if source.parent.resolve() != target.parent.resolve():
        fsync_dir(source.parent)


def write_stream(path: str | os.PathLike[str], writer: Callable[[BinaryIO], object], *,
                 mode: int = 0o600) -> None:
    """Replace ``path`` with what ``writer(file)`` writes, like ``write_atomic``.

    For content produced as a stream (a tar archive, a copy of a large file) that should not be
    built in memory first. If ``writer`` raises, the target is untouched and no temp file stays.
    """
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}-{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), mode)  # whatever the umask
            writer(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(target.parent)


def copy_atomic(src: str | os.PathLike[str], dst: str | os.PathLike[str], *, mode: int = 0o600) -> None:
    """Copy ``src`` to ``dst`` so that ``dst`` is the old file or the whole copy, never a part."""
    with open(src, "rb") as source:
        write_stream(dst, lambda f: shutil.copyfileobj(source, f), mode=mode)
