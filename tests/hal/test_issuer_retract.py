"""Retract: a card left in the bezel is pulled back into the retain bin (issue 17 §3).

Through pyusb → the emulated USB backend → the Evolis printer model, and the same
capability in the simulator: the retract command on the wire, the retained media state, the
retain-bin counter that survives a restart, and the bin's near-full / full supply state.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from hal.emulators.evolis_printer import EvolisPrinterEmulator
from hal.emulators.usb_backend import EmulatedUsbBackend
from hal.issuer import evolis_commands as ev
from hal.issuer.evolis_usb import EvolisUsbIssuer
from hal.sim.card_reader import SimCardReader
from hal.sim.issuer import SimCardIssuer
from hal.status import DeviceError, Media, Supply
from hal.types import CardFace

FACE = CardFace(name="林晓", ssn="350102199001011234", card_no="A12345678", issue_date=dt.date(2026, 12, 6),
                photo_jpeg=None)


@pytest.fixture
def backend() -> EmulatedUsbBackend:
    return EmulatedUsbBackend()


@pytest.fixture
def printer(backend: EmulatedUsbBackend) -> EvolisPrinterEmulator:
    model = EvolisPrinterEmulator(hopper=30, retain_capacity=3)
    backend.attach(model)
    return model


@pytest.fixture
def issuer(backend: EmulatedUsbBackend, printer: EvolisPrinterEmulator, tmp_path: Path) -> Iterator[EvolisUsbIssuer]:
    drv = EvolisUsbIssuer(tmp_path / "counters.json", backend=backend, timeout_s=0.3,
                          retain_bin_capacity=3, retain_bin_near_full=2)
    yield drv
    drv.close()


def _to_bezel(issuer: EvolisUsbIssuer) -> None:
    issuer.feed_to_contact()
    issuer.print_face(FACE)
    issuer.eject_to_bezel()


def test_retract_sends_the_command_and_the_card_is_retained(
        issuer: EvolisUsbIssuer, printer: EvolisPrinterEmulator) -> None:
    _to_bezel(issuer)
    assert printer.bezel_card
    issuer.retract()
    assert ev.RETRACT_TO_BIN in printer.commands
    assert printer.commands.index("Seb") < printer.commands.index(ev.RETRACT_TO_BIN)
    assert not printer.bezel_card and printer.retain_count == 1
    st = issuer.status()
    assert st.media == Media.RETAINED
    assert st.counters["cards_retained"] == 1 and st.counters["retain_bin"] == 1
    assert issuer.card_taken() is False  # retained is not taken


def test_retract_with_nothing_in_the_bezel_is_refused(
        issuer: EvolisUsbIssuer, printer: EvolisPrinterEmulator) -> None:
    with pytest.raises(DeviceError) as err:
        issuer.retract()
    assert err.value.code == "no_card_inside"
    assert issuer.counters["cards_retained"] == 0 and printer.retain_count == 0


def test_retain_counter_persists_across_a_restart(
        backend: EmulatedUsbBackend, printer: EvolisPrinterEmulator, tmp_path: Path) -> None:
    path = tmp_path / "counters.json"
    first = EvolisUsbIssuer(path, backend=backend, timeout_s=0.3)
    _to_bezel(first)
    first.retract()
    first.close()
    second = EvolisUsbIssuer(path, backend=backend, timeout_s=0.3)
    assert second.counters["cards_retained"] == 1 and second.counters["retain_bin"] == 1
    assert json.loads(path.read_text())["cards_retained"] == 1
    second.close()


def test_retain_bin_near_full_then_full(issuer: EvolisUsbIssuer, printer: EvolisPrinterEmulator) -> None:
    assert issuer.status().supplies["retain_bin"] == Supply.OK
    for _ in range(2):
        _to_bezel(issuer)
        issuer.retract()
    assert issuer.status().supplies["retain_bin"] == Supply.LOW  # near full
    _to_bezel(issuer)
    issuer.retract()
    assert issuer.status().supplies["retain_bin"] == Supply.OUT  # full
    _to_bezel(issuer)
    with pytest.raises(DeviceError) as err:
        issuer.retract()
    assert err.value.code == "retain_bin_full"
    assert printer.bezel_card  # still in the bezel: nothing was retracted
    printer.empty_retain_bin()
    issuer.retain_bin_emptied()
    assert issuer.status().supplies["retain_bin"] == Supply.OK
    assert issuer.counters["cards_retained"] == 3  # the lifetime counter stays


def test_sim_issuer_retracts_and_keeps_the_count(tmp_path: Path) -> None:
    state = tmp_path / "issuer.json"
    sim = SimCardIssuer(SimCardReader(), retain_capacity=2, state_path=state)
    sim.open()
    sim.feed_to_contact()
    sim.print_face(FACE)
    sim.eject_to_bezel()
    sim.retract()
    st = sim.status()
    assert st.media == Media.RETAINED and st.counters["retained"] == 1
    assert st.supplies["retain_bin"] == Supply.LOW
    assert sim.card_taken() is False
    again = SimCardIssuer(SimCardReader(), retain_capacity=2, state_path=state)
    assert again.status().counters["retained"] == 1 and again.retained == 1
    with pytest.raises(DeviceError) as err:
        again.retract()
    assert err.value.code == "no_card_inside"
