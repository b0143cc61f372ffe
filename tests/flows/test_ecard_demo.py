"""The demo's way to sign in with an e-card: `kiosk sim show-ecard CITIZEN` asks the reference
central's test hook for a code (as the citizen's app would) and shows it to the simulated scanner
of a running kiosk, through the simulator-control socket."""

from __future__ import annotations

import argparse

import pytest

import kiosk.config
from central_sim.server import ServerHandle
from kiosk.domain.services import ServiceId
from kiosk.flows.base import End
from kiosk.runtime import Runtime
from kiosk.simctl import SimControlServer, _cmd
from tests.flows.conftest import Driver


def sim_command(monkeypatch: pytest.MonkeyPatch, runtime: Runtime, command: str, **args: object) -> int:
    """`kiosk sim COMMAND …` against the running kiosk's configuration."""
    monkeypatch.setattr(kiosk.config, "load_config", lambda _path: runtime.cfg)
    return _cmd(argparse.Namespace(sim_command=command, config=None, **args))


def test_show_ecard_signs_the_citizen_in(runtime: Runtime, central: ServerHandle, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    server = SimControlServer(runtime.cfg.run_path("sim.sock"), runtime.devices)
    server.start()
    try:
        d = Driver(runtime, ServiceId.ECARD_SIGN_IN)
        d.wait("scan_ecard")
        assert sim_command(monkeypatch, runtime, "unreadable-code") == 0
        d.wait("scan_ecard", where=lambda v: v.message == "prompt.ecard_unreadable")
        assert sim_command(monkeypatch, runtime, "show-ecard", citizen="adult_active_card") == 0
        menu = d.wait("ecard_services")
        assert menu.params["name"].startswith("林")
        d.send("cancel")
        assert d.end()[1].end is End.CANCELLED
    finally:
        server.stop()
    assert "ESSC1" not in capsys.readouterr().out  # the code is never printed
