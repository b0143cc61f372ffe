"""The systemd units, tmpfiles and sysusers entries, checked by systemd's own tools offline.

There is no systemd as PID 1 here, so every check runs against a throwaway root (``--root=``)
holding systemd's stock units, ours, and the binaries our ExecStart= lines name (the dev
venv's real ``kiosk`` console script and the real ``cage``); without them verify fails.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SYSTEMD = ROOT / "systemd"
UNITS = ("kiosk.service", "kiosk-sync.service", "kiosk-cage.service")
VENV_BIN = "opt/sscard-kiosk/venv/bin"


def _run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=60, check=False)


def _unit_settings(name: str) -> list[tuple[str, str, str]]:
    """(section, key, value) for every assignment, in order; repeated keys are kept."""
    out: list[tuple[str, str, str]] = []
    section = ""
    for raw in (SYSTEMD / name).read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        out.append((section, key, value))
    return out


def _values(name: str, key: str) -> list[str]:
    return [v for _, k, v in _unit_settings(name) if k == key]


def _make_root(base: Path, with_kiosk: bool = True) -> Path:
    root = base / "root"
    (root / "lib/systemd").mkdir(parents=True)
    shutil.copytree("/lib/systemd/system", root / "lib/systemd/system", symlinks=True)
    for unit in UNITS:
        shutil.copy(SYSTEMD / unit, root / "lib/systemd/system" / unit)
    (root / VENV_BIN).mkdir(parents=True)
    if with_kiosk:
        shutil.copy(ROOT / ".venv/bin/kiosk", root / VENV_BIN / "kiosk")
    (root / "usr/bin").mkdir(parents=True)
    cage = shutil.which("cage")
    assert cage, "cage is not installed: run scripts/setup.sh (it is in APT_PACKAGES)"
    shutil.copy(cage, root / "usr/bin/cage")
    return root


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _make_root(tmp_path_factory.mktemp("units"))


@pytest.mark.parametrize("unit", UNITS)
def test_systemd_analyze_verify_is_clean(root: Path, unit: str) -> None:
    res = _run("systemd-analyze", "verify", "--man=no", "--generators=no", f"--root={root}", unit)
    # verify exits 0 on mere warnings (unknown keys, bad values), so any output is a failure too
    assert res.returncode == 0, res.stderr
    assert res.stdout + res.stderr == ""


def test_verify_catches_a_missing_executable(tmp_path: Path) -> None:
    root = _make_root(tmp_path, with_kiosk=False)
    res = _run("systemd-analyze", "verify", "--man=no", "--generators=no", f"--root={root}", "kiosk.service")
    assert res.returncode != 0
    assert "/opt/sscard-kiosk/venv/bin/kiosk is not executable" in res.stderr


def test_verify_reports_a_typo(tmp_path: Path) -> None:
    root = _make_root(tmp_path)
    unit = root / "lib/systemd/system/kiosk.service"
    unit.write_text(unit.read_text().replace("ProtectHome=yes", "ProtectHomes=yes"))
    res = _run("systemd-analyze", "verify", "--man=no", "--generators=no", f"--root={root}", "kiosk.service")
    assert "Unknown key" in res.stdout + res.stderr


@pytest.mark.parametrize("unit", UNITS)
def test_security_exposure_is_low(root: Path, unit: str) -> None:
    res = _run("systemd-analyze", "security", "--offline=yes", f"--root={root}", "--no-pager", unit)
    m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", res.stdout)
    assert m, res.stdout + res.stderr
    assert float(m.group(1)) <= 2.5  # systemd's scale: 0 = locked down, 10 = unprotected


@pytest.mark.parametrize("unit", UNITS)
def test_hardening_and_supervision(unit: str) -> None:
    s = {k: v for _, k, v in _unit_settings(unit)}
    assert s["Type"] == "notify"
    assert s["WatchdogSec"] == ("30s" if unit == "kiosk-sync.service" else "20s")
    assert s["NotifyAccess"] == ("all" if unit == "kiosk-cage.service" else "main")
    assert s["Restart"] == "always"
    assert "StartLimitIntervalSec" in s and "StartLimitBurst" in s
    assert s["User"] == "sscard-kiosk"
    assert s["ProtectSystem"] == "strict"
    assert _values(unit, "ReadWritePaths") == ["/var/lib/sscard-kiosk"]
    assert s["RuntimeDirectory"] == "sscard-kiosk"
    for key in ("PrivateTmp", "NoNewPrivileges", "ProtectHome"):
        assert s[key] == "yes", key
    assert s["CapabilityBoundingSet"] == ""
    assert s["DevicePolicy"] == "closed"
    families = set(s["RestrictAddressFamilies"].split())
    assert {"AF_UNIX", "AF_INET", "AF_INET6"} <= families <= {"AF_UNIX", "AF_INET", "AF_INET6", "AF_NETLINK"}
    assert s["StandardOutput"] == "journal"
    assert "LogRateLimitIntervalSec" in s and "LogRateLimitBurst" in s
    assert "/opt/sscard-kiosk/venv/bin/kiosk " in s["ExecStart"]
    assert "--config /etc/sscard-kiosk/kiosk.toml" in s["ExecStart"]


def test_ui_units_reach_only_kiosk_hardware() -> None:
    for unit in ("kiosk.service", "kiosk-cage.service"):
        allowed = {v.split()[0] for v in _values(unit, "DeviceAllow")}
        hardware = {"char-ttyS", "char-ttyUSB", "char-ttyACM", "char-usb_device", "char-usb",
                    "char-video4linux", "char-drm", "char-input"}
        assert allowed - {"/dev/tty1"} == hardware, unit
        after = " ".join(_values(unit, "After"))
        assert "pcscd.socket" in after
        assert "pcscd.socket" in " ".join(_values(unit, "Wants"))
    for unit in ("kiosk.service", "kiosk-cage.service"):
        # started by graphical.target, so never ordered after it (that would be a cycle)
        assert _values(unit, "WantedBy") == ["graphical.target"]
        assert "graphical.target" not in " ".join(_values(unit, "After"))
    assert _values("kiosk-sync.service", "PrivateDevices") == ["yes"]
    assert _values("kiosk-sync.service", "DeviceAllow") == []


def test_sync_survives_ui_restarts() -> None:
    # The UI pulls the forwarder in (Wants=) but nothing binds its lifetime to the UI.
    assert "kiosk-sync.service" in " ".join(_values("kiosk.service", "Wants"))
    for key in ("BindsTo", "PartOf", "Requires"):
        assert _values("kiosk-sync.service", key) == []
        assert "kiosk-sync.service" not in " ".join(_values("kiosk.service", key))


def _passwd_root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    shutil.copy("/usr/share/base-passwd/passwd.master", root / "etc/passwd")
    shutil.copy("/usr/share/base-passwd/group.master", root / "etc/group")
    for f in ("shadow", "gshadow"):
        (root / "etc" / f).touch(mode=0o640)
    return root


def test_sysusers_and_tmpfiles_create_user_and_private_directories(tmp_path: Path) -> None:
    root = _passwd_root(tmp_path)
    res = _run("systemd-sysusers", f"--root={root}", SYSTEMD / "sysusers.d/sscard-kiosk.conf")
    assert res.returncode == 0, res.stderr
    users = {ln.split(":")[0]: ln.split(":") for ln in (root / "etc/passwd").read_text().splitlines()}
    user = users["sscard-kiosk"]
    uid, gid = int(user[2]), int(user[3])
    assert uid < 1000 and user[5] == "/var/lib/sscard-kiosk" and user[6] == "/usr/sbin/nologin"
    groups = {ln.split(":")[0]: ln.split(":") for ln in (root / "etc/group").read_text().splitlines()}
    for g in ("dialout", "plugdev", "video", "render", "input"):
        assert "sscard-kiosk" in groups[g][3].split(","), g

    res = _run("systemd-tmpfiles", f"--root={root}", "--create", SYSTEMD / "tmpfiles.d/sscard-kiosk.conf")
    assert res.returncode == 0, res.stderr
    for d in ("var/lib/sscard-kiosk", "var/lib/sscard-kiosk/kivy", "run/sscard-kiosk"):
        st = os.stat(root / d)
        assert (st.st_mode & 0o7777, st.st_uid, st.st_gid) == (0o700, uid, gid), d


def test_cage_pam_stack_opens_a_logind_session() -> None:
    lines = [ln.split() for ln in (SYSTEMD / "pam.d/sscard-kiosk-cage").read_text().splitlines()
             if ln.strip() and not ln.startswith("#")]
    assert ["session", "required", "pam_systemd.so"] in lines
    assert _values("kiosk-cage.service", "PAMName") == ["sscard-kiosk-cage"]
