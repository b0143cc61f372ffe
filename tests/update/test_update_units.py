"""The update units and the kiosk.service drop-in, checked by systemd-analyze against a throwaway root."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.deploy.test_units import ROOT, SYSTEMD, _make_root, _run

UNITS = ("kiosk-update.service", "kiosk-update.path", "kiosk-update-confirm.service")


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    r = _make_root(tmp_path_factory.mktemp("update-units"))
    for unit in UNITS:
        shutil.copy(SYSTEMD / unit, r / "lib/systemd/system" / unit)
    shutil.copytree(SYSTEMD / "kiosk.service.d", r / "lib/systemd/system/kiosk.service.d")
    (r / "opt/kiosk/current/venv/bin").mkdir(parents=True)
    shutil.copy(ROOT / ".venv/bin/kiosk", r / "opt/kiosk/current/venv/bin/kiosk")
    systemctl = shutil.which("systemctl")
    assert systemctl
    shutil.copy(systemctl, r / "usr/bin/systemctl")
    return r


@pytest.mark.parametrize("unit", (*UNITS, "kiosk.service"))
def test_verify_is_clean(root: Path, unit: str) -> None:
    res = _run("systemd-analyze", "verify", "--man=no", "--generators=no", f"--root={root}", unit)
    assert res.returncode == 0, res.stderr
    assert res.stdout + res.stderr == ""


def test_drop_in_runs_the_release_and_the_boot_helper_from_the_package() -> None:
    text = (SYSTEMD / "kiosk.service.d/50-releases.conf").read_text()
    # the boot helper must not live in a release: a broken release could not roll itself back
    assert "ExecStartPre=+/opt/sscard-kiosk/venv/bin/kiosk update boot" in text
    assert "ExecStart=\nExecStart=/opt/kiosk/current/venv/bin/kiosk run" in text


def test_verify_catches_a_missing_release(tmp_path: Path) -> None:
    r = _make_root(tmp_path)
    shutil.copytree(SYSTEMD / "kiosk.service.d", r / "lib/systemd/system/kiosk.service.d")
    res = _run("systemd-analyze", "verify", "--man=no", "--generators=no", f"--root={r}", "kiosk.service")
    assert "/opt/kiosk/current/venv/bin/kiosk is not executable" in res.stderr
