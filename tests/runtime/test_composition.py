"""The runtime's parts: no import cycle with the maintenance service, one registry of remote
commands for both the heartbeat and the UI spool, one restart, and the mode's allowed moves."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from kiosk.central.heartbeat import HeartbeatSender
from kiosk.command_spool import CommandSpool
from kiosk.mode import Mode, ModeMachine
from kiosk.remote_commands import RemoteCommands, Restarter
from kiosk.sync import UI_COMMANDS

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


def test_the_maintenance_package_never_imports_the_runtime() -> None:
    offenders = [p.name for p in (ROOT / "kiosk" / "maintenance").glob("*.py")
                 if {"kiosk.runtime", "kiosk.compose"} & _imports(p)]
    assert offenders == []


def test_the_split_parts_do_not_import_the_composition_root() -> None:
    parts = ["mode", "supervision", "link_heartbeat", "remote_commands"]
    offenders = [p for p in parts if "kiosk.runtime" in _imports(ROOT / "kiosk" / f"{p}.py")]
    assert offenders == []


def _commands() -> tuple[ModeMachine, Restarter, list[str], RemoteCommands]:
    modes, restarter, stops = ModeMachine(), Restarter(), []
    restarter.handlers.append(lambda: stops.append("stop"))
    commands = RemoteCommands(modes=modes, reload_config=lambda: "reloaded", restarter=restarter,
                              self_tests=lambda: f"tested in {modes.mode.value}", upload_stock_ledger=lambda: "queued")
    return modes, restarter, stops, commands


def test_one_registry_serves_every_command_sync_hands_to_the_ui() -> None:
    *_, commands = _commands()
    assert set(commands.handlers) == set(UI_COMMANDS)


def test_the_heartbeat_gets_the_same_handlers_as_the_spool(tmp_path: Path) -> None:
    *_, commands = _commands()
    hb = HeartbeatSender(None, dict, tmp_path / "heartbeat.seq")  # not started: no central needed
    commands.attach(hb)
    assert hb.handlers == commands.handlers


def test_spooled_commands_run_and_report(tmp_path: Path) -> None:
    modes, restarter, stops, commands = _commands()
    spool = CommandSpool(tmp_path)
    spool.post({"id": "c1", "type": "set_mode", "mode": "out_of_service", "message": "请到柜台\x07办理"})
    spool.post({"id": "c2", "type": "set_mode", "mode": "starting"})
    spool.post({"id": "c3", "type": "reload_config"})
    spool.post({"id": "c4", "type": "restart_app"})
    spool.post({"id": "c5", "type": "no_such_command"})
    commands.run_spool(spool)
    outcomes = {o["id"]: (o["ok"], o["message"]) for o in spool.outcomes()}
    assert outcomes == {
        "c1": (True, "mode=out_of_service"),
        "c2": (False, "ValueError"),  # nothing returns the kiosk to starting
        "c3": (True, "reloaded"),
        "c4": (True, "restart scheduled"),
        "c5": (False, "ValueError"),
    }
    assert modes.mode is Mode.OUT_OF_SERVICE and "\x07" not in modes.message
    assert restarter.requested and stops == ["stop"]


def _now(modes: ModeMachine) -> Mode:
    return modes.mode


def test_mode_moves() -> None:
    changes: list[Mode] = []
    modes = ModeMachine(on_change=lambda: changes.append(modes.mode))
    assert _now(modes) is Mode.STARTING and not modes.may_enter_maintenance()
    modes.started()
    assert _now(modes) is Mode.IN_SERVICE and modes.may_enter_maintenance()
    modes.set(Mode.MAINTENANCE, "maintenance")
    assert not modes.may_enter_maintenance()
    modes.started()  # start-up does not undo a later move
    assert _now(modes) is Mode.MAINTENANCE
    with pytest.raises(ValueError):
        modes.set(Mode.STARTING)
    modes.set(Mode.OUT_OF_SERVICE, "x")
    assert changes == [Mode.MAINTENANCE, Mode.OUT_OF_SERVICE] and modes.may_enter_maintenance()
