"""Build the .deb from this tree and install it into a throwaway Debian 12 root.

Slow by nature (marked ``slow``): about 35 s to build the package from the cached wheels,
then dpkg inside a chroot over the cached debootstrap tree (see debian_root.py). The first
run on a machine also runs debootstrap (~1 min) and collects the wheels (~30 s).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from central_sim.release.artifact import build
from central_sim.release.repository import ReleaseRepository
from tests.deploy.debian_root import CACHE, throwaway_root
from tests.update.conftest import make_tree

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
USER = "sscard-kiosk"
UNITS = ("kiosk.service", "kiosk-sync.service", "kiosk-cage.service")
UPDATE_UNITS = ("kiosk-update.service", "kiosk-update.path", "kiosk-update-confirm.service")
SITE = "opt/sscard-kiosk/venv/lib/python3.11/site-packages"
CHROOT_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", "HOME": "/root"}


def chroot(root: Path, *cmd: str, user: str | None = None, env: dict[str, str] | None = None,
           timeout: float = 180) -> subprocess.CompletedProcess[str]:
    prefix = ["chroot", *([f"--userspec={user}:{user}"] if user else []), str(root)]
    return subprocess.run([*prefix, *cmd], capture_output=True, text=True, timeout=timeout, check=False,
                          env={**CHROOT_ENV, **(env or {})})


def ok(res: subprocess.CompletedProcess[str]) -> str:
    assert res.returncode == 0, f"{res.args}\nstdout:\n{res.stdout[-3000:]}\nstderr:\n{res.stderr[-3000:]}"
    return res.stdout


@pytest.fixture(scope="module")
def release_repo(tmp_path_factory: pytest.TempPathFactory) -> ReleaseRepository:
    """The fleet's TUF repository (kiosk-release's code): the package ships its root."""
    tmp = tmp_path_factory.mktemp("release-repo")
    repo = ReleaseRepository(tmp / "repo")
    repo.init(root_keys=3, root_threshold=2)
    archive, _ = build(tmp / "dist", "0.2.0", tree=make_tree(tmp, "0.2.0"))
    repo.add_release(archive, version="0.2.0")
    return repo


@pytest.fixture(scope="module")
def deb(tmp_path_factory: pytest.TempPathFactory, release_repo: ReleaseRepository) -> Path:
    out = tmp_path_factory.mktemp("deb")
    root = out / "root.json"
    release_repo.export_root(root)
    subprocess.run(
        [sys.executable, str(ROOT / "packaging/build_deb.py"), "--out", str(out), "--cache", str(CACHE),
         "--work", str(out / "work"), "--trusted-root", str(root)],
        check=True, capture_output=True, timeout=600,
    )
    (pkg,) = out.glob("sscard-kiosk_*_amd64.deb")
    return pkg


@pytest.fixture(scope="module")
def installed(deb: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with throwaway_root(tmp_path_factory.mktemp("install")) as root:
        dpkg_install(root, deb)
        yield root


def dpkg_install(root: Path, deb: Path) -> None:
    target = root / "var/tmp" / deb.name
    target.write_bytes(deb.read_bytes())
    # unsafe-io: no fsync per file; a throwaway root needs no crash safety
    ok(chroot(root, "dpkg", "--force-unsafe-io", "-i", f"/var/tmp/{deb.name}"))
    target.unlink()


def _passwd(root: Path) -> dict[str, list[str]]:
    return {ln.split(":")[0]: ln.split(":") for ln in (root / "etc/passwd").read_text().splitlines()}


def _groups(root: Path) -> dict[str, list[str]]:
    return {ln.split(":")[0]: ln.split(":") for ln in (root / "etc/group").read_text().splitlines()}


def test_package_is_installed_with_its_files(installed: Path) -> None:
    status = ok(chroot(installed, "dpkg-query", "-W", "-f=${Status} ${Version}", "sscard-kiosk"))
    assert status.startswith("install ok installed ")
    for path in (
        *(f"lib/systemd/system/{u}" for u in (*UNITS, *UPDATE_UNITS)),
        "lib/systemd/system/kiosk.service.d/50-releases.conf",
        f"{SITE}/kiosk/update/trusted_root.json",
        "usr/lib/tmpfiles.d/sscard-kiosk.conf",
        "usr/lib/sysusers.d/sscard-kiosk.conf",
        "usr/lib/systemd/journald.conf.d/sscard-kiosk.conf",
        "etc/pam.d/sscard-kiosk-cage",
        "usr/lib/udev/rules.d/60-sscard-kiosk.rules",
        "usr/share/doc/sscard-kiosk/README.md",
        "usr/share/doc/sscard-kiosk/copyright",
        "opt/sscard-kiosk/venv/bin/kiosk",
    ):
        assert (installed / path).is_file(), path
    assert (installed / "lib/systemd/system/kiosk.service").read_bytes() == \
        (ROOT / "systemd/kiosk.service").read_bytes()
    for unit in (*UPDATE_UNITS, "kiosk.service.d/50-releases.conf"):
        assert (installed / "lib/systemd/system" / unit).read_bytes() == (ROOT / "systemd" / unit).read_bytes()
    conffiles = ok(chroot(installed, "dpkg-query", "-W", "-f=${Conffiles}", "sscard-kiosk"))
    assert "/etc/sscard-kiosk/kiosk.toml" in conffiles


def test_the_kiosk_trusts_the_root_given_at_build_time(installed: Path, release_repo: ReleaseRepository) -> None:
    """The installed kiosk walks the fleet repository from the shipped root (no `no_trusted_root`)."""
    assert (installed / SITE / "kiosk/update/trusted_root.json").read_bytes() == release_repo.root_bytes(1)
    bundle = installed / "var/tmp/repo"
    shutil.copytree(release_repo.metadata_dir, bundle / "metadata")
    shutil.copytree(release_repo.targets_dir, bundle / "targets")
    out = ok(chroot(installed, "/opt/sscard-kiosk/venv/bin/kiosk", "update", "check", "--bundle", "/var/tmp/repo",
                    "--releases-root", "/var/tmp/releases"))
    assert json.loads(out)["available"] == "0.2.0"


def test_first_install_adopts_the_package_as_the_first_release(installed: Path) -> None:
    """postinst: the package's venv is release <version> and `current`, so kiosk.service (which runs
    /opt/kiosk/current through the drop-in) starts, and the first signed update can roll back to it."""
    version = ok(chroot(installed, "dpkg-query", "-W", "-f=${Version}", "sscard-kiosk"))
    assert os.readlink(installed / "opt/kiosk/current") == f"releases/{version}"
    assert os.readlink(installed / f"opt/kiosk/releases/{version}/venv") == "/opt/sscard-kiosk/venv"
    status = json.loads(ok(chroot(installed, "/opt/sscard-kiosk/venv/bin/kiosk", "update", "status",
                                  "--releases-root", "/opt/kiosk")))
    assert (status["current"], status["good"], status["pending"]) == (version, version, "")


def test_user_and_directories(installed: Path) -> None:
    user = _passwd(installed)[USER]
    uid, gid = int(user[2]), int(user[3])
    assert 0 < uid < 1000, "a system user"
    assert user[5:] == ["/var/lib/sscard-kiosk", "/usr/sbin/nologin"]
    groups = _groups(installed)
    for g in ("dialout", "plugdev", "video", "render", "input"):
        assert USER in groups[g][3].split(","), g
    for d in ("var/lib/sscard-kiosk", "var/lib/sscard-kiosk/kivy", "run/sscard-kiosk"):
        st = os.stat(installed / d)
        assert (oct(st.st_mode & 0o7777), st.st_uid, st.st_gid) == (oct(0o700), uid, gid), d
    conf = os.stat(installed / "etc/sscard-kiosk/kiosk.toml")
    assert (oct(conf.st_mode & 0o7777), conf.st_uid, conf.st_gid) == (oct(0o640), 0, gid)
    # everything under /opt is root's and read-only for the service user
    for p in ("opt/sscard-kiosk/venv", "opt/sscard-kiosk/venv/bin/kiosk"):
        st = os.stat(installed / p)
        assert st.st_uid == 0 and not st.st_mode & 0o022, p


def test_kiosk_command_runs_inside_the_root(installed: Path) -> None:
    out = ok(chroot(installed, "/opt/sscard-kiosk/venv/bin/kiosk", "--help"))
    assert "run" in out
    # as the service user, through the /usr/bin link, with the shipped default config
    out = ok(chroot(installed, "/usr/bin/sscard-kiosk", "--help", user=USER))
    assert "run" in out


def test_the_development_side_is_not_installed(installed: Path) -> None:
    """The appliance carries neither the reference central nor the emulators; the kiosk says so."""
    python = "/opt/sscard-kiosk/venv/bin/python"
    for module in ("central_sim", "hal.emulators"):
        res = chroot(installed, python, "-c", f"import {module}", user=USER)
        assert res.returncode != 0 and "ModuleNotFoundError" in res.stderr, module
    res = chroot(installed, "/usr/bin/sscard-kiosk", "central-sim", "--help", user=USER,
                 env={"KIVY_HOME": "/var/tmp/kivy-home", "KIVY_NO_ARGS": "1", "KIVY_NO_CONSOLELOG": "1"})
    assert res.returncode == 2, res.stdout + res.stderr
    assert "参考中心服务未安装" in res.stderr and "the reference central is not installed" in res.stderr


def test_native_libraries_resolve_inside_the_root(installed: Path) -> None:
    """The package's Depends are enough for the wheels' native parts, and assets are found."""
    code = (
        "import cv2, numpy, dlib, kivy, smartcard.scard, serial, usb.backend.libusb1 as l;"
        "assert l.get_backend() is not None, 'libusb not found';"
        "from screens import i18n; assert len(i18n.table('zh')) > 10;"
        "from kiosk import fonts; assert fonts.font_for('社') == fonts.PRIMARY;"
        "assert fonts.font_for('\U00020000') is not None, 'no fallback font for CJK ext. B';"
        "from kiosk.config import load_config;"
        "c = load_config('/etc/sscard-kiosk/kiosk.toml');"
        "print(c.kiosk.data_dir)"
    )
    out = ok(chroot(installed, "/opt/sscard-kiosk/venv/bin/python", "-c", code, user=USER,
                    env={"KIVY_HOME": "/var/tmp/kivy-home", "KIVY_NO_ARGS": "1", "KIVY_NO_CONSOLELOG": "1"}))
    assert out.strip().endswith("/var/lib/sscard-kiosk")


def test_bytecode_is_shipped_with_final_paths(installed: Path) -> None:
    site = installed / "opt/sscard-kiosk/venv/lib/python3.11/site-packages"
    pycs = list((site / "kiosk/__pycache__").glob("cli.cpython-311.pyc"))
    assert pycs, "no precompiled bytecode (the service cannot write /opt)"
    data = pycs[0].read_bytes()
    assert b"/opt/sscard-kiosk/venv/lib/python3.11/site-packages/kiosk/cli.py" in data
    assert b"/stage/" not in data
    for script in (installed / "opt/sscard-kiosk/venv/bin").iterdir():
        if script.is_file() and not script.is_symlink():
            assert b"/stage/" not in script.read_bytes(), script.name


@pytest.mark.parametrize("unit", (*UNITS, *UPDATE_UNITS))
def test_installed_units_verify_against_the_installed_root(installed: Path, unit: str) -> None:
    res = subprocess.run(["systemd-analyze", "verify", "--man=no", "--generators=no", f"--root={installed}", unit],
                         capture_output=True, text=True, timeout=60, check=False)
    assert res.returncode == 0, res.stderr
    assert res.stdout + res.stderr == ""


def test_reinstall_keeps_local_config_and_purge_keeps_data(deb: Path, tmp_path: Path) -> None:
    with throwaway_root(tmp_path / "upgrade") as root:
        dpkg_install(root, deb)
        conf = root / "etc/sscard-kiosk/kiosk.toml"
        edited = conf.read_text().replace("FZ-CHANGE-ME-0001", "FZ-GL-0042")
        conf.write_text(edited)
        (root / "var/lib/sscard-kiosk/queue.sqlite").write_bytes(b"queued")
        dpkg_install(root, deb)  # same path as an upgrade: prerm upgrade, unpack, postinst configure
        assert conf.read_text() == edited
        assert oct(conf.stat().st_mode & 0o777) == oct(0o640)

        overrides = ok(chroot(root, "dpkg-statoverride", "--list"))
        assert "root sscard-kiosk 640 /etc/sscard-kiosk/kiosk.toml" in overrides

        ok(chroot(root, "dpkg", "--purge", "sscard-kiosk"))
        assert not (root / "opt/sscard-kiosk/venv").exists()
        assert not (root / "lib/systemd/system/kiosk.service").exists()
        assert not conf.exists()
        assert not (root / "opt/kiosk").exists()  # the adopted release goes with the package
        assert (root / "var/lib/sscard-kiosk/queue.sqlite").read_bytes() == b"queued"
        left = chroot(root, "dpkg-statoverride", "--list")
        assert (left.returncode, left.stdout) == (1, "")  # exit 1: no overrides at all


# The UI unit runs a probe in place of the UI (no display here) that freezes after 1.5 s; the
# sync unit runs the real `kiosk sync`, with the probe checking its sandbox just before.
PROBE_DROPINS = {
    "kiosk.service": "ExecStart=\nExecStart=/opt/sscard-kiosk/venv/bin/python /usr/local/lib/unit_probe.py ui 1.5\n"
                     "WatchdogSec=2s\nRestartSec=1s\n",
    "kiosk-sync.service": "ExecStartPre=/opt/sscard-kiosk/venv/bin/python /usr/local/lib/unit_probe.py sync check\n",
}


def _probe_log(root: Path, name: str) -> list[str]:
    path = root / f"var/lib/sscard-kiosk/probe-{name}.log"
    return path.read_text().splitlines() if path.exists() else []


def test_units_under_a_booted_systemd(deb: Path, tmp_path: Path) -> None:
    """Boot the installed root with systemd-nspawn (systemd as PID 1) and run the real units.

    kiosk.service keeps everything but ExecStart (a probe using kiosk.watchdog from the
    installed venv, tests/deploy/data/unit_probe.py, which freezes after 1.5 s) and gets a
    2 s watchdog: systemd must kill and restart it. kiosk-sync.service runs the real
    `kiosk sync`, unchanged but for the probe as ExecStartPre=, and must run on untouched.
    """
    assert shutil.which("systemd-nspawn"), "systemd-container is not installed: run scripts/setup.sh"
    with throwaway_root(tmp_path / "boot") as root:
        dpkg_install(root, deb)
        subprocess.run(["umount", str(root / "proc")], check=True)  # nspawn mounts its own
        shutil.copy(Path(__file__).parent / "data/unit_probe.py", root / "usr/local/lib/unit_probe.py")
        for unit, dropin_text in PROBE_DROPINS.items():
            dropin = root / f"etc/systemd/system/{unit}.d"
            dropin.mkdir(parents=True)
            (dropin / "probe.conf").write_text(f"[Service]\n{dropin_text}")
            wants = root / "etc/systemd/system/graphical.target.wants"
            wants.mkdir(parents=True, exist_ok=True)
            (wants / unit).symlink_to(f"/lib/systemd/system/{unit}")
        # a kiosk provisioned for a lab: no central reachable, demo queue key created on first start
        conf = root / "etc/sscard-kiosk/kiosk.toml"
        conf.write_text(conf.read_text().replace("simulator_mode = false", "simulator_mode = true")
                        .replace("https://central.example.invalid", "http://127.0.0.1:9"))
        boot = subprocess.Popen(
            ["systemd-nspawn", "--quiet", "--directory", str(root), "--boot", "--register=no", "--keep-unit",
             "--link-journal=no", "--console=pipe"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and boot.poll() is None:
                if sum(ln.startswith("start") for ln in _probe_log(root, "ui")) >= 2:
                    break
                time.sleep(0.5)
        finally:
            boot.terminate()  # SIGTERM: nspawn asks the container's systemd to power off
            try:
                boot.wait(timeout=30)
            except subprocess.TimeoutExpired:
                boot.kill()
                boot.wait()
        journal = subprocess.run(
            ["journalctl", "--no-pager", "-o", "cat", "-D", str(root / "var/log/journal")],
            capture_output=True, text=True, timeout=60, check=False,
        ).stdout
        ui, sync = _probe_log(root, "ui"), _probe_log(root, "sync")
        uid = _passwd(root)[USER][2]
        data_modes = {p.name: p.stat().st_mode & 0o777 for p in (root / "var/lib/sscard-kiosk").iterdir()}
        shared_tmp_probe = (root / "tmp/probe").exists()  # PrivateTmp: the services' /tmp is their own

    assert not shared_tmp_probe
    assert "ordering cycle" not in journal
    assert "kiosk.service: Watchdog timeout" in journal, journal[-3000:]
    ui_starts = [ln for ln in ui if ln.startswith("start")]
    assert len(ui_starts) >= 2, ui  # restarted by the watchdog
    assert any(ln.startswith("freezing after pings=") and int(ln.rsplit("=", 1)[1]) >= 3 for ln in ui)
    # pcscd (socket-activated in the container) answers through the read-only /run
    assert "pcsc readers=0" in ui
    assert "libs ok (16, 16) faces=0" in ui
    assert "ready=True" in ui
    # the real forwarder + heartbeat: ready once (Type=notify), then ran on through the UI's restarts
    sync_started = [ln for ln in journal.splitlines() if ln.startswith("Started kiosk-sync.service")]
    assert len(sync_started) == 1, journal[-3000:]
    assert "kiosk-sync.service: Watchdog timeout" not in journal
    assert "kiosk-sync.service: Main process exited" not in journal
    assert [ln for ln in sync if ln.startswith("start")] == [sync[0]]
    assert sync[-1] == "checked"
    # what it wrote is private to the kiosk user (UMask=0077)
    assert data_modes["queue.sqlite"] == 0o600 and data_modes["queue.key"] == 0o600, data_modes
    for log, wd in ((ui, "2.0"), (sync, "None")):  # ExecStartPre= gets no watchdog
        assert log[0] == f"start uid={uid} wd={wd} capeff=0000000000000000 nnp=1"
        assert "write /opt/sscard-kiosk/probe errno=30" in log  # EROFS: ProtectSystem=strict
        assert "write /etc/probe errno=30" in log
        for writable in ("/var/lib/sscard-kiosk/probe", "/run/sscard-kiosk/probe", "/tmp/probe"):
            assert f"write {writable} ok" in log
