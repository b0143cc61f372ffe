"""`python -m hal.probe_card_reader` (the technician probe) as a black box, in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hal.emulators.vcard import VirtualSsCard, sample_personalisation
from hal.emulators.vpcd import READER_0, VpcdLink
from hal.sscard import apdu
from tests.hal.pcsc_fixtures import PcscDaemon, wait_card_state

pytestmark = pytest.mark.pcsc

ROOT = Path(__file__).resolve().parents[2]


def probe(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hal.probe_card_reader", "--driver", "pcsc", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=30,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], code: int, english: str) -> None:
    assert result.returncode == code, result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert "错误" in lines[0] and english in lines[0]


def test_probe_prints_the_card(vcard: VpcdLink) -> None:
    result = probe("--reader", "PCD 00 00", "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    want = sample_personalisation()
    assert list(out) == ["atr", "card_id_code", "card_type", "spec_version", "issue_date", "expiry_date",
                         "card_no", "ssn", "name", "sex", "ethnicity", "birth_place", "birth_date"]
    assert out["name"] == want.name and out["ssn"] == want.ssn and out["card_no"] == want.card_no
    assert out["issue_date"] == "2024-05-20" and out["birth_date"] == "1990-03-07"
    assert out["atr"] == vcard.card.atr.hex().upper()  # type: ignore[union-attr]


def test_probe_errors(pcscd: PcscDaemon, vcard: VpcdLink) -> None:
    vcard.replace_card(VirtualSsCard.personalised(generation=3))
    assert_one_line_error(probe("--reader", "PCD 00 00", "--json"), 4, "protocol")
    vcard.mute_next_apdu(apdu.INS_SELECT)
    assert_one_line_error(probe("--reader", "PCD 00 00", "--json", "--timeout", "0.3"), 5, "in time")
    vcard.remove()
    assert_one_line_error(probe("--reader", "No Such Reader", "--json"), 3, "no PC/SC reader")
    wait_card_state(READER_0, present=False)
    assert_one_line_error(probe("--reader", "PCD 00 00", "--json"), 2, "no card")
    pcscd.stop()
    try:
        assert_one_line_error(probe("--reader", "PCD 00 00", "--json"), 3, "pcscd")
    finally:
        pcscd.start()


def test_probe_third_generation_with_psam(vcard: VpcdLink, vpsam: VpcdLink) -> None:
    vcard.replace_card(VirtualSsCard.personalised(generation=3))
    result = probe("--reader", "PCD 00 00", "--psam", "PCD 00 01", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["ssn"] == sample_personalisation().ssn
