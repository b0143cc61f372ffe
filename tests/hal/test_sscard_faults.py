"""Faults through the real stack: card pulled mid-command, mute card, garbage, pcscd restart, events."""

from __future__ import annotations

import threading
import time

import pytest

from hal.emulators.vcard import VirtualSsCard
from hal.emulators.vpcd import READER_0, VpcdLink
from hal.sscard import apdu
from hal.sscard.errors import CardDataError
from hal.sscard.pcsc_reader import PcscCardReader
from hal.status import DeviceError, DeviceState, DeviceTimeout, DeviceUnavailable, Media
from hal.types import ApduOutcome, PinBlock, PinOutcome
from tests.hal.pcsc_fixtures import PcscDaemon, wait_card_state

pytestmark = pytest.mark.pcsc

PIN = PinBlock(encrypted_hex=None, clear_pin="888888", format="clear")


def test_card_pulled_mid_verify(vcard: VpcdLink, sscard_reader: PcscCardReader) -> None:
    assert sscard_reader.read_card() is not None
    vcard.pull_during_next_apdu(apdu.INS_VERIFY)
    assert sscard_reader.verify_pin(PIN).outcome is PinOutcome.CARD_REMOVED
    assert sscard_reader.get_challenge().outcome is ApduOutcome.CARD_REMOVED
    # A new card in the slot is not the one the PIN was for: still CARD_REMOVED until a new read.
    vcard.insert(VirtualSsCard.personalised())
    wait_card_state(READER_0, present=True)
    assert sscard_reader.verify_pin(PIN).outcome is PinOutcome.CARD_REMOVED
    assert sscard_reader.read_card() is not None
    assert sscard_reader.verify_pin(PIN).outcome is PinOutcome.OK


def test_card_pulled_mid_read_and_mid_personalise(vcard: VpcdLink, sscard_reader: PcscCardReader) -> None:
    vcard.pull_during_next_apdu(apdu.INS_READ_RECORD)
    assert sscard_reader.read_card() is None
    assert sscard_reader.status().media is Media.NOT_PRESENT
    vcard.insert(VirtualSsCard.blank())
    wait_card_state(READER_0, present=True)
    vcard.pull_during_next_apdu(apdu.INS_UPDATE_RECORD)
    from hal.emulators.vcard import sample_personalisation

    assert sscard_reader.personalise(sample_personalisation()).outcome is ApduOutcome.CARD_REMOVED


def test_no_card_results(vcard: VpcdLink, sscard_reader: PcscCardReader) -> None:
    vcard.remove()
    wait_card_state(READER_0, present=False)
    assert sscard_reader.verify_pin(PIN).outcome is PinOutcome.NO_CARD
    assert sscard_reader.get_challenge().outcome is ApduOutcome.NO_CARD
    status = sscard_reader.status()
    assert (status.state, status.media) == (DeviceState.ONLINE, Media.NOT_PRESENT)


def test_mute_card_times_out_and_recovers(vcard: VpcdLink) -> None:
    reader = PcscCardReader(READER_0, command_timeout_s=0.3)
    vcard.mute_next_apdu(apdu.INS_READ_RECORD)
    started = time.monotonic()
    with pytest.raises(DeviceTimeout):
        reader.read_card()
    assert time.monotonic() - started < 1.5
    status = reader.status()
    assert (status.state, status.action.value) == (DeviceState.HARDWARE_ERROR, "clear")
    vcard.remove()  # staff pull the card; the stuck call ends
    wait_card_state(READER_0, present=False)
    vcard.insert(VirtualSsCard.personalised())
    wait_card_state(READER_0, present=True)
    assert reader.read_card() is not None
    assert reader.status().state is DeviceState.ONLINE
    reader.close()


def test_garbage_and_absurd_responses(vcard: VpcdLink, sscard_reader: PcscCardReader) -> None:
    rr = apdu.INS_READ_RECORD
    vcard.garbage_next_response(b"\x90", rr)  # one byte: no status word
    with pytest.raises(CardDataError):
        sscard_reader.read_card()
    vcard.garbage_next_response(b"\x01\x05\x90\x00", rr)  # record claims 5 bytes, has 0
    with pytest.raises(CardDataError):
        sscard_reader.read_card()
    vcard.absurd_length_next_response(rr)
    with pytest.raises(DeviceError) as caught:
        sscard_reader.read_card()
    assert caught.value.code in ("card_comm_error", "bad_card_data", "card_protocol")
    if not vcard.inserted:  # vpcd may drop the link after an oversized frame
        vcard.insert()
    wait_card_state(READER_0, present=True)
    assert sscard_reader.read_card() is not None


def test_insertion_and_removal_events(vcard: VpcdLink, sscard_reader: PcscCardReader) -> None:
    events: list[bool] = []
    seen = threading.Condition()

    def on_event(present: bool) -> None:
        with seen:
            events.append(present)
            seen.notify_all()

    sscard_reader.on_card_event(on_event)
    time.sleep(0.1)  # the monitor learns the initial state (present: reported as an insertion)
    vcard.remove()
    vcard_wait = time.monotonic()
    with seen:
        assert seen.wait_for(lambda: False in events, 3.0)
    removal_latency = time.monotonic() - vcard_wait
    vcard.insert()
    with seen:
        assert seen.wait_for(lambda: events[-1] is True and False in events, 3.0)
    assert events[-2:] == [False, True]
    assert removal_latency < 1.0
    assert sscard_reader.wait_for_card(1.0)


def test_pcscd_restart_reconnects(pcscd: PcscDaemon, vcard: VpcdLink, sscard_reader: PcscCardReader) -> None:
    assert sscard_reader.read_card() is not None
    pcscd.stop()
    status = sscard_reader.status()
    assert (status.state, status.last_error) == (DeviceState.OFFLINE, "pcscd_unavailable")
    with pytest.raises(DeviceUnavailable):
        sscard_reader.read_card()
    pcscd.start()
    wait_card_state(READER_0, present=True)  # the virtual card reconnected by itself
    data = sscard_reader.read_card()  # and the driver, without being reopened
    assert data is not None
    assert vcard.connections >= 2
    assert sscard_reader.status().state is DeviceState.ONLINE
    events: list[bool] = []
    changed = threading.Condition()

    def on_event(present: bool) -> None:
        with changed:
            events.append(present)
            changed.notify_all()

    sscard_reader.on_card_event(on_event)
    time.sleep(0.1)
    pcscd.restart()  # the event monitor survives a restart too (the card re-powers: out, then in)
    with changed:
        assert changed.wait_for(lambda: events[-1:] == [True] and False in events, 3.0)
    vcard.remove()
    with changed:
        assert changed.wait_for(lambda: events[-1:] == [False], 3.0)
    assert sscard_reader.wait_for_removal(0.5)


def test_wrong_reader_pattern_status(pcscd: PcscDaemon) -> None:
    reader = PcscCardReader("No Such Reader")
    status = reader.status()
    assert (status.state, status.action.value) == (DeviceState.POWER_OFF, "maintenance")
    with pytest.raises(DeviceUnavailable):
        reader.open()
    reader.close()
