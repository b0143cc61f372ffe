"""`kiosk hal probe scanner` against the pty emulator: the technician's one-line check."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from hal.emulators.honeywell_scanner import REVISION, HoneywellScannerEmulator
from kiosk.cli import main

TOKEN = "ESSC1.probe-token-0001"


def test_probe_reads_one_code_and_never_prints_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with HoneywellScannerEmulator(str(tmp_path / "scanner")) as emu:
        def show_when_armed() -> None:
            for _ in range(200):
                if emu.armed:
                    emu.present(TOKEN)
                    return
                threading.Event().wait(0.02)

        threading.Thread(target=show_when_armed, daemon=True).start()
        rc = main(["hal", "probe", "scanner", "--port", emu.path, "--wait", "5", "--json"])
    out = capsys.readouterr().out
    assert rc == 0
    result = json.loads(out)
    assert result["revision"] == REVISION and result["scan"]["outcome"] == "code"
    assert result["scan"]["length"] == len(TOKEN)
    assert TOKEN not in out


def test_probe_without_a_code_exits_4(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with HoneywellScannerEmulator(str(tmp_path / "scanner")) as emu:
        rc = main(["hal", "probe", "scanner", "--port", emu.path, "--wait", "0.3"])
    assert rc == 4 and "scan: " in capsys.readouterr().out


def test_probe_of_a_missing_scanner_says_so_in_both_languages(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["hal", "probe", "scanner", "--port", str(tmp_path / "none"), "--wait", "0.2"])
    err = capsys.readouterr().err
    assert rc == 3 and "扫码器不可用" in err and "scanner unavailable" in err
