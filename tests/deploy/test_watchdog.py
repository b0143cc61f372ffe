"""sd_notify client and UI watchdog, against a real AF_UNIX datagram socket."""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk import watchdog


@pytest.fixture
def notify_sock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[socket.socket]:
    path = tmp_path / "notify"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(2.0)
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    monkeypatch.delenv("WATCHDOG_USEC", raising=False)
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    yield sock
    sock.close()


def _recv(sock: socket.socket) -> str:
    return sock.recv(4096).decode("utf-8")


def test_messages_reach_the_socket(notify_sock: socket.socket) -> None:
    assert watchdog.ready("正在启动\nstep 2")
    assert _recv(notify_sock) == "READY=1\nSTATUS=正在启动 step 2"
    assert watchdog.watchdog_ping()
    assert _recv(notify_sock) == "WATCHDOG=1"
    assert watchdog.status("queue depth 3")
    assert _recv(notify_sock) == "STATUS=queue depth 3"
    assert watchdog.stopping()
    assert _recv(notify_sock) == "STOPPING=1"


def test_abstract_namespace_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    name = f"sscard-test-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(2.0)
        monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)
        assert watchdog.ready()
        assert _recv(sock) == "READY=1"


def test_no_op_without_systemd(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert watchdog.ready() is False
    assert watchdog.watchdog_ping() is False
    monkeypatch.setenv("NOTIFY_SOCKET", "relative/path")
    assert watchdog.notify("READY=1") is False


def test_missing_socket_is_not_fatal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "gone"))
    assert watchdog.watchdog_ping() is False


def test_interval_from_environment() -> None:
    pid, ppid = str(os.getpid()), str(os.getppid())
    assert watchdog.watchdog_interval_s({"WATCHDOG_USEC": "20000000"}) == 20.0
    assert watchdog.watchdog_interval_s({"WATCHDOG_USEC": "20000000", "WATCHDOG_PID": pid}) == 20.0
    # under cage the unit's main PID is the compositor, our parent
    assert watchdog.watchdog_interval_s({"WATCHDOG_USEC": "5000000", "WATCHDOG_PID": ppid}) == 5.0
    stranger = next(str(p) for p in (1, 2, 3) if str(p) not in (pid, ppid))  # pytest may be a child of PID 1
    assert watchdog.watchdog_interval_s({"WATCHDOG_USEC": "5000000", "WATCHDOG_PID": stranger}) is None
    assert watchdog.watchdog_interval_s({"WATCHDOG_USEC": "0"}) is None
    assert watchdog.watchdog_interval_s({"WATCHDOG_USEC": "x"}) is None
    assert watchdog.watchdog_interval_s({}) is None


def test_ui_watchdog_pings_only_while_ticking(notify_sock: socket.socket) -> None:
    now = [100.0]
    wd = watchdog.UiWatchdog(interval_s=20.0, clock=lambda: now[0])
    for _ in range(81):  # frames at 8 fps from t=0 to t=10 s
        wd.tick(0.125)
        now[0] += 0.125
    # one ping at start, then one per 5 s (interval/4)
    assert wd.pings == 3
    assert [_recv(notify_sock) for _ in range(3)] == ["WATCHDOG=1"] * 3
    assert not wd.stale()
    now[0] += 10.5  # the loop freezes for more than half the interval
    assert wd.stale()
    notify_sock.settimeout(0.05)
    with pytest.raises(TimeoutError):
        notify_sock.recv(4096)  # nothing is sent while frozen
    wd.tick(0.1)
    assert _recv(notify_sock) == "WATCHDOG=1"
    assert not wd.stale()


def test_ui_watchdog_disabled_without_interval(notify_sock: socket.socket) -> None:
    wd = watchdog.UiWatchdog()  # no WATCHDOG_USEC in the environment
    assert not wd.enabled
    wd.tick(0.1)
    assert wd.pings == 0
    assert not wd.stale()


def test_frozen_loop_in_a_real_process_stops_pinging(tmp_path: Path) -> None:
    """A child process ticks for 0.6 s, freezes for 0.8 s, then ticks again."""
    path = tmp_path / "notify"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(path))
        sock.settimeout(3.0)
        child = textwrap.dedent(
            """
            import time
            from kiosk.watchdog import UiWatchdog, ready
            ready()
            wd = UiWatchdog()
            end = time.monotonic() + 0.6
            while time.monotonic() < end:
                wd.tick(); time.sleep(0.01)
            time.sleep(0.8)  # frozen main loop
            wd.tick()
            """
        )
        env = dict(os.environ, NOTIFY_SOCKET=str(path), WATCHDOG_USEC="200000")
        env.pop("WATCHDOG_PID", None)
        proc = subprocess.Popen([sys.executable, "-c", child], env=env)
        assert _recv(sock) == "READY=1"
        stamps: list[float] = []
        while True:
            try:
                msg = _recv(sock)
            except TimeoutError:
                break
            assert msg == "WATCHDOG=1"
            stamps.append(time.monotonic())
            if len(stamps) > 3 and stamps[-1] - stamps[-2] > 0.5:
                break  # the ping after the freeze
        assert proc.wait(timeout=5) == 0
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert len(stamps) >= 6  # ~every 50 ms while ticking
    assert max(gaps[:-1]) < 0.2  # never longer than WatchdogSec while responsive
    assert gaps[-1] > 0.6  # nothing while frozen: systemd would have restarted it
