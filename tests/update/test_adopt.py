"""First install: `kiosk update adopt` makes the installed package the first release.

The real CLI in a subprocess, a package-like venv (a dist-info naming its version), and a real
TUF repository: after the adoption the first signed update switches, and a rollback lands back
on the adopted package.
"""

from __future__ import annotations

import sys
from pathlib import Path

from central_sim.release.repository import ReleaseRepository
from kiosk.update import releases
from kiosk.update.settings import UpdateSettings
from kiosk.update.state import read_state
from tests.update.conftest import publish
from tests.update.test_apply_kill import kiosk_update, write_update_toml


def package_venv(tmp: Path, version: str) -> Path:
    """What the .deb installs: /opt/sscard-kiosk/venv with the kiosk's dist-info."""
    venv = tmp / "opt-sscard-kiosk" / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(sys.executable)
    info = venv / f"lib/python3.11/site-packages/sscard_kiosk-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: sscard-kiosk\nVersion: {version}\n")
    return venv


def test_adopt_takes_the_installed_version_and_the_first_update_rolls_back_to_it(
        repo: ReleaseRepository, settings: UpdateSettings, tmp_path: Path) -> None:
    venv = package_venv(tmp_path, "0.1.0")
    publish(repo, tmp_path, "0.2.0")
    toml = write_update_toml(tmp_path / "update.toml", settings, repo.dir)

    out = kiosk_update(["adopt", "--venv", str(venv)], toml)  # no --version: the package's own
    assert out.returncode == 0, out.stderr
    assert releases.current_version(settings.root) == "0.1.0"
    assert (settings.current_link / "venv").resolve() == venv.resolve()
    assert read_state(settings.state_file).good == "0.1.0"
    again = kiosk_update(["adopt", "--venv", str(venv)], toml)  # postinst on a reinstall: nothing moves
    assert again.returncode == 0, again.stderr
    assert releases.current_version(settings.root) == "0.1.0"

    out = kiosk_update(["apply", "--no-wait", "--no-restart"], toml)
    assert out.returncode == 0, out.stderr
    st = read_state(settings.state_file)
    assert (releases.current_version(settings.root), st.pending, st.good) == ("0.2.0", "0.2.0", "0.1.0")

    out = kiosk_update(["rollback", "--reason", "test"], toml)
    assert out.returncode == 0, out.stderr
    assert releases.current_version(settings.root) == "0.1.0"
    assert (settings.current_link / "venv" / "bin" / "python").resolve() == Path(sys.executable).resolve()
    assert read_state(settings.state_file).failed == ["0.2.0"]


def test_adopt_without_an_installed_package_names_what_is_missing(settings: UpdateSettings, repo: ReleaseRepository,
                                                                 tmp_path: Path) -> None:
    venv = tmp_path / "bare-venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(sys.executable)
    out = kiosk_update(["adopt", "--venv", str(venv)], write_update_toml(tmp_path / "u.toml", settings, repo.dir))
    assert out.returncode == 1
    assert f"no sscard_kiosk installation in {venv}: give --version" in out.stderr
    assert releases.current_version(settings.root) == ""
