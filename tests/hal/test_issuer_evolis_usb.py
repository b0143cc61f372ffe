"""EvolisUsbIssuer through pyusb → the emulated backend → the Evolis printer model.

Every fault of the issue: jam at each step, hopper empty, ribbon out, reject box full,
cover open, mute (timeout), unplug/replug; plus the full issuance sequence, the spoiled
card path and counters that survive a restart.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import usb.core
import usb.util

from hal.emulators.evolis_printer import JAM_STEPS, EvolisPrinterEmulator, Slot
from hal.emulators.usb_backend import EmulatedUsbBackend
from hal.interfaces import CardIssuer
from hal.issuer import evolis_commands as ev
from hal.issuer.card_face import PHOTO_BOX, render_card_face
from hal.issuer.evolis_usb import EvolisUsbIssuer
from hal.status import Action, DeviceError, DeviceState, DeviceTimeout, DeviceUnavailable, Media, Supply
from hal.types import CardFace

FACES = Path(__file__).resolve().parents[1] / "data" / "faces"


@pytest.fixture
def backend() -> EmulatedUsbBackend:
    return EmulatedUsbBackend()


@pytest.fixture
def printer(backend: EmulatedUsbBackend) -> EvolisPrinterEmulator:
    model = EvolisPrinterEmulator(hopper=30, near_empty_at=5, ribbon=200, ribbon_capacity=200, reject_capacity=3)
    backend.attach(model)
    return model


@pytest.fixture
def issuer(backend: EmulatedUsbBackend, printer: EvolisPrinterEmulator, tmp_path: Path) -> Iterator[EvolisUsbIssuer]:
    drv = EvolisUsbIssuer(tmp_path / "issuer-counters.json", backend=backend, timeout_s=0.3)
    yield drv
    drv.close()


@pytest.fixture(scope="module")
def face() -> CardFace:
    return CardFace(
        name="林𠀀䶮",
        ssn="350102199001011234",
        card_no="A12345678",
        issue_date=dt.date(2026, 11, 27),
        photo_jpeg=(FACES / "obama_portrait.jpg").read_bytes(),
    )


# -- the backend itself ------------------------------------------------------------------
def test_backend_enumerates_like_libusb(backend: EmulatedUsbBackend, printer: EvolisPrinterEmulator) -> None:
    dev = usb.core.find(idVendor=0x0F49, backend=backend)
    assert dev is not None
    assert dev.manufacturer == "Evolis" and dev.serial_number == "EMU0001"
    cfg = dev.get_active_configuration()
    intfs = list(cfg)  # would loop forever if the alt-setting lookup did not raise IndexError
    assert [i.bInterfaceClass for i in intfs] == [7]
    addrs = sorted(e.bEndpointAddress for e in intfs[0])
    assert addrs == [0x01, 0x82]
    device_id = bytes(dev.ctrl_transfer(0xA1, 0, 0, 0, 1024))  # printer class GET_DEVICE_ID
    assert b"MFG:Evolis" in device_id
    usb.util.dispose_resources(dev)


def test_backend_unplug_gives_enodev_and_hides_the_device(
    backend: EmulatedUsbBackend, printer: EvolisPrinterEmulator
) -> None:
    dev = usb.core.find(idVendor=0x0F49, backend=backend)
    assert dev is not None
    dev.write(0x01, ev.command("Rfv"))
    assert bytes(dev.read(0x82, 64, 200)) == b"1.0.0-emu"
    printer.unplug()
    assert usb.core.find(idVendor=0x0F49, backend=backend) is None
    with pytest.raises(usb.core.USBError) as info:
        dev.write(0x01, ev.command("Rfv"))
    assert info.value.errno == 19
    printer.replug()
    again = usb.core.find(idVendor=0x0F49, backend=backend)
    assert again is not None and again.address != dev.address
    with pytest.raises(usb.core.USBTimeoutError):
        again.read(0x82, 64, 20)
    usb.util.dispose_resources(again)


# -- issuance ------------------------------------------------------------------------------
def test_implements_the_card_issuer_protocol(issuer: EvolisUsbIssuer) -> None:
    as_protocol: CardIssuer = issuer  # mypy checks the structure
    assert as_protocol.name == "card_issuer"


def test_full_issuance_sequence(issuer: EvolisUsbIssuer, printer: EvolisPrinterEmulator, face: CardFace) -> None:
    st = issuer.status()
    assert st.state == DeviceState.ONLINE and st.media == Media.NOT_PRESENT
    assert st.supplies == {"blank_cards": Supply.OK, "ribbon": Supply.OK, "reject_box": Supply.OK,
                           "retain_bin": Supply.OK}

    issuer.feed_to_contact()
    assert printer.slot == Slot.CONTACT and printer.hopper == 29
    assert issuer.status().media == Media.PRESENT
    issuer.print_face(face)
    assert printer.ribbon == 199 and len(printer.print_jobs) == 1
    issuer.eject_to_bezel()
    assert printer.bezel_card and issuer.status().media == Media.ENTERING
    assert issuer.card_taken() is False
    assert printer.take_card()
    assert issuer.card_taken() is True
    assert issuer.status().media == Media.NOT_PRESENT

    assert issuer.counters == {
        "cards_fed": 1,
        "cards_printed": 1,
        "cards_ejected": 1,
        "cards_rejected": 0,
        "cards_retained": 0,
        "retain_bin": 0,
        "jams": 0,
    }
    # the wire: software error management first, a K-panel job, no eject after print
    cmds = printer.commands
    assert cmds.index("Pem;2") < cmds.index("Sis") < cmds.index("Ss") < cmds.index("Db;k;2") < cmds.index("Se")
    assert "Pneab;E" in cmds and "Pcrm;D" in cmds
    assert cmds.index("Se") < cmds.index("Seb")


def test_printed_face_is_what_was_rendered(
    issuer: EvolisUsbIssuer, printer: EvolisPrinterEmulator, face: CardFace
) -> None:
    issuer.feed_to_contact()
    issuer.print_face(face)
    job = printer.print_jobs[-1]
    assert job.ribbon == "k" and job.contrast == "k;=;10"
    printed = np.asarray(job.image)
    expected = np.asarray(ev.k_panel_to_image(ev.k_panel_from_image(render_card_face(face))))
    assert printed.shape == (648, 1016)
    assert np.array_equal(printed, expected)
    x0, y0, x1, y1 = PHOTO_BOX
    photo_ink = (printed[y0:y1, x0:x1] < 128).mean()
    assert 0.2 < photo_ink < 0.9  # the dithered photo is there
    assert (printed[:, 400:] < 128).mean() > 0.005  # the text is there


def test_spoiled_card_goes_to_reject_box(
    issuer: EvolisUsbIssuer, printer: EvolisPrinterEmulator, face: CardFace
) -> None:
    issuer.feed_to_contact()
    issuer.eject_to_reject()  # e.g. the chip failed verification
    assert printer.reject_count == 1 and printer.slot == Slot.NONE
    issuer.feed_to_contact()  # retry with a fresh blank
    issuer.print_face(face)
    issuer.eject_to_bezel()
    c = issuer.counters
    assert (c["cards_fed"], c["cards_rejected"], c["cards_printed"]) == (2, 1, 1)
    assert printer.hopper == 28


def test_counters_survive_a_restart(
    backend: EmulatedUsbBackend, printer: EvolisPrinterEmulator, tmp_path: Path
) -> None:
    path = tmp_path / "counters.json"
    first = EvolisUsbIssuer(path, backend=backend, timeout_s=0.3)
    first.feed_to_contact()
    first.eject_to_reject()
    first.close()
    second = EvolisUsbIssuer(path, backend=backend, timeout_s=0.3)
    assert second.counters["cards_fed"] == 1 and second.counters["cards_rejected"] == 1
    assert second.status().counters["cards_rejected"] == 1
    assert json.loads(path.read_text())["cards_fed"] == 1
    second.close()


# -- faults ----------------------------------------------------------------------------------
def _run_to(issuer: EvolisUsbIssuer, step: str, face: CardFace) -> None:
    """Drive the sequence up to and including ``step``."""
    issuer.feed_to_contact()
    if step in ("feed", "contact"):
        return
    issuer.print_face(face)
    if step == "print":
        return
    if step == "bezel":
        issuer.eject_to_bezel()
    else:
        issuer.eject_to_reject()


@pytest.mark.parametrize("step", JAM_STEPS)
def test_jam_at_each_step(step: str, issuer: EvolisUsbIssuer, printer: EvolisPrinterEmulator, face: CardFace) -> None:
    printer.jam_next(step)
    with pytest.raises(DeviceError) as info:
        _run_to(issuer, step, face)
    assert info.value.code == "card_jam" and info.value.action == Action.CLEAR
    st = issuer.status()
    assert st.state == DeviceState.HARDWARE_ERROR and st.media == Media.JAMMED
    assert st.last_error == "card_jam" and st.action == Action.CLEAR
    assert st.counters["jams"] == 1
    with pytest.raises(DeviceError):  # nothing moves until staff clears it
        issuer.feed_to_contact()
    assert issuer.counters["jams"] == 1  # the same jam is not counted twice

    printer.clear_jam()
    st = issuer.status()
    assert st.state == DeviceState.ONLINE and st.media == Media.NOT_PRESENT
    issuer.feed_to_contact()  # and the next card goes through
    issuer.print_face(face)
    issuer.eject_to_bezel()
    assert printer.bezel_card


def test_hopper_near_empty_then_empty(issuer: EvolisUsbIssuer, printer: EvolisPrinterEmulator) -> None:
    printer.set_hopper(5)
    assert issuer.status().supplies["blank_cards"] == Supply.LOW
    printer.set_hopper(0)
    st = issuer.status()
    assert st.supplies["blank_cards"] == Supply.OUT and st.action == Action.CLEAR
    with pytest.raises(DeviceError) as info:
        issuer.feed_to_contact()
    assert info.value.code == "feeder_empty" and info.value.action == Action.CLEAR
    assert issuer.counters["cards_fed"] == 0
    printer.set_hopper(30)
    issuer.feed_to_contact()
    assert issuer.status().supplies["blank_cards"] == Supply.OK


def test_ribbon_low_and_out(issuer: EvolisUsbIssuer, printer: EvolisPrinterEmulator, face: CardFace) -> None:
    printer.set_ribbon(15)  # 7.5 % of 200 left
    assert issuer.status().supplies["ribbon"] == Supply.LOW
    printer.set_ribbon(0)
    assert issuer.status().supplies["ribbon"] == Supply.OUT
    issuer.feed_to_contact()
    with pytest.raises(DeviceError) as info:
        issuer.print_face(face)
    assert info.value.code == "ribbon_out"
    assert printer.print_jobs == [] and printer.slot == Slot.CONTACT
    issuer.eject_to_reject()  # the unprinted card is spoiled
    assert issuer.counters["cards_printed"] == 0 and issuer.counters["cards_rejected"] == 1


def test_reject_box_full(issuer: EvolisUsbIssuer, printer: EvolisPrinterEmulator) -> None:
    printer.fill_reject_box()
    assert issuer.status().supplies["reject_box"] == Supply.OUT
    issuer.feed_to_contact()
    with pytest.raises(DeviceError) as info:
        issuer.eject_to_reject()
    assert info.value.code == "reject_box_full"
    assert printer.slot == Slot.CONTACT  # the card stays inside
    printer.empty_reject_box()
    issuer.eject_to_reject()
    assert printer.reject_count == 1


def test_cover_open(issuer: EvolisUsbIssuer, printer: EvolisPrinterEmulator) -> None:
    printer.set_cover_open(True)
    st = issuer.status()
    assert st.state == DeviceState.HARDWARE_ERROR and st.last_error == "cover_open"
    with pytest.raises(DeviceError) as info:
        issuer.feed_to_contact()
    assert info.value.code == "cover_open"
    printer.set_cover_open(False)
    assert issuer.status().state == DeviceState.ONLINE


def test_bezel_occupied_until_taken(issuer: EvolisUsbIssuer, printer: EvolisPrinterEmulator, face: CardFace) -> None:
    issuer.feed_to_contact()
    issuer.eject_to_bezel()
    issuer.feed_to_contact()
    with pytest.raises(DeviceError) as info:
        issuer.eject_to_bezel()
    assert info.value.code == "bezel_occupied"
    printer.take_card()
    issuer.eject_to_bezel()


def test_mute_printer_times_out_and_recovers(issuer: EvolisUsbIssuer, printer: EvolisPrinterEmulator) -> None:
    issuer.open()
    printer.mute()
    t0 = time.monotonic()
    with pytest.raises(DeviceTimeout):
        issuer.feed_to_contact()
    assert time.monotonic() - t0 < 1.5
    assert issuer.status().state == DeviceState.OFFLINE
    printer.mute(False)
    printer.send_in(b"OK")  # a late reply must not be taken for the next command's answer
    assert issuer.status().state == DeviceState.ONLINE
    issuer.feed_to_contact()
    assert printer.slot == Slot.CONTACT


def test_unplug_and_replug_without_restart(
    issuer: EvolisUsbIssuer, printer: EvolisPrinterEmulator, face: CardFace
) -> None:
    issuer.feed_to_contact()
    printer.unplug()
    st = issuer.status()
    assert st.state == DeviceState.POWER_OFF and st.last_error == "unavailable"
    with pytest.raises(DeviceUnavailable):
        issuer.print_face(face)
    printer.replug()
    st = issuer.status()
    assert st.state == DeviceState.ONLINE and st.media == Media.PRESENT
    issuer.print_face(face)  # the same driver object carries on with the parked card
    issuer.eject_to_bezel()
    assert printer.bezel_card and len(printer.print_jobs) == 1
    assert printer.commands.count("Pem;2") == 2  # re-initialised after the replug


def test_unplugged_at_start_then_plugged(backend: EmulatedUsbBackend, tmp_path: Path) -> None:
    drv = EvolisUsbIssuer(tmp_path / "c.json", backend=backend, timeout_s=0.3)
    assert drv.status().state == DeviceState.POWER_OFF
    with pytest.raises(DeviceUnavailable):
        drv.feed_to_contact()
    backend.attach(EvolisPrinterEmulator())
    drv.feed_to_contact()
    assert drv.status().media == Media.PRESENT
    drv.close()


def test_reset_refuses_while_jammed_then_recovers(issuer: EvolisUsbIssuer, printer: EvolisPrinterEmulator) -> None:
    printer.jam_next("feed")
    with pytest.raises(DeviceError):
        issuer.feed_to_contact()
    with pytest.raises(DeviceError) as info:
        issuer.reset()  # a software reset cannot pull a jammed card out
    assert info.value.code == "card_jam"
    printer.clear_jam()
    issuer.reset()
    after = printer.commands[len(printer.commands) - 1 - printer.commands[::-1].index("Srs") :]
    assert after[0] == "Srs" and "Pem;2" in after and after[-1] == "Rok"  # settings restored after a reset
    assert issuer.status().state == DeviceState.ONLINE


def test_unplugged_in_the_middle_of_the_print_job(
    issuer: EvolisUsbIssuer, printer: EvolisPrinterEmulator, face: CardFace
) -> None:
    issuer.feed_to_contact()
    printer.unplug_on("Db;k;2")
    with pytest.raises(DeviceUnavailable):
        issuer.print_face(face)
    assert not printer.plugged and printer.print_jobs == []
    printer.replug()
    issuer.print_face(face)  # the card is still parked: the whole job is sent again
    issuer.eject_to_bezel()
    assert len(printer.print_jobs) == 1 and printer.bezel_card
    assert issuer.counters["cards_printed"] == 1


def test_steering_by_name(issuer: EvolisUsbIssuer, printer: EvolisPrinterEmulator) -> None:
    assert "ok" in printer.steer("hopper", value=0)
    assert issuer.status().supplies["blank_cards"] == Supply.OUT
    printer.steer("hopper", value=10)
    printer.steer("jam", step="feed")
    with pytest.raises(DeviceError):
        issuer.feed_to_contact()
    printer.steer("clear_jam")
    printer.steer("unplug")
    assert issuer.status().state == DeviceState.POWER_OFF
    printer.steer("replug")
    assert issuer.status().state == DeviceState.ONLINE
    assert printer.steer("explode").startswith("unknown action")
