"""`python -m hal.probe_id_reader` in a subprocess against the pty emulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hal.emulators.sam_reader import SamFault, SamReaderEmulator, sample_id_card
from hal.idreader.sam_frames import SamCommand

ROOT = Path(__file__).resolve().parents[2]
KEYS = {
    "name", "sex", "ethnicity", "birth_date", "address", "id_number",
    "issuer", "valid_from", "valid_until", "photo_wlt_len",
}  # fmt: skip


@pytest.fixture
def sam(tmp_path: Path) -> Iterator[SamReaderEmulator]:
    with SamReaderEmulator(str(tmp_path / "idreader")) as emulator:
        yield emulator


def run_probe(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "hal.probe_id_reader", *args],
        capture_output=True,
        text=True,
        timeout=20,
        cwd=ROOT,
        env=env,
    )


def assert_one_clean_error_line(proc: subprocess.CompletedProcess[str]) -> None:
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and " / " in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


def test_probe_prints_the_card_as_json(sam: SamReaderEmulator) -> None:
    card = sample_id_card("王䶮", valid_until=None, sex_code="2")
    sam.insert_card(card)
    proc = run_probe("--driver", "sam-serial", "--port", sam.path, "--baud", "115200", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert set(data) == KEYS
    assert data["name"] == "王䶮" and data["sex"] == "女" and data["ethnicity"] == "01"
    assert data["birth_date"] == "1990-01-01" and data["valid_from"] == "2015-06-01"
    assert data["valid_until"] == "长期" and data["photo_wlt_len"] == 1024
    assert data["id_number"] == card.id_number


def test_probe_plain_output_with_a_dated_expiry(sam: SamReaderEmulator) -> None:
    sam.insert_card()
    proc = run_probe("--port", sam.path)
    assert proc.returncode == 0
    assert "valid_until: 2035-06-01" in proc.stdout and "sex: 男" in proc.stdout


@pytest.mark.parametrize(
    ("setup", "code", "needle"),
    [
        ("no_card", 1, "no ID card"),
        ("no_port", 3, "no ID card reader"),
        ("checksum", 4, "sam_bad_checksum"),
        ("mute", 5, "timeout"),
        ("driver", 2, "unknown driver"),
    ],
)
def test_probe_failures_are_one_line_and_non_zero(
    sam: SamReaderEmulator, tmp_path: Path, setup: str, code: int, needle: str
) -> None:
    port, driver = sam.path, "sam-serial"
    if setup == "no_port":
        port = str(tmp_path / "absent")
    elif setup == "checksum":
        sam.insert_card()
        sam.inject(SamFault.BAD_CHECKSUM, command=SamCommand.READ_TEXT_PHOTO, times=10)
    elif setup == "mute":
        sam.inject(SamFault.MUTE, times=10)
    elif setup == "driver":
        driver = "usb-hid"
    proc = run_probe("--driver", driver, "--port", port, "--timeout", "0.3", "--json")
    assert proc.returncode == code
    assert_one_clean_error_line(proc)
    assert needle in proc.stderr
