"""The one plug-in point to the development central (distribution sscard-kiosk-dev).

The kiosk never imports ``central_sim`` (an import-linter contract checks it): the demo's
embedded central, ``kiosk central-sim`` and the seeded demo citizens are looked up as
entry points of the group below, which only the development distribution provides
(central_sim/pyproject.toml). An appliance built from the kiosk's own wheel has none, and
says so in both languages instead of failing with an ImportError deep in a stack.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any, Protocol, cast

GROUP = "sscard_kiosk.dev_central"


class DevCentralMissing(RuntimeError):
    """The development distribution is not installed (or lacks the named entry point)."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"参考中心服务未安装（开发包 sscard-kiosk-dev，入口 {GROUP}:{name}），请用 make setup 安装 / "
            f"the reference central is not installed (development package sscard-kiosk-dev, "
            f"entry point {GROUP}:{name}); install it with make setup")
        self.name = name


class RunningCentral(Protocol):
    url: str

    def stop(self) -> None: ...


def load(name: str) -> Callable[..., Any]:
    """The entry point `name` of the group, loaded; DevCentralMissing if no distribution offers it."""
    found = entry_points(group=GROUP, name=name)
    if not found:
        raise DevCentralMissing(name)
    return cast(Callable[..., Any], next(iter(found)).load())


def serve_in_thread(db_path: str, *, host: str, port: int) -> RunningCentral:
    """Start the reference central on host:port in a background thread (the demo's embedded central)."""
    return cast(RunningCentral, load("serve_in_thread")(db_path, host=host, port=port))


def run_cli(argv: list[str]) -> int:
    """The reference central's own command line (`kiosk central-sim ...`)."""
    return int(load("cli")(argv))


def seed_citizen(key: str, today: dt.date | None = None) -> dict[str, Any]:
    """One of the central's seeded citizens, for simulator mode and the demo's scenarios."""
    return cast(dict[str, Any], load("seed_citizen")(key, today))
