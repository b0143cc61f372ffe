"""Releases side by side under ``<root>/releases/<version>``, and the atomic ``current`` link.

A release directory appears only complete: it is unpacked and installed under a hidden name,
marked with ``.complete`` and renamed into place. ``current`` is switched by creating a new
symlink beside it and renaming it over the old one (rename(2) is atomic), so at every instant
``current`` names one whole release. systemd runs ``<root>/current/venv/bin/kiosk``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

from hal.atomic_file import fsync_dir, replace_path, write_atomic

COMPLETE = ".complete"
VERSION_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$")


class ReleaseError(Exception):
    pass


def check_version(version: str) -> str:
    if not VERSION_RE.match(version) or ".." in version:
        raise ReleaseError(f"not a release version: {version!r}")
    return version


def is_complete(release_dir: Path) -> bool:
    return (release_dir / COMPLETE).is_file()


def current_version(root: Path) -> str:
    """The release ``current`` points at ("" when there is no link yet)."""
    try:
        target = os.readlink(root / "current")
    except OSError:
        return ""
    return Path(target).name


def installed(root: Path) -> list[str]:
    rel = root / "releases"
    return sorted(p.name for p in rel.iterdir() if p.is_dir() and is_complete(p)) if rel.is_dir() else []


def read_manifest(archive: Path) -> dict[str, Any]:
    with tarfile.open(archive) as tar:
        member = tar.extractfile("manifest.json")
        if member is None:
            raise ReleaseError("the archive has no manifest")
        manifest: dict[str, Any] = json.load(member)
    return manifest


def install(root: Path, archive: Path, version: str, *, crash_point: Any = None) -> Path:
    """Unpack and install ``archive`` as release ``version``; returns its directory (idempotent)."""
    check_version(version)
    releases = root / "releases"
    final = releases / version
    if is_complete(final):
        return final
    releases.mkdir(parents=True, exist_ok=True)
    work = releases / f".{version}.partial"
    shutil.rmtree(work, ignore_errors=True)  # what a killed earlier attempt left
    if final.exists():
        shutil.rmtree(final)  # an incomplete directory can only be our own leftover
    work.mkdir()
    manifest = read_manifest(archive)
    if manifest.get("version") != version:
        raise ReleaseError(f"archive is release {manifest.get('version')!r}, not {version!r}")
    with tarfile.open(archive) as tar:
        members = _safe_members(tar)
        # Checked above; "fully_trusted" only silences the 3.12+ default-filter warning (Debian 12's
        # 3.11.2 has no filter argument, and the "data" filter would refuse the venv's
        # bin/python -> /usr/bin/python3.11 link).
        extra = {"filter": "fully_trusted"} if hasattr(tarfile, "fully_trusted_filter") else {}
        tar.extractall(work, members=members, **extra)  # type: ignore[arg-type]
    if crash_point is not None:
        crash_point("unpacked")
    payload = work / "payload"
    kind = manifest.get("install", "tree")
    if kind == "wheels":
        _venv_from_wheels(payload, work / "venv", manifest.get("wheels", []))
    elif manifest.get("relocate_from"):
        _relocate(payload, str(manifest["relocate_from"]), str(final))
    if kind == "wheels":
        replace_path(payload, work / "wheels")
    else:
        for entry in payload.iterdir():
            replace_path(entry, work / entry.name)
        payload.rmdir()
    # 0644: the release's files are read by the unprivileged kiosk user that runs it.
    write_atomic(work / "manifest.json", json.dumps(manifest, sort_keys=True), mode=0o644)
    _fsync_tree(work)
    write_atomic(work / COMPLETE, version, mode=0o644)  # last: marks the directory whole
    replace_path(work, final)
    return final


def _safe_members(tar: tarfile.TarFile) -> list[tarfile.TarInfo]:
    """The payload's members, refusing any that could write outside the release directory.

    Relative names without ``..``; regular files, directories and symlinks only (a symlink may
    point anywhere, e.g. the venv's interpreter, but nothing is extracted through one); no
    set-id bits.
    """
    out: list[tarfile.TarInfo] = []
    links: set[str] = set()
    for m in tar.getmembers():
        if m.name == "manifest.json":
            continue
        parts = Path(m.name).parts
        if parts[0] != "payload":
            raise ReleaseError(f"unexpected path in the archive: {m.name!r}")
        if m.name.startswith("/") or ".." in parts:
            raise ReleaseError(f"unsafe path in the archive: {m.name!r}")
        if not (m.isfile() or m.isdir() or m.issym()):
            raise ReleaseError(f"unsupported member type in the archive: {m.name!r}")
        if any("/".join(parts[:i]) in links for i in range(1, len(parts))):
            raise ReleaseError(f"archive member below a symlink: {m.name!r}")
        if m.issym():
            links.add("/".join(parts))
        m.mode &= 0o777
        out.append(m)
    return out


PACKAGE_DIST = "sscard_kiosk"  # the kiosk distribution's dist-info name (pyproject: sscard-kiosk)


def installed_version(venv: Path) -> str:
    """The kiosk distribution's version installed in ``venv`` (from its dist-info, not the
    running interpreter: the technician may adopt a venv other than the one running this)."""
    for meta in sorted(venv.glob(f"lib/python3*/site-packages/{PACKAGE_DIST}-*.dist-info/METADATA")):
        for line in meta.read_text(encoding="utf-8").splitlines():
            if line.startswith("Version:"):
                return check_version(line.split(":", 1)[1].strip())
    raise ReleaseError(f"no {PACKAGE_DIST} installation in {venv}: give --version")


def adopt(root: Path, version: str, venv: Path) -> Path:
    """A release directory whose ``venv`` is a link to an existing venv (the .deb's own)."""
    final = root / "releases" / check_version(version)
    if is_complete(final):
        return final
    if not (venv / "bin" / "python").exists():
        raise ReleaseError(f"{venv} is not a virtualenv")
    work = root / "releases" / f".{version}.partial"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    (work / "venv").symlink_to(venv.resolve())
    write_atomic(work / "manifest.json", json.dumps({"format": 1, "version": version, "install": "adopted"}),
                 mode=0o644)
    write_atomic(work / COMPLETE, version, mode=0o644)
    replace_path(work, final)
    return final


def _venv_from_wheels(wheels: Path, venv: Path, names: list[str]) -> None:
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "--no-index", "--no-deps", "--quiet",
                    *[str(wheels / n) for n in names]], check=True)


def _relocate(payload: Path, old_prefix: str, new_prefix: str) -> None:
    """Point the venv's scripts (shebangs, activate) at the release directory instead of the .deb path."""
    old, new = old_prefix.encode(), new_prefix.encode()
    for path in (payload / "venv" / "bin").glob("*"):
        if path.is_symlink() or not path.is_file():
            continue
        data = path.read_bytes()
        if old in data[:4096] and b"\0" not in data[:1024]:
            write_atomic(path, data.replace(old, new), mode=stat.S_IMODE(path.stat().st_mode))  # keeps +x
    cfg = payload / "venv" / "pyvenv.cfg"
    if cfg.exists():
        write_atomic(cfg, cfg.read_bytes().replace(old, new), mode=stat.S_IMODE(cfg.stat().st_mode))


def _fsync_tree(top: Path) -> None:
    for dirpath, _dirs, files in os.walk(top):
        for name in files:
            p = Path(dirpath) / name
            if p.is_symlink():
                continue
            fd = os.open(p, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fsync_dir(Path(dirpath))


def switch(root: Path, version: str, *, crash_point: Any = None) -> None:
    """Point ``current`` at release ``version`` in one rename."""
    target = root / "releases" / check_version(version)
    if not is_complete(target):
        raise ReleaseError(f"release {version} is not installed completely")
    tmp = root / ".current.new"
    tmp.unlink(missing_ok=True)
    os.symlink(Path("releases") / version, tmp)  # relative: the tree can be moved or chrooted
    if crash_point is not None:
        crash_point("link_created")
    replace_path(tmp, root / "current")


def remove_release(root: Path, version: str) -> None:
    if current_version(root) == version:
        raise ReleaseError("the current release cannot be removed")
    shutil.rmtree(root / "releases" / check_version(version), ignore_errors=True)
