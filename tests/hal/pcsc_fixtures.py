"""pytest fixtures for the real PC/SC stack: pcscd (by PID) + vpcd virtual cards.

Use from any test module (tests/conftest.py lists this module in ``pytest_plugins``):

- ``pcscd`` (session): a ``PcscDaemon`` — a ``pcscd -f`` we started, stopped with SIGTERM.
  ``pcscd.stop()``/``start()``/``restart()`` act out a pcscd outage (readers come back, the
  virtual cards reconnect by themselves). Other pytest processes are serialised on an fcntl lock
  of /tmp/sscard-kiosk-pcscd.lock.
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

from collections.abc import Iterator

import pytest

from hal.emulators import pcscd as pcscd_process
from hal.emulators.pcscd import PcscdError, PcscdProcess, reader_state
from hal.emulators.vcard import VirtualPsam, VirtualSsCard
from hal.emulators.vpcd import READER_0, READER_1, VPCD_PORT_0, VPCD_PORT_1, ApduCard, VpcdLink
from hal.sscard.pcsc_reader import PcscCardReader

CARD_TIMEOUT_S = 5.0
__all__ = ["PcscDaemon", "reader_state", "swap_card", "wait_card_state"]


def wait_card_state(reader: str, present: bool, timeout_s: float = CARD_TIMEOUT_S) -> None:
    """Wait until pcscd reports a card in (or no card in) ``reader``; fail the test otherwise."""
    if not pcscd_process.wait_card_state(reader, present, timeout_s):
        pytest.fail(f"pcscd did not see the card {'inserted' if present else 'removed'} in {reader}")


def swap_card(link: VpcdLink, card: ApduCard, reader: str = READER_0) -> None:
    """Pull whatever card ``link`` carries and insert ``card``; returns once pcscd sees it."""
    link.remove()
    wait_card_state(reader, present=False)
    link.insert(card)
    wait_card_state(reader, present=True)


class PcscDaemon(PcscdProcess):
    """The session's pcscd; start failures fail the test with pcscd's own words."""

    def start(self) -> None:
        try:
            super().start()
        except PcscdError as exc:
            pytest.fail(str(exc))


@pytest.fixture(scope="session")
def pcscd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PcscDaemon]:
    try:
        with pcscd_process.pcscd_lock():
            pcscd_process.stop_stale_pcscd()
            if pcscd_process.other_pcscd_running():
                pytest.fail("a pcscd not started by these fixtures is running; stop it first")
            daemon = PcscDaemon(tmp_path_factory.mktemp("pcscd") / "pcscd.log")
            daemon.start()
            try:
                yield daemon
            finally:
                daemon.stop()
    except TimeoutError as exc:
        pytest.fail(str(exc))


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


def _ready(daemon: PcscDaemon, link: VpcdLink, reader: str, chip: ApduCard) -> VpcdLink:
    """The session's link, inserted and seen by pcscd, carrying a fresh ``chip``, no faults."""
    if daemon.proc is None or daemon.proc.poll() is not None:
        daemon.start()  # an earlier test stopped pcscd and failed before restarting it
    link.start()
    link.clear_faults()
    if link.inserted:
        link.replace_card(chip)
    else:
        link.insert(chip)
    wait_card_state(reader, present=True)
    return link


@pytest.fixture
def vcard(pcscd: PcscDaemon, _vcard_link: VpcdLink) -> Iterator[VpcdLink]:
    """A personalised 2nd-generation card (PIN 888888) on "Virtual PCD 00 00"."""
    yield _ready(pcscd, _vcard_link, READER_0, VirtualSsCard.personalised())
    _vcard_link.clear_faults()


@pytest.fixture
def vpsam(pcscd: PcscDaemon, _vpsam_link: VpcdLink) -> Iterator[VpcdLink]:
    """A PSAM holding the test RKSSSE key on "Virtual PCD 00 01"."""
    yield _ready(pcscd, _vpsam_link, READER_1, VirtualPsam())
    _vpsam_link.clear_faults()


@pytest.fixture
def sscard_reader(pcscd: PcscDaemon) -> Iterator[PcscCardReader]:
    """The driver on "Virtual PCD 00 00" with test-sized timeouts."""
    reader = PcscCardReader(READER_0, command_timeout_s=2.0, removal_grace_s=1.0)
    yield reader
    reader.close()
