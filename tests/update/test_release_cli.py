"""`kiosk-release` end to end: init, build, publish, list, timestamp, rotate — and a kiosk follows along."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from kiosk.update.client import UpdateClient
from kiosk.update.fetcher import BundleFetcher
from kiosk.update.settings import UpdateSettings
from tests.update.conftest import BASE, make_tree, trusted_root_version


def release(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "central_sim.release.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=120)


def test_operator_workflow(tmp_path: Path) -> None:
    repo, keys = tmp_path / "repo", tmp_path / "offline-keys"
    out = release("--repo", repo, "--keys", keys, "init", "--targets-keys", "2", "--targets-threshold", "2")
    assert out.returncode == 0, out.stderr
    roles = json.loads(out.stdout)
    assert (roles["root"]["threshold"], len(roles["root"]["keyids"])) == (2, 3)
    assert (roles["targets"]["threshold"], len(roles["targets"]["keyids"])) == (2, 2)
    assert not (repo / "keys").exists()  # the keys went where the operator said
    assert release("--repo", repo, "--keys", keys, "export-root", tmp_path / "root.json").returncode == 0

    out = release("--repo", repo, "--keys", keys, "build", "--version", "1.1.0", "--tree",
                  make_tree(tmp_path, "1.1.0"), "--out", tmp_path / "dist")
    assert out.returncode == 0, out.stderr
    archive = Path(json.loads(out.stdout)["archive"])
    wrong = release("--repo", repo, "--keys", keys, "publish", "--version", "1.2.0", archive)
    assert wrong.returncode == 1 and "not '1.2.0'" in wrong.stderr
    assert release("--repo", repo, "--keys", keys, "publish", "--version", "1.1.0", archive).returncode == 0
    listed = json.loads(release("--repo", repo, "--keys", keys, "list").stdout)
    assert listed["releases/kiosk-1.1.0.tar.gz"]["version"] == "1.1.0"

    # One targets key short of the threshold: publishing is refused.
    victim = next((keys / "targets").glob("*.pem"))
    victim.rename(tmp_path / "away.pem")
    refused = release("--repo", repo, "--keys", keys, "publish", "--version", "1.1.0", archive)
    assert refused.returncode == 1 and "1 of the 2 required keys" in refused.stderr
    (tmp_path / "away.pem").rename(victim)

    assert release("--repo", repo, "--keys", keys, "timestamp").returncode == 0
    assert release("--repo", repo, "--keys", keys, "rotate", "snapshot").returncode == 0
    s = UpdateSettings(releases_root=str(tmp_path / "kiosk"), trusted_root=str(tmp_path / "root.json"), reserve_mb=0)
    c = UpdateClient(s, BASE, BundleFetcher(repo, BASE))
    assert c.check().version == "1.1.0"
    c.close()
    assert trusted_root_version(s) == 2
