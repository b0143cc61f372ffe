"""A real TUF repository (kiosk-release's code) in a temporary directory, and a kiosk pointed at it."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from central_sim.release.artifact import build
from central_sim.release.repository import ReleaseRepository
from kiosk.update.client import UpdateClient
from kiosk.update.fetcher import BundleFetcher, HttpFetcher
from kiosk.update.settings import UpdateSettings

BASE = "https://updates.invalid/updates/"  # the bundle fetcher serves this URL space from disk


def make_tree(tmp: Path, version: str, *, app: str = "import sys; sys.exit(0)") -> Path:
    """A minimal release payload: a version file and an entry script."""
    tree = tmp / f"tree-{version}"
    (tree / "bin").mkdir(parents=True)
    (tree / "VERSION").write_text(version)
    (tree / "bin" / "app.py").write_text(app)
    (tree / "lib.bin").write_bytes(os.urandom(96 * 1024))  # incompressible: a resume has something to skip
    return tree


def publish(repo: ReleaseRepository, tmp: Path, version: str, **kw: str) -> Path:
    archive, _ = build(tmp / "dist", version, tree=make_tree(tmp, version, **kw))
    repo.add_release(archive, version=version)
    return archive


@pytest.fixture
def repo(tmp_path: Path) -> ReleaseRepository:
    r = ReleaseRepository(tmp_path / "repo")
    r.init(root_keys=3, root_threshold=2)
    return r


@pytest.fixture
def settings(tmp_path: Path, repo: ReleaseRepository) -> UpdateSettings:
    shipped = tmp_path / "shipped-root.json"
    repo.export_root(shipped)
    return UpdateSettings(releases_root=str(tmp_path / "kiosk"), trusted_root=str(shipped), reserve_mb=0)


@pytest.fixture
def bundle_client(settings: UpdateSettings, repo: ReleaseRepository) -> Iterator[UpdateClient]:
    c = UpdateClient(settings, BASE, BundleFetcher(repo.dir, BASE))
    yield c
    c.close()


def http_client(settings: UpdateSettings, url: str) -> UpdateClient:
    return UpdateClient(settings, url, HttpFetcher())


def trusted_root_version(settings: UpdateSettings) -> int:
    return int(json.loads((settings.metadata_dir / "root.json").read_text())["signed"]["version"])
