"""Start-up failures through the real CLI (issue 18, items 11 and 12): `kiosk run` and `kiosk sync`
share one start-up guard (kiosk/startup_guard.py). Each refusal is one line on stderr naming the
file and the fix, and a distinct exit code (sysexits.h, which systemd logs by name); never a
traceback. `kiosk sync` checks the secrets and disables core dumps like `kiosk run`."""

from __future__ import annotations

import contextlib
import os
import re
import resource
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kiosk.config import load_config
from kiosk.maintenance.auth import TechnicianStore
from kiosk.maintenance.roles import Role
from kiosk.queue_setup import open_queue
from kiosk.secrets_check import Secret, problem_with
from offline_queue import LinkMonitor, create_key_file
from tests.simulators import sim_devices_toml

ROOT = Path(__file__).resolve().parents[2]
# What each cause exits with (kiosk/startup_guard.py: Exit); systemd shows e.g. "status=78/CONFIG".
EXIT = {"config": 78, "secrets": 77, "data_dir": 73, "queue_key": 66, "queue_schema": 65, "queue_db": 74}


def _env() -> dict[str, str]:
    """As under systemd: no display, no Kivy settings from the test run, no notify socket."""
    drop = ("DISPLAY", "WAYLAND_DISPLAY", "NOTIFY_SOCKET", "WATCHDOG_USEC")
    return {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("KIVY_")}


def kiosk(command: str, config: str | Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run([sys.executable, "-m", "kiosk.cli", command, "--config", str(config)], cwd=ROOT,
                              env=_env(), capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"`kiosk {command}` did not refuse to start: it was still running after {timeout} s")


def write_config(tmp_path: Path, data_dir: Path, extra: str = "") -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(f'[kiosk]\ndata_dir = "{data_dir}"\nsimulator_mode = true\n'
                    f'[central]\nurl = "http://127.0.0.1:9"\nconnect_timeout_s = 0.2\n{extra}'
                    + sim_devices_toml(), encoding="utf-8")
    return path


def refused(proc: subprocess.CompletedProcess[str], command: str, cause: str, *names: str) -> str:
    """The one-line refusal: the cause's exit code, the named files, no traceback."""
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == EXIT[cause], proc.stderr[-2000:]
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    line = lines[0]
    assert line.startswith(f"kiosk {command}: refusing to start [{cause}, exit {EXIT[cause]}]")
    assert "Fix: " in line
    for name in names:
        assert name in line, line
    return line


@contextlib.contextmanager
def read_only(directory: Path) -> Iterator[None]:
    """``directory`` on a read-only mount (as under ProtectSystem=strict without ReadWritePaths=)."""
    if os.geteuid() != 0:
        directory.chmod(0o500)
        yield
        directory.chmod(0o700)
        return
    r = subprocess.run(["mount", "--bind", str(directory), str(directory)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.fail(f"cannot bind-mount a read-only directory here: {r.stderr}")
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(directory)], check=True, capture_output=True)
        yield
    finally:
        subprocess.run(["umount", "-l", str(directory)], check=False)


def test_each_cause_has_its_own_exit_code() -> None:
    from kiosk.startup_guard import Exit

    assert {e.name.lower(): int(e) for e in Exit} == EXIT
    assert len(set(EXIT.values())) == len(EXIT) and 0 not in EXIT.values() and 1 not in EXIT.values()


COMMANDS = pytest.mark.parametrize("command", ["run", "sync"])


@COMMANDS
def test_a_wrong_key_in_the_file(tmp_path: Path, command: str) -> None:
    cfg = write_config(tmp_path, tmp_path / "kiosk", "heartbeat_interval_s = 0\n")  # a heartbeat flood
    refused(kiosk(command, cfg), command, "config", "central.heartbeat_interval_s", str(cfg))


@COMMANDS
def test_dev_zero_as_the_configuration(command: str) -> None:
    line = refused(kiosk(command, "/dev/zero"), command, "config", "/dev/zero")
    assert "not a regular file" in line


@COMMANDS
def test_a_read_only_data_directory(tmp_path: Path, command: str) -> None:
    data = tmp_path / "kiosk"
    data.mkdir(mode=0o700)
    cfg = write_config(tmp_path, data)
    with read_only(data):
        line = refused(kiosk(command, cfg), command, "data_dir", str(data))
    assert "kiosk.data_dir" in line and "Read-only file system" in line


@COMMANDS
def test_a_data_directory_that_is_a_file(tmp_path: Path, command: str) -> None:
    data = tmp_path / "kiosk"
    data.write_text("not a directory")
    refused(kiosk(command, write_config(tmp_path, data)), command, "data_dir", str(data))


def _queue_with_items(tmp_path: Path) -> tuple[Path, Path]:
    data = tmp_path / "kiosk"
    cfg = write_config(tmp_path, data)
    outbox, _fwd, transport, _key = open_queue(load_config(cfg), LinkMonitor(), None)
    outbox.enqueue("POST", "/v1/_test/echo", b"{}", service="test")
    outbox.close()
    transport.close()
    return cfg, data


@COMMANDS
def test_a_missing_queue_key_with_items_waiting(tmp_path: Path, command: str) -> None:
    cfg, data = _queue_with_items(tmp_path)
    (data / "queue.key").unlink()
    line = refused(kiosk(command, cfg), command, "queue_key", str(data / "queue.key"), str(data / "queue.sqlite"))
    assert "1 queued item(s)" in line and "restore" in line
    assert not (data / "queue.key").exists()


@COMMANDS
def test_an_exposed_secret(tmp_path: Path, command: str) -> None:
    data = tmp_path / "kiosk"
    data.mkdir(mode=0o700)
    accounts = data / "technicians.json"
    TechnicianStore(accounts, n=2**10).add("T1001", Role.OUTLET_STAFF, "a long password")
    accounts.chmod(0o644)
    refused(kiosk(command, write_config(tmp_path, data)), command, "secrets", str(accounts), "chmod 600")


@COMMANDS
def test_a_queue_written_by_a_newer_release(tmp_path: Path, command: str) -> None:
    data = tmp_path / "kiosk"
    data.mkdir(mode=0o700)
    create_key_file(data / "queue.key")
    with contextlib.closing(sqlite3.connect(data / "queue.sqlite")) as conn:
        conn.execute("PRAGMA user_version = 999")
    line = refused(kiosk(command, write_config(tmp_path, data)), command, "queue_schema", str(data / "queue.sqlite"))
    assert "v999" in line


@COMMANDS
def test_a_queue_database_that_is_not_sqlite(tmp_path: Path, command: str) -> None:
    data = tmp_path / "kiosk"
    data.mkdir(mode=0o700)
    create_key_file(data / "queue.key")
    (data / "queue.sqlite").write_bytes(b"not a database " * 100)  # a damaged disk, a wrong restore
    line = refused(kiosk(command, write_config(tmp_path, data)), command, "queue_db", str(data / "queue.sqlite"))
    assert "file is not a database" in line


# ---- both entry points: no core dumps -------------------------------------------------------------
def _core_limit(pid: int) -> str | None:
    """The soft core-size limit of a running process (None once it has exited)."""
    try:
        text = Path(f"/proc/{pid}/limits").read_text()
    except OSError:
        return None
    m = re.search(r"^Max core file size\s+(\S+)", text, re.M)
    return m.group(1) if m else None


@COMMANDS
def test_the_running_kiosk_writes_no_core_dumps(tmp_path: Path, command: str) -> None:
    """The parent allows core dumps; the kiosk turns them off itself. (An in-process Runtime never
    lowers the limit, so this holds whatever tests ran before in this process.)"""
    _soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
    assert hard != 0, "cannot tell: this process may not allow core dumps to its children"
    allow_cores: Callable[[], None] = lambda: resource.setrlimit(resource.RLIMIT_CORE, (hard, hard))  # noqa: E731
    cfg = write_config(tmp_path, tmp_path / "kiosk")
    args = ["--screenshot", str(tmp_path / "shot.png"), "--exit-after", "60"] if command == "run" else []
    proc = subprocess.Popen([sys.executable, "-m", "kiosk.cli", command, "--config", str(cfg), *args], cwd=ROOT,
                            env=_env(), preexec_fn=allow_cores, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seen: list[str] = []
    try:
        deadline = time.monotonic() + 90
        while proc.poll() is None and time.monotonic() < deadline:
            limit = _core_limit(proc.pid)
            if limit is not None and limit not in seen:
                seen.append(limit)
            if limit == "0":
                break
            time.sleep(0.02)
        assert seen and seen[-1] == "0", f"`kiosk {command}` core limits seen: {seen}"
    finally:
        proc.terminate()
        proc.wait(30)


# ---- the book's secrets mode is the one the check accepts ----------------------------------------
BOOK = [ROOT / "README.md", ROOT / "docs" / "deployment.md", ROOT / "docs" / "security.md",
        ROOT / "packaging" / "kiosk.toml", ROOT / "packaging" / "debian" / "postinst",
        *sorted((ROOT / "systemd").rglob("*.*"))]
SECRET_LINE = re.compile(r"key[ _]files?|private key|client key|queue\.key|technicians\.json", re.I)
MODE = re.compile(r"\b(?:mode|chmod|install -m)\s+(0?[0-7]{3})\b")


def test_a_secret_installed_by_the_book_passes_the_check(tmp_path: Path) -> None:
    modes = {(path.name, m) for path in BOOK if path.is_file()
             for line in path.read_text(encoding="utf-8").splitlines() if SECRET_LINE.search(line)
             for m in MODE.findall(line)}
    assert modes, "the documents no longer say which mode a secret takes"
    for where, mode in sorted(modes):
        secret = tmp_path / f"{where}-{mode}.key"
        secret.write_text("secret")
        secret.chmod(int(mode, 8))
        assert problem_with(Secret("key file", secret, True)) is None, f"{where} says mode {mode}"
