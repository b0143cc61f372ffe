"""The release archive: a gzip-compressed tar with ``manifest.json`` and the ``payload/`` tree.

Made from a .deb (its /opt/sscard-kiosk tree: the self-contained venv build_deb.py makes), from
a wheel set (the kiosk builds a venv from them when it installs the release), or from a plain
directory. The manifest says how to install the payload; the kiosk side is kiosk/update/releases.py.
"""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any, BinaryIO

from hal.atomic_file import write_stream
from offline_queue.migrations import CURRENT_VERSION as QUEUE_SCHEMA

DEB_APP_DIR = "opt/sscard-kiosk"  # packaging/build_deb.py APP_DIR, without the leading slash


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def build(out_dir: Path, version: str, *, tree: Path | None = None, deb: Path | None = None,
          wheels: Path | None = None, queue_schema: int = QUEUE_SCHEMA,
          relocate_from: str = "", compresslevel: int = 6) -> tuple[Path, dict[str, Any]]:
    """Write ``out_dir/kiosk-<version>.tar.gz``; returns its path and manifest."""
    if sum(x is not None for x in (tree, deb, wheels)) != 1:
        raise ValueError("give exactly one of tree, deb, wheels")
    manifest: dict[str, Any] = {"format": 1, "version": version, "queue_schema": queue_schema}
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"kiosk-{version}.tar.gz"
    with tempfile.TemporaryDirectory() as tmp:
        if deb is not None:
            subprocess.run(["dpkg-deb", "-x", str(deb), tmp], check=True)
            source = Path(tmp) / DEB_APP_DIR
            manifest.update(install="tree", relocate_from="/" + DEB_APP_DIR)
        elif wheels is not None:
            source = wheels
            manifest.update(install="wheels", wheels=sorted(p.name for p in wheels.glob("*.whl")))
            if not manifest["wheels"]:
                raise ValueError(f"no wheels in {wheels}")
        else:
            assert tree is not None
            source = tree
            manifest.update(install="tree")
            if relocate_from:  # a tree taken from an installed venv (e.g. a patched .deb tree)
                manifest["relocate_from"] = relocate_from
        # gzip: a venv shrinks to about a third, which is what a poor link pays for

        def pack(stream: BinaryIO) -> None:  # ``out`` names the gzip member, not the temp file
            with tarfile.open(out, "w:gz", fileobj=stream, format=tarfile.PAX_FORMAT,
                              compresslevel=compresslevel) as tar:
                _add_bytes(tar, "manifest.json", json.dumps(manifest, sort_keys=True, indent=1).encode("utf-8"))
                tar.add(source, arcname="payload", filter=_clean)

        write_stream(out, pack, mode=0o644)  # published: served to every kiosk
    return out, manifest


def _clean(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
    if "__pycache__" in info.name.split("/"):
        return None
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    return info
