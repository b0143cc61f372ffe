"""VERIFY / CHANGE PIN / HSM-built reset through the real PC/SC stack."""

from __future__ import annotations

import pytest

from hal.emulators.vcard import (
    TEST_CARD_KEY,
    VirtualSsCard,
    build_reload_apdu,
    build_reset_apdu,
)
from hal.emulators.vpcd import VpcdLink
from hal.sscard import apdu
from hal.sscard.errors import CardProtocolError, SecureAccessRequired
from hal.sscard.pcsc_reader import PcscCardReader
from hal.status import DeviceError
from hal.types import ApduOutcome, PinBlock, PinOutcome

pytestmark = pytest.mark.pcsc


def clear(pin: str) -> PinBlock:
    return PinBlock(encrypted_hex=None, clear_pin=pin, format="clear")


def _chip(link: VpcdLink) -> VirtualSsCard:
    card = link.card
    assert isinstance(card, VirtualSsCard)
    return card


def test_verify_ok_wrong_then_locked(vcard: VpcdLink, sscard_reader: PcscCardReader) -> None:
    assert sscard_reader.verify_pin(clear("888888")).outcome is PinOutcome.OK
    assert vcard.commands[-1] == bytes.fromhex("0020000003888888")
    for left in (5, 4, 3, 2, 1):
        result = sscard_reader.verify_pin(clear("123456"))
        assert (result.outcome, result.tries_left, result.sw) == (PinOutcome.WRONG, left, f"63C{left}")
    sixth = sscard_reader.verify_pin(clear("123456"))
    assert (sixth.outcome, sixth.tries_left) == (PinOutcome.LOCKED, 0)
    locked = sscard_reader.verify_pin(clear("888888"))
    assert (locked.outcome, locked.sw) == (PinOutcome.LOCKED, "6983")


def test_a_right_pin_resets_the_counter(vcard: VpcdLink, sscard_reader: PcscCardReader) -> None:
    sscard_reader.verify_pin(clear("000000"))
    sscard_reader.verify_pin(clear("000000"))
    assert sscard_reader.verify_pin(clear("888888")).outcome is PinOutcome.OK
    assert sscard_reader.verify_pin(clear("000000")).tries_left == 5


def test_locked_and_blocked_cards(vcard: VpcdLink, sscard_reader: PcscCardReader) -> None:
    vcard.replace_card(VirtualSsCard.locked())
    assert sscard_reader.verify_pin(clear("888888")).outcome is PinOutcome.LOCKED
    sscard_reader.close()
    vcard.replace_card(VirtualSsCard.personalised(app_blocked=True))
    result = sscard_reader.verify_pin(clear("888888"))
    assert (result.outcome, result.sw) == (PinOutcome.LOCKED, "9303")


def test_change_pin(vcard: VpcdLink, sscard_reader: PcscCardReader) -> None:
    assert sscard_reader.change_pin(clear("888888"), clear("135790")).outcome is PinOutcome.OK
    assert sscard_reader.verify_pin(clear("135790")).outcome is PinOutcome.OK
    wrong_old = sscard_reader.change_pin(clear("888888"), clear("246801"))
    assert (wrong_old.outcome, wrong_old.tries_left) == (PinOutcome.WRONG, 5)
    back_to_initial = sscard_reader.change_pin(clear("135790"), clear("888888"))
    assert (back_to_initial.outcome, back_to_initial.sw) == (PinOutcome.REFUSED, "6985")
    assert sscard_reader.change_pin(clear("135790"), clear("12ab")).outcome is PinOutcome.REFUSED
    assert _chip(vcard).pin == "135790"


def test_encrypted_pin_block_needs_secure_access(vcard: VpcdLink, sscard_reader: PcscCardReader) -> None:
    with pytest.raises(DeviceError) as caught:
        sscard_reader.verify_pin(PinBlock(encrypted_hex="0411223344556677"))
    assert caught.value.code == "encrypted_pin_unsupported"


def test_reset_with_hsm_built_apdu(vcard: VpcdLink, sscard_reader: PcscCardReader) -> None:
    vcard.replace_card(VirtualSsCard.locked())
    challenge = sscard_reader.get_challenge()
    assert challenge.outcome is ApduOutcome.OK and len(challenge.data) == 8
    command = build_reset_apdu(TEST_CARD_KEY, challenge.data, "246810")
    result = sscard_reader.send_authorised_apdu(command.hex())
    assert (result.outcome, result.sw) == (PinOutcome.OK, "9000")
    assert sscard_reader.verify_pin(clear("246810")).outcome is PinOutcome.OK
    assert _chip(vcard).tries_left == 6


def test_reset_refused_when_stale_or_forged(vcard: VpcdLink, sscard_reader: PcscCardReader) -> None:
    challenge = sscard_reader.get_challenge().data
    sscard_reader.verify_pin(clear("888888"))  # any command in between spends the challenge
    stale = sscard_reader.send_authorised_apdu(build_reset_apdu(TEST_CARD_KEY, challenge, "246810").hex())
    assert (stale.outcome, stale.sw) == (PinOutcome.REFUSED, "6985")
    challenge = sscard_reader.get_challenge().data
    forged = sscard_reader.send_authorised_apdu(build_reset_apdu(b"K" * 16, challenge, "246810").hex())
    assert (forged.outcome, forged.sw) == (PinOutcome.REFUSED, "6988")
    challenge = sscard_reader.get_challenge().data
    reload = sscard_reader.send_authorised_apdu(build_reload_apdu(TEST_CARD_KEY, challenge, "975310").hex())
    assert reload.outcome is PinOutcome.OK and _chip(vcard).pin == "975310"
    with pytest.raises(CardProtocolError):
        sscard_reader.send_authorised_apdu("not hex")


def test_personalise_then_read_back(vcard: VpcdLink, sscard_reader: PcscCardReader) -> None:
    from hal.emulators.vcard import sample_personalisation

    vcard.replace_card(VirtualSsCard.blank())
    assert sscard_reader.verify_pin(clear("888888")).sw == "6984"  # no PIN installed yet
    sscard_reader.close()
    data = sample_personalisation(name="欧阳䶮", card_no="B98765432", initial_pin="888888")
    assert sscard_reader.personalise(data).outcome is ApduOutcome.OK
    writes = [c for c in vcard.commands if c[1] == apdu.INS_UPDATE_RECORD]
    assert len(writes) == len(apdu.CARD_ITEMS)
    back = sscard_reader.read_card()
    assert back is not None and (back.name, back.card_no, back.ssn) == ("欧阳䶮", "B98765432", data.ssn)
    assert sscard_reader.verify_pin(clear("888888")).outcome is PinOutcome.OK
    with pytest.raises(SecureAccessRequired):  # a personalised card wants external auth 04
        sscard_reader.personalise(data)


def test_personalise_third_generation_with_psam(vcard: VpcdLink, vpsam: VpcdLink) -> None:
    from hal.emulators.vcard import sample_personalisation
    from hal.sscard.secure_access import PsamSecureAccess

    vcard.replace_card(VirtualSsCard.blank(generation=3))
    psam = PsamSecureAccess("Virtual PCD 00 01")
    reader = PcscCardReader("Virtual PCD 00 00", secure_access=psam)
    assert reader.personalise(sample_personalisation()).outcome is ApduOutcome.OK
    assert any(c[:5] == bytes.fromhex("0082000410") for c in vcard.commands)
    data = reader.read_card()
    assert data is not None and data.ssn == sample_personalisation().ssn
    reader.close()
    psam.close()
