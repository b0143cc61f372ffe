"""Check and download releases through python-tuf's ``Updater``.

Trust starts from the root shipped in the package (``trusted_root.json``) on the first run and
from the last verified root after that, so a root rotation is followed and never undone. The
Updater refuses expired, rolled-back, mixed-and-matched or badly signed metadata; a target is
accepted only when its length and SHA-256 match the signed targets metadata.

Downloads go to a bounded staging area and resume where a broken link left them.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from tuf.api.exceptions import DownloadError, RepositoryError
from tuf.api.metadata import TargetFile
from tuf.ngclient import Updater

from hal.atomic_file import replace_path
from kiosk.update.fetcher import free_bytes
from kiosk.update.settings import UpdateSettings

CHANNEL_TARGET = "channels/{channel}.json"  # central_sim/release/repository.py publishes these


class UpdateError(Exception):
    """A check or download failed; ``code`` is short and stable (reported to the central)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


class ResumableFetcher(Protocol):
    def fetch_resume(self, url: str, offset: int) -> Any: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class Available:
    version: str
    target: str
    length: int
    custom: dict[str, Any]


class UpdateClient:
    def __init__(self, settings: UpdateSettings, repo_url: str, fetcher: Any) -> None:
        self.settings = settings
        self.repo_url = repo_url.rstrip("/") + "/"
        self.fetcher = fetcher
        settings.metadata_dir.mkdir(parents=True, exist_ok=True)
        local_root = settings.metadata_dir / "root.json"
        if local_root.exists():
            bootstrap = local_root.read_bytes()
        else:
            try:
                bootstrap = settings.root_file.read_bytes()
            except OSError as exc:
                raise UpdateError("no_trusted_root", f"{settings.root_file}: {exc.strerror}") from None
        try:
            self.updater = Updater(str(settings.metadata_dir), self.repo_url + "metadata/",
                                   target_base_url=self.repo_url + "targets/", fetcher=fetcher, bootstrap=bootstrap)
        except RepositoryError as exc:
            raise UpdateError("bad_trusted_root", str(exc)) from exc

    def refresh(self) -> None:
        try:
            self.updater.refresh()
        except RepositoryError as exc:  # expired, rollback, bad signature, … : never trusted
            raise UpdateError("metadata_refused", f"{type(exc).__name__}: {exc}") from exc
        except DownloadError as exc:
            raise UpdateError("repository_unreachable", str(exc)) from exc

    def _info(self, target: str) -> TargetFile:
        try:
            info = self.updater.get_targetinfo(target)
        except RepositoryError as exc:
            raise UpdateError("metadata_refused", f"{type(exc).__name__}: {exc}") from exc
        except DownloadError as exc:
            raise UpdateError("repository_unreachable", str(exc)) from exc
        if info is None:
            raise UpdateError("no_such_release", target)
        return info

    def check(self, version: str | None = None) -> Available:
        """The channel's release (or ``version``), from freshly verified metadata."""
        self.refresh()
        if version is None:
            pointer = self._info(CHANNEL_TARGET.format(channel=self.settings.channel))
            data = self._download_small(pointer)
            try:
                version = str(json.loads(data)["version"])
            except (ValueError, KeyError, TypeError) as exc:
                raise UpdateError("bad_channel_pointer", type(exc).__name__) from exc
        info = self._info(f"releases/kiosk-{version}.tar.gz")
        return Available(version, info.path, info.length, dict(info.unrecognized_fields.get("custom", {})))

    def _download_small(self, info: TargetFile) -> bytes:
        path = self.settings.staging_dir / "channel.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.updater.download_target(info, str(path))
        except RepositoryError as exc:
            raise UpdateError("target_refused", f"{type(exc).__name__}") from exc
        except DownloadError as exc:
            raise UpdateError("repository_unreachable", str(exc)) from exc
        return path.read_bytes()

    def staged_path(self, available: Available) -> Path:
        return self.settings.staging_dir / f"kiosk-{available.version}.tar.gz"

    def part_path(self, available: Available) -> Path:
        return self.settings.staging_dir / f"kiosk-{available.version}.tar.gz.part"

    def download(self, available: Available) -> Path:
        """The verified release archive in the staging area (resuming a partial download)."""
        info = self._info(available.target)
        final = self.staged_path(available)
        if final.exists() and self.updater.find_cached_target(info, str(final)):
            return final
        staging = self.settings.staging_dir
        staging.mkdir(parents=True, exist_ok=True)
        part = self.part_path(available)
        for old in staging.glob("kiosk-*"):  # the bounded staging area holds one release: this one
            if old not in (final, part):
                old.unlink(missing_ok=True)
        have = part.stat().st_size if part.exists() else 0
        if have > info.length:
            part.unlink()
            have = 0
        self._check_space(info.length - have, keep=part)
        digest = info.hashes["sha256"]
        dirname, sep, base = info.path.rpartition("/")
        url = f"{self.repo_url}targets/{dirname}{sep}{digest}.{base}"
        try:
            with open(part, "ab") as out:
                for chunk in self.fetcher.fetch_resume(url, have) if have < info.length else ():
                    have += len(chunk)
                    if have > info.length:
                        raise UpdateError("target_refused", "longer than the signed length")
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
        except DownloadError as exc:
            raise UpdateError("download_interrupted", f"{have} of {info.length} bytes; run again to resume") from exc
        except UpdateError:
            part.unlink(missing_ok=True)
            raise
        if not self.updater.find_cached_target(info, str(part)):
            part.unlink(missing_ok=True)  # a tampered or corrupted target is never kept
            raise UpdateError("target_refused", "length or SHA-256 does not match the signed metadata")
        replace_path(part, final)  # the verified download takes its final name durably
        return final

    def _check_space(self, needed: int, keep: Path) -> None:
        bound = self.settings.staging_max_mb * 1024 * 1024
        used = sum(p.stat().st_size for p in self.settings.staging_dir.glob("*") if p.is_file() and p != keep)
        if needed + (keep.stat().st_size if keep.exists() else 0) + used > bound:
            raise UpdateError("staging_full", f"release needs {needed} bytes; staging bound {bound}")
        free = free_bytes(self.settings.staging_dir)
        reserve = self.settings.reserve_mb * 1024 * 1024
        # Unpacking needs about as much again in releases/: both must fit, with the reserve left.
        if free - 2 * needed < reserve:
            raise UpdateError("disk_full", f"{free} bytes free; {2 * needed} needed plus {reserve} reserve")

    def close(self) -> None:
        self.fetcher.close()


def clear_staging(settings: UpdateSettings) -> None:
    shutil.rmtree(settings.staging_dir, ignore_errors=True)
