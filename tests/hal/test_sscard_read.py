"""Reading EF05/EF06 through pyscard → pcscd → vpcd → the virtual card."""

from __future__ import annotations

import datetime as dt
import time

from hal.emulators.vcard import VirtualSsCard, sample_personalisation
from hal.emulators.vpcd import VpcdLink
from hal.sscard import apdu
from hal.sscard.pcsc_reader import PcscCardReader
from tests.hal.pcsc_fixtures import wait_card_state
from hal.emulators.vpcd import READER_0


def test_reads_all_items(vcard: VpcdLink, sscard_reader: PcscCardReader) -> None:
    t = time.monotonic()
    data = sscard_reader.read_card()
    print("read", time.monotonic() - t)
    assert data is not None
    expected = sample_personalisation()
    assert data.name == expected.name
    assert data.ssn == expected.ssn
    assert data.card_no == expected.card_no
    assert data.issue_date == dt.date(2024, 5, 20)
    assert data.birth_place == "350102"
    assert data.ethnicity == "01"
    assert data.atr == vcard.card.atr.hex().upper()
