"""`kiosk tech add|list|unlock|remove`: provisioning into the 0600 account file, audited."""

from __future__ import annotations

import io
import stat
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.maintenance.auth import Authenticator, TechnicianStore
from offline_queue import create_key_file


def test_tech_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "kiosk"
    data.mkdir(mode=0o700)
    create_key_file(data / "queue.key")
    conf = tmp_path / "k.toml"
    conf.write_text(f'[kiosk]\ndata_dir = "{data}"\n', encoding="utf-8")
    monkeypatch.setattr("sys.stdin", io.StringIO("13572468\n"))
    assert main(["tech", "add", "--config", str(conf), "--id", "2001", "--role", "bank_admin",
                 "--password-stdin"]) == 0
    path = data / "technicians.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and "13572468" not in path.read_text()
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["tech", "add", "--config", str(conf), "--id", "2002", "--role", "bank_admin",
                 "--password-stdin"]) == 2
    assert Authenticator(TechnicianStore(path)).login_password("2001", "13572468").role.value == "bank_admin"
    assert main(["tech", "list", "--config", str(conf)]) == 0
    assert "2001" in capsys.readouterr().out
    assert main(["tech", "unlock", "--config", str(conf), "--id", "2001"]) == 0
    assert main(["tech", "remove", "--config", str(conf), "--id", "2001"]) == 0
    assert main(["tech", "remove", "--config", str(conf), "--id", "2001"]) == 3
    assert main(["audit", "verify", "--config", str(conf)]) == 0
    assert main(["audit", "show", "--config", str(conf)]) == 0
    shown = capsys.readouterr().out
    assert "tech.add" in shown and "tech.remove" in shown and "tech.unlock" in shown
