"""Reading EF05/EF06 through pyscard → pcscd → vpcd → the virtual card."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from hal.emulators.vcard import (
    TEST_AUTH_KEY,
    VirtualPsam,
    VirtualSsCard,
    external_auth_cryptogram,
    sample_personalisation,
)
from hal.emulators.vpcd import READER_0, READER_1, VpcdLink
from hal.sscard import apdu
from hal.sscard.errors import CardProtocolError, SecureAccessRequired
from hal.sscard.pcsc_reader import PcscCardReader
from hal.sscard.secure_access import CentralHsmSecureAccess, PsamSecureAccess
from hal.status import DeviceError, DeviceUnavailable
from hal.types import SsCardData
from tests.hal.pcsc_fixtures import wait_card_state

pytestmark = pytest.mark.pcsc


def _expected(data: SsCardData) -> None:
    want = sample_personalisation()
    for field in dataclasses.fields(want):
        if field.name != "initial_pin":
            assert getattr(data, field.name) == getattr(want, field.name), field.name


def test_reads_every_item(vcard: VpcdLink, sscard_reader: PcscCardReader) -> None:
    data = sscard_reader.read_card()
    assert data is not None
    _expected(data)
    assert data.atr == vcard.card.atr.hex().upper()  # type: ignore[union-attr]
    assert data.issue_date == dt.date(2024, 5, 20) and data.birth_date == dt.date(1990, 3, 7)
    read_tags = [c[2] for c in vcard.commands if c[1] == apdu.INS_READ_RECORD]
    assert read_tags == [i.tag for i in apdu.CARD_ITEMS]


def test_name_extension_gbk_and_rare_characters(vcard: VpcdLink, sscard_reader: PcscCardReader) -> None:
    long_name = "阿卜杜热合曼·买买提依明·艾则孜·托合提尼亚孜"
    vcard.replace_card(VirtualSsCard.personalised(sample_personalisation(name=long_name)))
    data = sscard_reader.read_card()
    assert data is not None and data.name == long_name
    card = vcard.card
    assert isinstance(card, VirtualSsCard)
    assert card.item_value(apdu.TAG_NAME_EXT) != bytes(20)  # really split across 09 + 4E

    vcard.replace_card(VirtualSsCard.personalised(sample_personalisation(name="王䶮")))
    sscard_reader.close()
    data = sscard_reader.read_card()
    assert data is not None and data.name == "王䶮" and apdu.is_exact_name(data.name)


def test_undecodable_name_and_missing_extension(vcard: VpcdLink, sscard_reader: PcscCardReader) -> None:
    card = vcard.card
    assert isinstance(card, VirtualSsCard)
    card.set_raw_item(apdu.TAG_NAME, bytes.fromhex("CDF5FF30").ljust(30, b"\x00"))  # 王 + a broken code
    card.set_raw_item(apdu.TAG_NAME_EXT, None)  # a 1st-generation card has no tag 4E
    data = sscard_reader.read_card()
    assert data is not None and data.name.startswith("王")
    assert not apdu.is_exact_name(data.name)  # the flow shows the ID card's name instead


def test_61xx_and_6cxx(vcard: VpcdLink, sscard_reader: PcscCardReader) -> None:
    card = vcard.card
    assert isinstance(card, VirtualSsCard)
    card.force_61xx = True
    data = sscard_reader.read_card()
    assert data is not None
    _expected(data)
    assert sum(c[1] == apdu.INS_GET_RESPONSE for c in vcard.commands) >= len(apdu.CARD_ITEMS)
    card.force_61xx, card.force_6cxx = False, True
    sscard_reader.close()
    del vcard.commands[:]
    data = sscard_reader.read_card()
    assert data is not None
    _expected(data)
    reads = [c for c in vcard.commands if c[1] == apdu.INS_READ_RECORD]
    assert len(reads) == 2 * len(apdu.CARD_ITEMS)  # every read resent with the Le the card asked for


def test_no_card(vcard: VpcdLink, sscard_reader: PcscCardReader) -> None:
    vcard.remove()
    wait_card_state(READER_0, present=False)
    assert sscard_reader.read_card() is None
    assert not sscard_reader.card_present()
    assert not sscard_reader.wait_for_card(0.05)


def test_reader_chosen_by_pattern(vcard: VpcdLink, vpsam: VpcdLink) -> None:
    vpsam.replace_card(VirtualSsCard.personalised(sample_personalisation(ssn="350102198506150028")))
    reader = PcscCardReader(r"pcd 00 0[1]$")
    data = reader.read_card()
    assert data is not None and data.ssn == "350102198506150028"  # the card in 00 01, not 00 00
    reader.close()
    with pytest.raises(DeviceUnavailable):
        PcscCardReader("ACS ACR1281").read_card()


def test_third_generation_needs_external_auth(vcard: VpcdLink, sscard_reader: PcscCardReader) -> None:
    vcard.replace_card(VirtualSsCard.personalised(generation=3))
    with pytest.raises(SecureAccessRequired):
        sscard_reader.read_card()
    assert any(c[:4] == bytes.fromhex("00B20800") for c in vcard.commands)  # EF06 answered 6982

    def hsm(challenge: bytes, key_ref: int, card_id_code: str) -> bytes:
        assert card_id_code == sample_personalisation().card_id_code
        return external_auth_cryptogram(TEST_AUTH_KEY, challenge, key_ref)

    reader = PcscCardReader(READER_0, secure_access=CentralHsmSecureAccess(hsm))
    data = reader.read_card()
    assert data is not None
    _expected(data)
    assert any(c[:5] == bytes.fromhex("0082000A10") for c in vcard.commands)
    reader.close()

    wrong = PcscCardReader(READER_0, secure_access=CentralHsmSecureAccess(lambda c, k, i: bytes(16)))
    with pytest.raises(CardProtocolError):
        wrong.read_card()
    wrong.close()
    def unreachable_central(challenge: bytes, key_ref: int, card_id_code: str) -> bytes:
        raise ConnectionError("central down")

    broken = PcscCardReader(READER_0, secure_access=CentralHsmSecureAccess(unreachable_central))
    with pytest.raises(DeviceError) as caught:
        broken.read_card()
    assert caught.value.code == "secure_access_failed"
    broken.close()


def test_third_generation_with_psam(vcard: VpcdLink, vpsam: VpcdLink) -> None:
    vcard.replace_card(VirtualSsCard.personalised(generation=3))
    psam = PsamSecureAccess("Virtual PCD 00 01")
    reader = PcscCardReader("Virtual PCD 00 00", secure_access=psam)
    data = reader.read_card()
    assert data is not None
    _expected(data)
    chip = vpsam.card
    assert isinstance(chip, VirtualPsam) and chip.computations == 1
    reader.close()
    psam.close()
    vpsam.remove()
    wait_card_state(READER_1, present=False)
    reader = PcscCardReader("Virtual PCD 00 00", secure_access=PsamSecureAccess("Virtual PCD 00 01"))
    with pytest.raises(DeviceUnavailable):
        reader.read_card()  # the SAM slot is empty
    reader.close()


def test_implements_the_hal_interface() -> None:
    from hal.interfaces import CardReader, Device

    reader: CardReader = PcscCardReader("Virtual PCD 00 00")  # checked by mypy
    assert isinstance(reader, Device) and reader.name == "card_reader"
