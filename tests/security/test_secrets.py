"""The kiosk refuses to start when a secret is readable by others or owned by someone else."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.config import Config, load_config, simulated
from kiosk.maintenance.auth import TechnicianStore
from kiosk.maintenance.roles import Role
from kiosk.runtime import Runtime
from kiosk.secrets_check import Secret, SecretsError, check_secrets, problem_with


def _cfg(tmp_path: Path, key_file: str = "") -> Config:
    cfg = simulated(load_config(None))
    return dataclasses.replace(cfg, kiosk=dataclasses.replace(cfg.kiosk, data_dir=str(tmp_path / "kiosk")),
                               central=dataclasses.replace(cfg.central, url="http://127.0.0.1:9",
                                                                   key_file=key_file))


def test_demo_runtime_starts_with_its_own_0600_key(tmp_path: Path) -> None:
    # (no core dumps: the start-up guard of `kiosk run`/`kiosk sync`, see
    # tests/e2e/test_startup_failures.py::test_the_running_kiosk_writes_no_core_dumps)
    rt = Runtime(_cfg(tmp_path))
    try:
        rt.start()
        assert check_secrets(rt.cfg) == []
    finally:
        rt.stop()


@pytest.mark.parametrize("which", ["queue_key", "technicians", "client_key_mode", "client_key_missing"])
def test_refuses_to_start_with_an_exposed_secret(tmp_path: Path, which: str) -> None:
    client_key = tmp_path / "client.key"
    if which.startswith("client"):  # present before the kiosk starts: refused before the queue opens
        cfg = _cfg(tmp_path, key_file=str(client_key))
        if which == "client_key_mode":
            client_key.write_text("-----BEGIN PRIVATE KEY-----\n")
            client_key.chmod(0o644)
        with pytest.raises(SecretsError) as e:
            Runtime(cfg)
        assert str(client_key) in str(e.value)
        assert ("must be 0600" in str(e.value)) or ("missing" in str(e.value))
        return
    cfg = _cfg(tmp_path)
    rt = Runtime(cfg)  # creates the demo queue key (0600); then someone loosens a secret
    data = Path(cfg.kiosk.data_dir)
    target = {"queue_key": data / "queue.key", "technicians": data / "technicians.json"}[which]
    if which == "technicians":
        TechnicianStore(target, n=2**10).add("T1001", Role.OUTLET_STAFF, "a long password")
    target.chmod(0o640)
    try:
        with pytest.raises(SecretsError) as e:
            rt.start()
        assert str(target) in str(e.value) and "must be 0600" in str(e.value)
    finally:
        rt.stop()


def test_owner_is_checked(tmp_path: Path) -> None:
    f = tmp_path / "k"
    f.write_text("x")
    f.chmod(0o600)
    assert problem_with(Secret("key", f, True)) is None
    problem = problem_with(Secret("key", f, True), uid=os.geteuid() + 1)
    assert problem is not None and "owned by uid" in problem
    link = tmp_path / "link"
    link.symlink_to(f)
    assert "not a regular file" in (problem_with(Secret("key", link, True)) or "")


def test_secrets_check_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "kiosk"
    data.mkdir(mode=0o700)
    (tmp_path / "k.toml").write_text(f'[kiosk]\ndata_dir = "{data}"\n', encoding="utf-8")
    assert main(["secrets", "check", "--config", str(tmp_path / "k.toml")]) == 1  # no queue key yet
    assert "missing" in capsys.readouterr().err
    assert main(["queue", "init-key", "--config", str(tmp_path / "k.toml")]) == 0
    assert main(["secrets", "check", "--config", str(tmp_path / "k.toml")]) == 0


def test_a_missing_queue_key_says_how_to_create_it(tmp_path: Path) -> None:
    """In production the secrets check meets a missing key first (exit 77): chmod cannot help, init-key does."""
    base = load_config(None)
    cfg = dataclasses.replace(base, kiosk=dataclasses.replace(base.kiosk, data_dir=str(tmp_path / "kiosk")))
    key = tmp_path / "kiosk" / "queue.key"
    [problem] = check_secrets(cfg)
    assert f"{key} is missing" in problem and f"kiosk queue init-key --key {key}" in problem
    assert "backup" in problem  # a lost key with items waiting is restored, not replaced
    assert "init-key" not in (problem_with(Secret("client key", tmp_path / "client.key", True)) or "")


def test_kiosk_run_refuses_with_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "kiosk"
    data.mkdir(mode=0o700)
    (tmp_path / "k.toml").write_text(f'[kiosk]\ndata_dir = "{data}"\n', encoding="utf-8")
    assert main(["queue", "init-key", "--config", str(tmp_path / "k.toml")]) == 0
    (data / "queue.key").chmod(0o644)
    with pytest.raises(SecretsError):  # before the queue even opens the key
        Runtime(load_config(tmp_path / "k.toml"))
    capsys.readouterr()
    assert main(["secrets", "check", "--config", str(tmp_path / "k.toml")]) == 1
    assert "chmod 600" in capsys.readouterr().err
