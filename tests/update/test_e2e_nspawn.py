"""End to end in a booted throwaway Debian root: the .deb, a remote update, a broken release rolled back.

Slow (builds the .deb, boots systemd in systemd-nspawn). The kiosk is installed from the
package and its venv adopted as release 0.1.0. A repository (kiosk-release's code) holds 0.2.0
(the same .deb as a release archive) and 0.2.1 (that tree with kiosk/watchdog.py broken). The
updates arrive as the central's request file, picked up by kiosk-update.path; the UI is a probe
run from the current release's venv (tests/update/data/release_probe.py), so a broken release
really fails to start. Everything else is the shipped units plus the releases drop-in.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from central_sim.release.artifact import build
from central_sim.release.repository import ReleaseRepository
from tests.deploy.debian_root import throwaway_root
from tests.deploy.test_deb_install import (  # noqa: F401  (deb, release_repo: fixtures)
    _passwd,
    deb,
    dpkg_install,
    release_repo,
)

pytestmark = pytest.mark.e2e_long  # ~3 min: `make e2e` (its transcript is in docs/updates.md)

ROOT = Path(__file__).resolve().parents[2]
BASE = "https://updates.invalid/updates/"
FAST = 1  # gzip level: the three 580 MB trees would take ~100 s at the default 6
TEST_DROPINS = {
    "kiosk.service": "ExecStart=\nExecStart=/opt/kiosk/current/venv/bin/python /usr/local/lib/release_probe.py\n"
                     "WatchdogSec=5s\nRestartSec=1s\n",
    "kiosk-update-confirm.service": "ExecStart=\nExecStart=/opt/sscard-kiosk/venv/bin/kiosk update confirm "
                                    "--config /etc/sscard-kiosk/kiosk.toml --probation 8\n",  # > WatchdogSec
}


def _wait(cond: Callable[[], bool], timeout: float, what: str, boot: subprocess.Popen[bytes]) -> None:
    end = time.monotonic() + timeout
    while not cond():
        assert boot.poll() is None, "the container stopped"
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.5)


def _state(root: Path) -> dict[str, object]:
    try:
        data: dict[str, object] = json.loads((root / "opt/kiosk/state.json").read_text())
        return data
    except (OSError, ValueError):
        return {}


def _starts(root: Path) -> list[str]:
    p = root / "var/lib/sscard-kiosk/release-probe.log"
    return p.read_text().split()[1::2] if p.exists() else []


def _request(root: Path, version: str) -> None:
    run = root / "var/lib/sscard-kiosk/run"
    uid = int(_passwd(root)["sscard-kiosk"][2])
    run.mkdir(exist_ok=True)
    os.chown(run, uid, uid)
    tmp = run / ".req"
    tmp.write_text(json.dumps({"id": f"cmd-{version}", "version": version}))
    os.chown(tmp, uid, uid)
    tmp.replace(run / "update-request.json")


def test_remote_update_then_broken_release_rolls_back(deb: Path, tmp_path: Path) -> None:  # noqa: F811
    repo = ReleaseRepository(tmp_path / "repo")
    repo.init()
    good, _ = build(tmp_path / "dist", "0.2.0", deb=deb, compresslevel=FAST)
    repo.add_release(good, version="0.2.0")
    x = tmp_path / "x"
    subprocess.run(["dpkg-deb", "-x", str(deb), str(x)], check=True)
    (watchdog,) = (x / "opt/sscard-kiosk/venv/lib").glob("python3*/site-packages/kiosk/watchdog.py")
    original = watchdog.read_text()
    watchdog.write_text('raise SystemExit("broken release")\n')
    bad, _ = build(tmp_path / "dist", "0.2.1", tree=x / "opt/sscard-kiosk", relocate_from="/opt/sscard-kiosk",
                   compresslevel=FAST)
    repo.add_release(bad, version="0.2.1")
    # 0.2.2 starts and sends READY=1, then its UI loop freezes: its watchdog pings go nowhere.
    watchdog.write_text(original + "\n\ndef watchdog_ping() -> bool:\n    return False\n")
    frozen, _ = build(tmp_path / "dist", "0.2.2", tree=x / "opt/sscard-kiosk", relocate_from="/opt/sscard-kiosk",
                   compresslevel=FAST)
    repo.add_release(frozen, version="0.2.2")

    with throwaway_root(tmp_path / "boot") as root:
        dpkg_install(root, deb)  # postinst adopts the package's venv as release 0.1.0; the units come with it
        subprocess.run(["umount", str(root / "proc")], check=True)  # nspawn mounts its own
        shutil.copytree(repo.metadata_dir, root / "srv/repo/metadata")
        shutil.copytree(repo.targets_dir, root / "srv/repo/targets")
        repo.export_root(root / "srv/root.json")
        (root / "etc/sscard-kiosk/update.toml").write_text(
            f'bundle_dir = "/srv/repo"\nrepository_url = "{BASE}"\ntrusted_root = "/srv/root.json"\nreserve_mb = 50\n')
        conf = root / "etc/sscard-kiosk/kiosk.toml"
        conf.write_text(conf.read_text().replace("simulator_mode = false", "simulator_mode = true")
                        .replace("https://central.example.invalid", "http://127.0.0.1:9"))
        shutil.copy(Path(__file__).parent / "data/release_probe.py", root / "usr/local/lib/release_probe.py")
        etc = root / "etc/systemd/system"
        for unit, text in TEST_DROPINS.items():
            (etc / f"{unit}.d").mkdir(exist_ok=True)
            (etc / f"{unit}.d/zz-test.conf").write_text(f"[Service]\n{text}")
        for target, unit_path in (("graphical.target", "/lib/systemd/system/kiosk.service"),
                                  ("multi-user.target", "/lib/systemd/system/kiosk-update.path")):
            (etc / f"{target}.wants").mkdir(exist_ok=True)
            (etc / f"{target}.wants" / Path(unit_path).name).symlink_to(unit_path)
        boot = subprocess.Popen(
            ["systemd-nspawn", "--quiet", "--directory", str(root), "--boot", "--register=no", "--keep-unit",
             "--link-journal=no", "--console=pipe"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        timeline: list[str] = []
        t0 = time.monotonic()

        def mark(event: str) -> None:
            timeline.append(f"{time.monotonic() - t0:6.1f} s  {event}  state={json.dumps(_state(root))}")

        try:
            _wait(lambda: _starts(root)[-1:] == ["0.1.0"], 90, "the UI on 0.1.0", boot)
            mark("UI up on 0.1.0 (adopted package venv)")
            _request(root, "0.2.0")
            mark("central's update command for 0.2.0 written to the run directory")
            _wait(lambda: _state(root).get("pending") == "0.2.0", 180, "the switch to 0.2.0", boot)
            mark("switched: 0.2.0 pending")
            _wait(lambda: _state(root).get("good") == "0.2.0" and not _state(root).get("pending"), 120,
                  "0.2.0 confirmed", boot)
            mark("0.2.0 passed its health check: good")
            _request(root, "0.2.1")
            mark("update command for 0.2.1 (broken) written")
            _wait(lambda: "0.2.1" in _state(root).get("failed", []), 180, "the rollback of 0.2.1", boot)  # type: ignore[operator]
            mark("0.2.1 rolled back")
            _wait(lambda: _starts(root)[-1:] == ["0.2.0"], 60, "the UI back on 0.2.0", boot)
            mark("UI up again on 0.2.0")
            _request(root, "0.2.2")
            mark("update command for 0.2.2 (UI freezes after READY=1) written")
            _wait(lambda: "0.2.2" in _state(root).get("failed", []), 240, "the rollback of 0.2.2", boot)  # type: ignore[operator]
            mark("0.2.2 rolled back")
            _wait(lambda: _starts(root)[-1:] == ["0.2.0"], 60, "the UI back on 0.2.0", boot)
            mark("UI up again on 0.2.0")
            current = os.readlink(root / "opt/kiosk/current")
        finally:
            boot.terminate()
            try:
                boot.wait(timeout=30)
            except subprocess.TimeoutExpired:
                boot.kill()
                boot.wait()
            journal = subprocess.run(
                ["journalctl", "--no-pager", "-o", "short-monotonic", "-D", str(root / "var/log/journal")],
                capture_output=True, text=True, timeout=60, check=False).stdout
            (tmp_path.parent / "update-e2e-journal.txt").write_text(journal)
        starts = _starts(root)
        state = _state(root)

    transcript = "\n".join(timeline)
    interesting = [ln for ln in journal.splitlines()
                   if any(k in ln for k in ("kiosk-update", "sscard-kiosk-update", "update rolled back",
                                            "broken release", "kiosk.service: Main process exited",
                                            "Scheduled restart job"))]
    (tmp_path.parent / "update-e2e-transcript.txt").write_text(transcript + "\n\n" + "\n".join(interesting[-80:]))
    print(transcript)
    assert current == "releases/0.2.0"
    assert state["good"] == "0.2.0" and state["pending"] == "" and state["failed"] == ["0.2.1", "0.2.2"]
    assert str(state["last_result"]).startswith("rolled_back 0.2.2: crash_loop")
    assert starts[:2] == ["0.1.0", "0.2.0"]
    assert starts.count("0.2.1") == 3  # max_boots starts, then the boot helper switched back
    assert starts.count("0.2.2") == 3  # READY=1 each time, killed by the watchdog before its probation ended
    assert "kiosk.service: Watchdog timeout" in journal
    assert "ok 0.2.2" not in journal  # never marked good on the strength of READY=1 alone
    assert starts[-1] == "0.2.0"
