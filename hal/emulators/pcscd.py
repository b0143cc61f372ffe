"""A ``pcscd -f`` child process for tests, benchmarks and demos with vpcd virtual cards.

pcscd and its vpcd ports are single-instance per machine, so users take ``pcscd_lock()`` (an
fcntl lock on /tmp/sscard-kiosk-pcscd.lock) first; the PID of the pcscd we started is kept beside
the lock so a run killed with SIGKILL can be cleaned up by the next one. Never used in production
(a kiosk runs the distribution's pcscd service, and never installs vpcd).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from smartcard import scard

from hal.atomic_file import write_atomic
from hal.emulators.vpcd import READER_0, READER_1

LOCK_PATH = Path("/tmp/sscard-kiosk-pcscd.lock")
PID_PATH = LOCK_PATH.with_suffix(".pid")
VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")


class PcscdError(RuntimeError):
    """pcscd could not be started (missing packages, another pcscd, no readers)."""


def reader_state(reader: str) -> int | None:
    """The reader's pcscd state bits, or None if pcscd or the reader is not there."""
    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult != scard.SCARD_S_SUCCESS:
        return None
    try:
        hresult, states = scard.SCardGetStatusChange(context, 0, [(reader, scard.SCARD_STATE_UNAWARE)])
        if hresult != scard.SCARD_S_SUCCESS or not states:
            return None
        state = int(states[0][1])
        return None if state & scard.SCARD_STATE_UNKNOWN else state
    finally:
        scard.SCardReleaseContext(context)


def wait_card_state(reader: str, present: bool, timeout_s: float = 5.0) -> bool:
    """Wait until pcscd reports a card in (or no card in) ``reader``; False on timeout."""
    deadline = time.monotonic() + timeout_s
    while True:
        state = reader_state(reader)
        if state is not None and bool(state & scard.SCARD_STATE_PRESENT) == present:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)


class PcscdProcess:
    """``pcscd -f`` started and stopped by PID; ``start`` returns once both vpcd readers exist."""

    def __init__(self, log_path: Path, start_timeout_s: float = 10.0) -> None:
        self.log_path = log_path
        self.start_timeout_s = start_timeout_s
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def start(self) -> None:
        if shutil.which("pcscd") is None:
            raise PcscdError("pcscd is not installed: apt-get install pcscd vsmartcard-vpcd (scripts/setup.sh)")
        if not VPCD_DRIVER.exists():
            raise PcscdError(f"vsmartcard-vpcd is not installed ({VPCD_DRIVER} missing)")
        self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen(["pcscd", "-f", "-e"], stdout=self._log, stderr=subprocess.STDOUT)
        write_atomic(PID_PATH, f"{self.proc.pid}\n", mode=0o644)
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                code = self.proc.returncode
                self.stop()
                raise PcscdError(f"pcscd exited with {code}: {self.log_tail()}")
            if reader_state(READER_0) is not None and reader_state(READER_1) is not None:
                return
            time.sleep(0.01)
        self.stop()
        raise PcscdError(f"pcscd did not list the vpcd readers in {self.start_timeout_s} s: {self.log_tail()}")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        with contextlib.suppress(OSError):
            write_atomic(PID_PATH, "", mode=0o644)
        if self._log is not None:
            self._log.close()
            self._log = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-600:].strip()
        except OSError:
            return ""


def stop_stale_pcscd() -> None:
    """Stop a pcscd an earlier (killed) run of ours left behind: recorded PID, still pcscd."""
    with contextlib.suppress(OSError, ValueError):
        pid = int(PID_PATH.read_text().strip() or "0")
        if pid and Path(f"/proc/{pid}/comm").read_text().strip() == "pcscd":
            os.kill(pid, signal.SIGTERM)
            for _ in range(100):
                if not Path(f"/proc/{pid}").exists():
                    break
                time.sleep(0.05)
    with contextlib.suppress(OSError):
        write_atomic(PID_PATH, "", mode=0o644)


def other_pcscd_running() -> bool:
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError):
            fields = stat.read_text().rsplit(")", 1)
            if fields[0].endswith("(pcscd") and fields[1].split()[0] != "Z":  # zombies hold nothing
                return True
    return False


@contextlib.contextmanager
def pcscd_lock(timeout_s: float = 300.0) -> Iterator[None]:
    """Exclusive use of pcscd/vpcd on this machine across processes; TimeoutError if held too long."""
    with LOCK_PATH.open("a+") as handle:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"another process held {LOCK_PATH} for {timeout_s:.0f} s") from None
                time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def running_pcscd(log_path: Path) -> Iterator[PcscdProcess]:
    """Lock, clean up after a killed run, refuse a foreign pcscd, start ours, stop it at the end."""
    with pcscd_lock():
        stop_stale_pcscd()
        if other_pcscd_running():
            raise PcscdError("a pcscd not started by us is running; stop it first")
        daemon = PcscdProcess(log_path)
        daemon.start()
        try:
            yield daemon
        finally:
            daemon.stop()
