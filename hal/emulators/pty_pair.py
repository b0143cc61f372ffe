"""Serial devices for tests: an emulator thread on the master side of a pseudo-terminal.

The driver opens ``link_path``, a symlink we own that points at the slave (/dev/pts/N), so
"unplug" (close the pty, remove the link: the port path disappears) and "replug" (a new pty
behind the same link) look to the driver like a USB-serial adapter going and coming back.
The emulator keeps its own slave fd open, else the master reads EIO while no driver is attached.
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
import tty
from typing import Self


class PtyPort:
    """One pseudo-terminal published at ``link_path``."""

    def __init__(self, link_path: str) -> None:
        self.link_path = link_path
        self._master: int | None = None
        self._slave: int | None = None
        self._lock = threading.Lock()
        self.plug()

    @property
    def plugged(self) -> bool:
        return self._master is not None

    @property
    def master_fd(self) -> int | None:
        return self._master

    def plug(self) -> None:
        with self._lock:
            if self._master is not None:
                return
            master, slave = os.openpty()
            tty.setraw(slave)
            tty.setraw(master)
            slave_name = os.ttyname(slave)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.link_path)
            os.symlink(slave_name, self.link_path)
            self._master, self._slave = master, slave

    def unplug(self) -> None:
        with self._lock:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.link_path)
            for fd in (self._master, self._slave):
                if fd is not None:
                    with contextlib.suppress(OSError):
                        os.close(fd)
            self._master = self._slave = None

    def write(self, data: bytes) -> None:
        """Write to the driver; silently dropped while unplugged."""
        with self._lock:
            fd = self._master
            if fd is None:
                return
            view = memoryview(data)
            while view:
                try:
                    n = os.write(fd, view)
                except BlockingIOError:
                    select.select([], [fd], [], 0.05)
                    continue
                except OSError:
                    return
                view = view[n:]


class PtyEmulator:
    """Base class: a thread reads what the driver writes and hands it to ``on_data``."""

    def __init__(self, link_path: str) -> None:
        self.port = PtyPort(link_path)
        self._stop = threading.Event()
        self._wake_r, self._wake_w = os.pipe()
        self._thread = threading.Thread(target=self._serve, name=type(self).__name__, daemon=True)
        self._thread.start()

    @property
    def path(self) -> str:
        return self.port.link_path

    # subclasses
    def on_data(self, data: bytes) -> None:
        raise NotImplementedError

    def on_tick(self) -> None:
        """Called about every 20 ms (timers such as the PIN pad's entry timeout)."""

    def send(self, data: bytes) -> None:
        self.port.write(data)

    def unplug(self) -> None:
        self.port.unplug()
        os.write(self._wake_w, b"x")

    def replug(self) -> None:
        self.port.plug()
        os.write(self._wake_w, b"x")

    def close(self) -> None:
        self._stop.set()
        os.write(self._wake_w, b"x")
        self._thread.join(timeout=2.0)
        self.port.unplug()
        os.close(self._wake_r)
        os.close(self._wake_w)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            fd = self.port.master_fd
            watch = [self._wake_r] if fd is None else [self._wake_r, fd]
            try:
                ready, _, _ = select.select(watch, [], [], 0.02)
            except (OSError, ValueError):
                continue  # the fd was closed by an unplug between the snapshot and select
            if self._wake_r in ready:
                os.read(self._wake_r, 64)
            if fd is not None and fd in ready:
                try:
                    data = os.read(fd, 4096)
                except OSError:
                    data = b""
                if data:
                    self.on_data(data)
            self.on_tick()
