"""A pending release that crash-loops, or fails its health check, rolls back by itself."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from central_sim.release.artifact import build
from central_sim.release.repository import ReleaseRepository
from kiosk.update import releases
from kiosk.update.lifecycle import Lifecycle
from kiosk.update.settings import UpdateSettings
from kiosk.update.state import read_state
from tests.update.conftest import make_tree
from tests.update.test_apply_kill import install_by_hand, kiosk_update, write_update_toml

# The release's "UI": it writes the state file the running kiosk publishes, then exits with
# the code it was built with (a crash when non-zero).
APP = """import json, sys, time
from pathlib import Path
run = Path(sys.argv[1]); run.mkdir(parents=True, exist_ok=True)
(run / "ui-state.json").write_text(json.dumps({{"mode": "in_service", "in_transaction": False,
    "devices": {devices}, "written_at": time.time()}}))
sys.exit({code})
"""


def apply_release(settings: UpdateSettings, tmp: Path, version: str, *, code: int = 0,
                  devices: str = '{"card_reader": {"state": "ok"}}') -> None:
    tree = make_tree(tmp / version, version, app=APP.format(code=code, devices=devices))
    archive, _ = build(tmp / "dist", version, tree=tree)
    Lifecycle(settings).apply(archive, version)


def start_ui(settings: UpdateSettings, toml: Path, run_dir: Path) -> tuple[str, int]:
    """What systemd does on each (re)start of kiosk.service: ExecStartPre boot helper, then ExecStart."""
    boot = kiosk_update(["boot"], toml)
    assert boot.returncode == 0, boot.stderr
    app = settings.current_link / "bin" / "app.py"  # resolved at exec time, after ExecStartPre
    rc = subprocess.run([sys.executable, str(app), str(run_dir)], timeout=60).returncode
    return releases.current_version(settings.root), rc


def test_crash_looping_release_rolls_back_to_the_good_one(repo: ReleaseRepository, settings: UpdateSettings,
                                                          tmp_path: Path) -> None:
    (tmp_path / "old").mkdir()
    install_by_hand(settings, tmp_path, "1.0.0")
    toml = write_update_toml(tmp_path / "update.toml", settings, repo.dir)
    apply_release(settings, tmp_path, "1.1.0", code=1)
    runs = [start_ui(settings, toml, tmp_path / "run") for _ in range(settings.max_boots + 1)]
    assert runs == [("1.1.0", 1)] * settings.max_boots + [("1.0.0", 0)]
    st = read_state(settings.state_file)
    assert (st.good, st.pending, st.failed) == ("1.0.0", "", ["1.1.0"])
    assert st.last_result.startswith("rolled_back 1.1.0: crash_loop")
    # Later starts stay on the good release, and the failed one is not applied again.
    assert start_ui(settings, toml, tmp_path / "run") == ("1.0.0", 0)


def test_release_failing_its_health_check_rolls_back(repo: ReleaseRepository, settings: UpdateSettings,
                                                     tmp_path: Path) -> None:
    (tmp_path / "old").mkdir()
    install_by_hand(settings, tmp_path, "1.0.0")
    toml = write_update_toml(tmp_path / "update.toml", settings, repo.dir)
    apply_release(settings, tmp_path, "1.1.0", devices='{"card_reader": {"state": "fault"}}')
    run_dir, data_dir = tmp_path / "run", tmp_path / "data"
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text(f'[kiosk]\ndata_dir = "{data_dir}"\nrun_dir = "{run_dir}"\n'
                   '[central]\nurl = "http://127.0.0.1:9"\nconnect_timeout_s = 0.2\n', encoding="utf-8")
    assert start_ui(settings, toml, run_dir) == ("1.1.0", 0)
    out = kiosk_update(["confirm", "--config", str(cfg), "--probation", "0", "--no-restart"], toml)
    assert out.returncode == 1, out.stderr
    assert json.loads(out.stdout)["state"] == "rolled_back"
    st = read_state(settings.state_file)
    assert releases.current_version(settings.root) == "1.0.0"
    assert st.failed == ["1.1.0"] and "device card_reader fault" in st.last_result


def test_healthy_release_is_marked_good_only_after_its_check(repo: ReleaseRepository, settings: UpdateSettings,
                                                             tmp_path: Path) -> None:
    (tmp_path / "old").mkdir()
    install_by_hand(settings, tmp_path, "1.0.0")
    toml = write_update_toml(tmp_path / "update.toml", settings, repo.dir)
    apply_release(settings, tmp_path, "1.1.0")
    run_dir = tmp_path / "run"
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text(f'[kiosk]\ndata_dir = "{tmp_path / "data"}"\nrun_dir = "{run_dir}"\n'
                   '[central]\nurl = "http://127.0.0.1:9"\nconnect_timeout_s = 0.2\n', encoding="utf-8")
    # Before the UI is up the check fails (no fresh state): it must not be marked good.
    assert read_state(settings.state_file).pending == "1.1.0"
    assert start_ui(settings, toml, run_dir) == ("1.1.0", 0)
    out = kiosk_update(["confirm", "--config", str(cfg), "--probation", "0", "--no-restart"], toml)
    assert out.returncode == 0, out.stderr
    st = read_state(settings.state_file)
    assert (st.good, st.pending, st.last_result) == ("1.1.0", "", "ok 1.1.0")
    # The good release survives further starts: no boot counting once it is good.
    for _ in range(settings.max_boots + 1):
        assert start_ui(settings, toml, run_dir) == ("1.1.0", 0)


def test_confirm_without_ui_rolls_back(repo: ReleaseRepository, settings: UpdateSettings, tmp_path: Path) -> None:
    (tmp_path / "old").mkdir()
    install_by_hand(settings, tmp_path, "1.0.0")
    toml = write_update_toml(tmp_path / "update.toml", settings, repo.dir)
    apply_release(settings, tmp_path, "1.1.0")
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text(f'[kiosk]\ndata_dir = "{tmp_path / "data"}"\nrun_dir = "{tmp_path / "run"}"\n'
                   '[central]\nurl = "http://127.0.0.1:9"\nconnect_timeout_s = 0.2\n', encoding="utf-8")
    out = kiosk_update(["confirm", "--config", str(cfg), "--probation", "0", "--no-restart"], toml)
    assert out.returncode == 1
    assert "UI not up" in read_state(settings.state_file).last_result
    assert releases.current_version(settings.root) == "1.0.0"
