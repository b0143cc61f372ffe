"""Asking for simulators by name: the configuration's defaults are production's (real drivers,
simulator_mode = false), so every test kiosk that runs on simulators says so."""

from __future__ import annotations

from collections.abc import Iterable

from kiosk.config import PRODUCTION_DRIVERS


def sim_devices_toml(*, skip: Iterable[str] = ()) -> str:
    """A ``[devices.NAME] driver = "sim"`` table for every device but ``skip`` (a test sets those)."""
    return "".join(f'\n[devices.{name}]\ndriver = "sim"\n' for name in PRODUCTION_DRIVERS if name not in set(skip))
