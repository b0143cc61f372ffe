"""Apply survives a SIGKILL at every step: killed, then run again, it ends on a whole release.

The real `kiosk update apply` runs in a subprocess against a real TUF repository (a USB-bundle
layout in a temp dir) and is killed with SIGKILL at each named step (KIOSK_UPDATE_CRASH_AT).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from central_sim.release.artifact import build
from central_sim.release.repository import ReleaseRepository
from kiosk.update import releases
from kiosk.update.lifecycle import APPLY_STEPS, CRASH_ENV, Lifecycle
from kiosk.update.settings import UpdateSettings
from kiosk.update.state import read_state
from tests.update.conftest import BASE, make_tree, publish


def write_update_toml(path: Path, settings: UpdateSettings, bundle: Path) -> Path:
    path.write_text(
        f'releases_root = "{settings.releases_root}"\ntrusted_root = "{settings.trusted_root}"\n'
        f'repository_url = "{BASE}"\nbundle_dir = "{bundle}"\nreserve_mb = 0\n', encoding="utf-8")
    return path


def kiosk_update(args: list[str], update_toml: Path, crash_at: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != CRASH_ENV}
    if crash_at:
        env[CRASH_ENV] = crash_at
    return subprocess.run([sys.executable, "-m", "kiosk.cli", "update", *args, "--update-config", str(update_toml)],
                          capture_output=True, text=True, env=env, timeout=120)


def install_by_hand(settings: UpdateSettings, tmp: Path, version: str) -> None:
    """The release a technician installed: the first good one."""
    archive, _ = build(tmp / "dist-old", version, tree=make_tree(tmp / "old", version))
    releases.install(settings.root, archive, version)
    releases.switch(settings.root, version)
    Lifecycle(settings).reconcile()


def assert_whole_release(settings: UpdateSettings, allowed: set[str]) -> str:
    cur = releases.current_version(settings.root)
    assert cur in allowed
    target = settings.current_link.resolve()
    assert releases.is_complete(target)
    assert (target / "VERSION").read_text() == cur
    assert (target / "bin" / "app.py").is_file()
    return cur


@pytest.mark.parametrize("step", APPLY_STEPS)
def test_apply_killed_at_each_step_ends_old_or_new(step: str, repo: ReleaseRepository, settings: UpdateSettings,
                                                    tmp_path: Path) -> None:
    (tmp_path / "old").mkdir()
    install_by_hand(settings, tmp_path, "1.0.0")
    publish(repo, tmp_path, "1.1.0")
    toml = write_update_toml(tmp_path / "update.toml", settings, repo.dir)

    killed = kiosk_update(["apply", "--no-wait", "--no-restart"], toml, crash_at=step)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert_whole_release(settings, {"1.0.0", "1.1.0"})

    # Power came back: the boot helper runs before the UI starts; it must not break anything.
    boot = kiosk_update(["boot"], toml)
    assert boot.returncode == 0, boot.stderr
    cur = assert_whole_release(settings, {"1.0.0", "1.1.0"})
    st = read_state(settings.state_file)
    assert st.good == "1.0.0"
    assert st.pending in ("", cur) and (st.pending == "1.1.0") == (cur == "1.1.0")

    again = kiosk_update(["apply", "--no-wait", "--no-restart"], toml)
    assert again.returncode in (0, 3), again.stderr  # 3: the killed run had already switched
    assert assert_whole_release(settings, {"1.1.0"}) == "1.1.0"
    st = read_state(settings.state_file)
    assert (st.good, st.pending) == ("1.0.0", "1.1.0")
    assert not list(settings.releases_dir.glob(".*partial"))
    assert not (settings.root / ".current.new").exists()


def test_status_reports_releases(repo: ReleaseRepository, settings: UpdateSettings, tmp_path: Path) -> None:
    (tmp_path / "old").mkdir()
    install_by_hand(settings, tmp_path, "1.0.0")
    toml = write_update_toml(tmp_path / "update.toml", settings, repo.dir)
    out = kiosk_update(["status"], toml)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert (data["current"], data["good"], data["state"], data["installed"]) == ("1.0.0", "1.0.0", "good", ["1.0.0"])


def test_remote_request_is_applied_by_run_request(repo: ReleaseRepository, settings: UpdateSettings,
                                                  tmp_path: Path) -> None:
    from kiosk.update.remote import UpdateRequests

    (tmp_path / "old").mkdir()
    install_by_hand(settings, tmp_path, "1.0.0")
    publish(repo, tmp_path, "1.1.0")
    publish(repo, tmp_path, "1.2.0")
    toml = write_update_toml(tmp_path / "update.toml", settings, repo.dir)
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text(f'[kiosk]\ndata_dir = "{tmp_path / "data"}"\nrun_dir = "{tmp_path / "run"}"\n', encoding="utf-8")
    UpdateRequests(tmp_path / "run").post("cmd-1", "1.1.0")  # not the channel's newest: the central chose it
    out = kiosk_update(["run-request", "--config", str(cfg), "--no-wait", "--no-restart"], toml)
    assert out.returncode == 0, out.stderr
    assert releases.current_version(settings.root) == "1.1.0"
    assert UpdateRequests(tmp_path / "run").peek() is None
    assert kiosk_update(["run-request", "--config", str(cfg)], toml).returncode == 3  # nothing requested


def test_failed_remote_update_is_recorded_for_the_heartbeat(repo: ReleaseRepository, settings: UpdateSettings,
                                                            tmp_path: Path) -> None:
    from kiosk.update.remote import UpdateRequests

    (tmp_path / "old").mkdir()
    install_by_hand(settings, tmp_path, "1.0.0")
    toml = write_update_toml(tmp_path / "update.toml", settings, repo.dir)
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text(f'[kiosk]\ndata_dir = "{tmp_path / "data"}"\nrun_dir = "{tmp_path / "run"}"\n', encoding="utf-8")
    UpdateRequests(tmp_path / "run").post("cmd-2", "9.9.9")  # never published
    out = kiosk_update(["run-request", "--config", str(cfg), "--no-wait", "--no-restart"], toml)
    assert out.returncode == 1
    assert read_state(settings.state_file).last_result == "failed 9.9.9: no_such_release"
    assert releases.current_version(settings.root) == "1.0.0"


def test_adopt_makes_the_package_venv_the_first_release(settings: UpdateSettings, tmp_path: Path) -> None:
    venv = tmp_path / "opt-sscard-kiosk" / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(sys.executable)
    st = Lifecycle(settings).adopt("0.1.0", venv)
    assert (st.good, releases.current_version(settings.root)) == ("0.1.0", "0.1.0")
    assert (settings.current_link / "venv" / "bin" / "python").resolve() == Path(sys.executable).resolve()


def test_request_that_meets_no_link_is_kept_for_a_retry(repo: ReleaseRepository, settings: UpdateSettings,
                                                        tmp_path: Path) -> None:
    from kiosk.update.remote import UpdateRequests

    (tmp_path / "old").mkdir()
    install_by_hand(settings, tmp_path, "1.0.0")
    toml = write_update_toml(tmp_path / "update.toml", settings, tmp_path / "usb-not-inserted")
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text(f'[kiosk]\ndata_dir = "{tmp_path / "data"}"\nrun_dir = "{tmp_path / "run"}"\n', encoding="utf-8")
    UpdateRequests(tmp_path / "run").post("cmd-3", "1.1.0")
    out = kiosk_update(["run-request", "--config", str(cfg), "--no-wait", "--no-restart", "--retry-after", "0"], toml)
    assert out.returncode == 3, out.stderr
    assert UpdateRequests(tmp_path / "run").peek() == {"id": "cmd-3", "version": "1.1.0"}
    last = read_state(settings.state_file).last_result
    assert last == "deferred 1.1.0: repository_unreachable"  # the rollout does not count it as a failure
