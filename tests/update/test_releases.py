"""Release archives are unpacked only inside their release directory; a venv's interpreter link is kept."""

from __future__ import annotations

import io
import json
import os
import tarfile
from pathlib import Path

import pytest

from central_sim.release.artifact import build
from kiosk.update import releases
from tests.update.conftest import make_tree


def test_venv_interpreter_link_to_the_system_python_is_kept(tmp_path: Path) -> None:
    tree = make_tree(tmp_path, "1.0.0")
    (tree / "venv" / "bin").mkdir(parents=True)
    os.symlink("/usr/bin/python3", tree / "venv" / "bin" / "python")  # what build_deb.py's venv holds
    (tree / "venv" / "bin" / "kiosk").write_text("#!/opt/sscard-kiosk/venv/bin/python\nprint('hi')\n")
    archive, _ = build(tmp_path / "dist", "1.0.0", tree=tree, relocate_from="/opt/sscard-kiosk")
    rel = releases.install(tmp_path / "root", archive, "1.0.0")
    assert os.readlink(rel / "venv" / "bin" / "python") == "/usr/bin/python3"
    assert (rel / "venv" / "bin" / "kiosk").read_text().startswith(f"#!{rel}/venv/bin/python\n")


def _archive(tmp: Path, version: str, add: list[tarfile.TarInfo]) -> Path:
    path = tmp / f"kiosk-{version}.tar"
    with tarfile.open(path, "w") as tar:
        manifest = json.dumps({"format": 1, "version": version, "install": "tree"}).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(manifest)
        tar.addfile(info, io.BytesIO(manifest))
        for m in add:
            tar.addfile(m, io.BytesIO(b"x" * m.size) if m.isfile() else None)
    return path


def _member(name: str, kind: bytes = tarfile.REGTYPE, target: str = "") -> tarfile.TarInfo:
    m = tarfile.TarInfo(name)
    m.type = kind
    m.linkname = target
    m.size = 1 if kind == tarfile.REGTYPE else 0
    return m


@pytest.mark.parametrize("members", [
    [_member("payload/../../escaped")],
    [_member("/payload/abs")],
    [_member("payload/dev", tarfile.CHRTYPE)],
    [_member("payload/hard", tarfile.LNKTYPE, "payload/x")],
    [_member("payload/out", tarfile.SYMTYPE, "/etc"), _member("payload/out/passwd")],
], ids=["dotdot", "absolute", "device", "hardlink", "through-symlink"])
def test_unsafe_archive_members_are_refused(tmp_path: Path, members: list[tarfile.TarInfo]) -> None:
    archive = _archive(tmp_path, "6.6.6", [_member("payload", tarfile.DIRTYPE), *members])
    with pytest.raises(releases.ReleaseError):
        releases.install(tmp_path / "root", archive, "6.6.6")
    assert releases.installed(tmp_path / "root") == []
    assert not (tmp_path / "escaped").exists()


def test_setid_bits_are_dropped(tmp_path: Path) -> None:
    m = _member("payload/tool")
    m.mode = 0o4755
    archive = _archive(tmp_path, "1.0.0", [_member("payload", tarfile.DIRTYPE), m])
    rel = releases.install(tmp_path / "root", archive, "1.0.0")
    assert (rel / "tool").stat().st_mode & 0o7777 == 0o755
