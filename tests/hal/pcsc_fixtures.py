"""pytest fixtures for the real PC/SC stack: pcscd (by PID) + vpcd virtual cards.

Use from any test module (tests/conftest.py lists this module in ``pytest_plugins``):

- ``pcscd`` (session): a ``PcscDaemon`` — a ``pcscd -f`` we started, stopped with SIGTERM.
  ``pcscd.restart()`` stops and starts it again (readers come back, cards reconnect).
  Other pytest processes are serialised on an fcntl lock of /tmp/sscard-kiosk-pcscd.lock.
- ``vcard`` (function): a ``VpcdLink`` carrying a fresh ``VirtualSsCard.personalised()`` on
  "Virtual PCD 00 00", present in pcscd before the test body runs. The link is shared by the
  session (a real insert/remove costs ~0.4 s each of pcscd polling): each test gets a fresh chip
  through ``replace_card`` and no armed faults. ``vcard.remove()``/``insert()``/``swap_card``
  act out real removals.
- ``vpsam`` (function): the same for a ``VirtualPsam()`` on "Virtual PCD 00 01".
- ``sscard_reader`` (function): a ``PcscCardReader`` on "Virtual PCD 00 00" (short timeouts).

Nothing is skipped: without pcscd/vpcd the fixture fails and says what to install.
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

import pytest
from smartcard import scard

from hal.emulators.vcard import VirtualPsam, VirtualSsCard
from hal.emulators.vpcd import READER_0, READER_1, VPCD_PORT_0, VPCD_PORT_1, ApduCard, VpcdLink
from hal.sscard.pcsc_reader import PcscCardReader

LOCK_PATH = Path("/tmp/sscard-kiosk-pcscd.lock")
LOCK_WAIT_S = 300.0
VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
START_TIMEOUT_S = 10.0
CARD_TIMEOUT_S = 5.0


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


def wait_card_state(reader: str, present: bool, timeout_s: float = CARD_TIMEOUT_S) -> None:
    """Wait until pcscd reports a card in (or no card in) ``reader``; fail the test otherwise."""
    deadline = time.monotonic() + timeout_s
    while True:
        state = reader_state(reader)
        if state is not None and bool(state & scard.SCARD_STATE_PRESENT) == present:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"pcscd did not see the card {'inserted' if present else 'removed'} in {reader}")
        time.sleep(0.01)


def swap_card(link: VpcdLink, card: ApduCard, reader: str = READER_0) -> None:
    """Pull whatever card ``link`` carries and insert ``card``; returns once pcscd sees it."""
    link.remove()
    wait_card_state(reader, present=False)
    link.insert(card)
    wait_card_state(reader, present=True)


class PcscDaemon:
    """A ``pcscd -f`` child process, started and stopped by PID."""

    def __init__(self, log_path: Path) -> None:
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def start(self) -> None:
        if shutil.which("pcscd") is None:
            pytest.fail("pcscd is not installed: apt-get install pcscd vsmartcard-vpcd (scripts/setup.sh)")
        if not VPCD_DRIVER.exists():
            pytest.fail(f"vsmartcard-vpcd is not installed ({VPCD_DRIVER} missing)")
        self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen(["pcscd", "-f", "-e"], stdout=self._log, stderr=subprocess.STDOUT)
        _record_pid(self.proc.pid)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"pcscd exited with {self.proc.returncode}: {self._tail()}")
            if reader_state(READER_0) is not None and reader_state(READER_1) is not None:
                return
            time.sleep(0.01)
        self.stop()
        pytest.fail(f"pcscd did not list the vpcd readers within {START_TIMEOUT_S} s: {self._tail()}")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        _record_pid(None)
        if self._log is not None:
            self._log.close()
            self._log = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def _tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-600:].strip()
        except OSError:
            return ""


def _record_pid(pid: int | None) -> None:
    """Our pcscd's PID sits beside the lock, so a run killed with SIGKILL can be cleaned up."""
    LOCK_PATH.with_suffix(".pid").write_text(f"{pid}\n" if pid else "")


def _stop_stale_pcscd() -> None:
    """A pcscd left by an earlier run of these fixtures (recorded PID, still pcscd) is stopped."""
    pid_file = LOCK_PATH.with_suffix(".pid")
    with contextlib.suppress(OSError, ValueError):
        pid = int(pid_file.read_text().strip() or "0")
        if pid and Path(f"/proc/{pid}/comm").read_text().strip() == "pcscd":
            os.kill(pid, signal.SIGTERM)
            for _ in range(100):
                if not Path(f"/proc/{pid}").exists():
                    break
                time.sleep(0.05)
    _record_pid(None)


def _other_pcscd_running() -> bool:
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError):
            fields = stat.read_text().rsplit(")", 1)
            if fields[0].endswith("(pcscd") and fields[1].split()[0] != "Z":  # zombies hold nothing
                return True
    return False


@contextlib.contextmanager
def _pcscd_lock() -> Iterator[None]:
    with LOCK_PATH.open("a+") as handle:
        deadline = time.monotonic() + LOCK_WAIT_S
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    pytest.fail(f"another test run held {LOCK_PATH} for {LOCK_WAIT_S:.0f} s")
                time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def pcscd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PcscDaemon]:
    with _pcscd_lock():
        _stop_stale_pcscd()
        if _other_pcscd_running():
            pytest.fail("a pcscd not started by these fixtures is running; stop it first")
        daemon = PcscDaemon(tmp_path_factory.mktemp("pcscd") / "pcscd.log")
        daemon.start()
        try:
            yield daemon
        finally:
            daemon.stop()


@pytest.fixture(scope="session")
def _vcard_link(pcscd: PcscDaemon) -> Iterator[VpcdLink]:
    link = VpcdLink(VirtualSsCard.personalised(), port=VPCD_PORT_0).start()
    yield link
    link.stop()


@pytest.fixture(scope="session")
def _vpsam_link(pcscd: PcscDaemon) -> Iterator[VpcdLink]:
    link = VpcdLink(VirtualPsam(), port=VPCD_PORT_1)
    yield link
    link.stop()


def _ready(link: VpcdLink, reader: str, chip: ApduCard) -> VpcdLink:
    """The session's link, inserted and seen by pcscd, carrying a fresh ``chip``, no faults."""
    if pcscd_down():
        pytest.fail("pcscd is not running (a previous test stopped it and did not restart it)")
    link.start()
    link.clear_faults()
    if link.inserted:
        link.replace_card(chip)
    else:
        link.insert(chip)
    wait_card_state(reader, present=True)
    return link


def pcscd_down() -> bool:
    return reader_state(READER_0) is None


@pytest.fixture
def vcard(_vcard_link: VpcdLink) -> Iterator[VpcdLink]:
    """A personalised 2nd-generation card (PIN 888888) on "Virtual PCD 00 00"."""
    yield _ready(_vcard_link, READER_0, VirtualSsCard.personalised())
    _vcard_link.clear_faults()


@pytest.fixture
def vpsam(_vpsam_link: VpcdLink) -> Iterator[VpcdLink]:
    """A PSAM holding the test RKSSSE key on "Virtual PCD 00 01"."""
    _vpsam_link.start()
    yield _ready(_vpsam_link, READER_1, VirtualPsam())
    _vpsam_link.clear_faults()


@pytest.fixture
def sscard_reader(pcscd: PcscDaemon) -> Iterator[PcscCardReader]:
    """The driver on "Virtual PCD 00 00" with test-sized timeouts."""
    reader = PcscCardReader(READER_0, command_timeout_s=2.0, removal_grace_s=1.0)
    yield reader
    reader.close()
