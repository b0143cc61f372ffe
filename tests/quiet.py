"""A test that measures time on the UI runs while the other pytest-xdist worker starts nothing.

Every test holds a shared lock from its setup to its teardown (tests/conftest.py); ``alone()`` takes
it exclusively, so it waits for the other worker's running test and keeps the next from starting. A
gate lock stops new shared holders while one waits (no starvation). Outside xdist it does nothing.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

_DIR = Path(tempfile.gettempdir())
_held: list[IO[str]] = []  # this worker's shared hold on the quiet lock, while a test runs


def _files(run: str) -> tuple[Path, Path]:
    return _DIR / f"sscard-kiosk-quiet-{run}.lock", _DIR / f"sscard-kiosk-quiet-{run}.gate"


def _run_id() -> str | None:
    """The xdist run this worker belongs to (both workers share it); None outside xdist."""
    return os.environ.get("PYTEST_XDIST_TESTRUNUID") if os.environ.get("PYTEST_XDIST_WORKER") else None


@contextlib.contextmanager
def shared() -> Iterator[None]:
    run = _run_id()
    if run is None:
        yield
        return
    lock, gate = _files(run)
    with lock.open("a") as held, gate.open("a") as g:
        fcntl.flock(g, fcntl.LOCK_EX)  # waits while an alone() is waiting or running
        fcntl.flock(held, fcntl.LOCK_SH)
        fcntl.flock(g, fcntl.LOCK_UN)
        _held.append(held)
        try:
            yield
        finally:
            _held.remove(held)
            fcntl.flock(held, fcntl.LOCK_UN)


@contextlib.contextmanager
def alone() -> Iterator[None]:
    run = _run_id()
    if run is None or not _held:
        yield
        return
    held = _held[-1]
    _, gate = _files(run)
    with gate.open("a") as g:
        fcntl.flock(held, fcntl.LOCK_UN)  # first let go of our own share: two alone() never deadlock
        fcntl.flock(g, fcntl.LOCK_EX)
        fcntl.flock(held, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(held, fcntl.LOCK_SH)
            fcntl.flock(g, fcntl.LOCK_UN)
