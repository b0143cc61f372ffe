"""A TUF repository of kiosk releases, on disk, signed with the python-tuf Metadata API.

Layout (``repo_dir``): ``metadata/`` and ``targets/`` are public (served as they are, by the
reference central's /updates/ routes or any static web server, or copied to a USB bundle);
the signing keys live in ``keys_dir`` (keys.py), which should not be on the serving machine
except for the online snapshot and timestamp keys.

Consistent snapshots: metadata is published as ``<version>.<role>.json`` and targets as
``<sha256>.<name>``, so a kiosk that fetches while a release is being published never mixes
files from two publications. Expiry: root a year, targets 90 days, snapshot 7 days, timestamp
1 day (``kiosk-release timestamp`` re-signs it, e.g. from a systemd timer every few hours).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar, cast

from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import (
    SPECIFICATION_VERSION,
    Metadata,
    MetaFile,
    Role,
    Root,
    Snapshot,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization.json import JSONSerializer

from central_sim.release import keys
from hal.atomic_file import copy_atomic, write_atomic

T = TypeVar("T", Root, Timestamp, Snapshot, Targets)

EXPIRY: dict[str, dt.timedelta] = {
    "root": dt.timedelta(days=365),
    "targets": dt.timedelta(days=90),
    "snapshot": dt.timedelta(days=7),
    "timestamp": dt.timedelta(days=1),
}
CHANNEL_TARGET = "channels/{channel}.json"  # names the channel's current release (a signed target too)
RELEASE_TARGET = "releases/{name}"


class RepositoryError(Exception):
    """The repository cannot do what was asked (no keys, threshold not met, unknown release)."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _publish(path: Path, data: bytes) -> None:
    """Metadata and targets are public: 0644, so a web server running as another user may serve them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, data, mode=0o644)


class ReleaseRepository:
    def __init__(self, repo_dir: Path, keys_dir: Path | None = None) -> None:
        self.dir = Path(repo_dir)
        self.keys_dir = Path(keys_dir) if keys_dir is not None else self.dir / "keys"
        self.metadata_dir = self.dir / "metadata"
        self.targets_dir = self.dir / "targets"
        self._serializer = JSONSerializer(compact=False)

    # ---- reading -------------------------------------------------------------------------------
    def load(self, role: str, cls: type[T]) -> Metadata[T]:
        """The newest published metadata of ``role`` (the unversioned copy the tool keeps)."""
        path = self.metadata_dir / f"{role}.json"
        if not path.exists():
            raise RepositoryError(f"no {role} metadata in {self.metadata_dir}; run `kiosk-release init` first")
        md: Metadata[Any] = Metadata.from_file(str(path))
        if not isinstance(md.signed, cls):
            raise RepositoryError(f"{path} is not {role} metadata")
        return cast("Metadata[T]", md)

    def root_bytes(self, version: int | None = None) -> bytes:
        name = f"{version}.root.json" if version else "root.json"
        return (self.metadata_dir / name).read_bytes()

    def releases(self) -> dict[str, dict[str, Any]]:
        """Published releases by target path, with their custom fields (version, queue schema…)."""
        targets = self.load("targets", Targets).signed
        return {path: dict(tf.unrecognized_fields.get("custom", {}))
                for path, tf in targets.targets.items() if path.startswith("releases/")}

    # ---- writing -------------------------------------------------------------------------------
    def _signers(self, role: str, delegator: Root) -> list[CryptoSigner]:
        allowed = set(delegator.roles[role].keyids)
        present = keys.load(self.keys_dir, role)
        chosen = [s for kid, s in present.items() if kid in allowed]
        if len(chosen) < delegator.roles[role].threshold:
            raise RepositoryError(
                f"{role}: {len(chosen)} of the {delegator.roles[role].threshold} required keys are present in "
                f"{self.keys_dir / role}")
        return chosen

    def _sign_and_write(self, md: Metadata[Any], signers: list[CryptoSigner], *, versioned: bool,
                        append: bool = False) -> None:
        if not append:
            md.signatures.clear()
        for signer in signers:
            md.sign(signer, append=True)
        data = md.to_bytes(self._serializer)
        role = md.signed.type
        if versioned:
            _publish(self.metadata_dir / f"{md.signed.version}.{role}.json", data)
        _publish(self.metadata_dir / f"{role}.json", data)

    def init(self, *, root_keys: int = 3, root_threshold: int = 2, targets_keys: int = 1,
             targets_threshold: int = 1, expiry: Mapping[str, dt.timedelta] | None = None) -> Metadata[Root]:
        """A new repository: keys for every role, root v1, empty targets, snapshot and timestamp."""
        if (self.metadata_dir / "root.json").exists():
            raise RepositoryError(f"{self.metadata_dir} already holds a repository")
        if not 1 <= root_threshold <= root_keys or not 1 <= targets_threshold <= targets_keys:
            raise RepositoryError("a threshold must be between 1 and the number of keys")
        exp = {**EXPIRY, **(expiry or {})}
        root = Root(version=1, expires=_now() + exp["root"], consistent_snapshot=True)
        counts = {"root": (root_keys, root_threshold), "targets": (targets_keys, targets_threshold),
                  "snapshot": (1, 1), "timestamp": (1, 1)}
        for role, (n, threshold) in counts.items():
            root.roles[role] = Role([], threshold)
            for _ in range(n):
                root.add_key(keys.generate(self.keys_dir, role).public_key, role)
        md_root = Metadata(root)
        self._sign_and_write(md_root, self._signers("root", root), versioned=True)
        targets = Metadata(Targets(version=1, expires=_now() + exp["targets"]))
        self._sign_and_write(targets, self._signers("targets", root), versioned=True)
        self._snapshot_and_timestamp(root, targets.signed.version, exp)
        self.targets_dir.mkdir(parents=True, exist_ok=True)
        return md_root

    def _snapshot_and_timestamp(self, root: Root, targets_version: int,
                                exp: Mapping[str, dt.timedelta]) -> None:
        try:
            snap_version = self.load("snapshot", Snapshot).signed.version + 1
        except RepositoryError:
            snap_version = 1
        snapshot = Metadata(Snapshot(version=snap_version, expires=_now() + exp["snapshot"],
                                     meta={"targets.json": MetaFile(version=targets_version)}))
        self._sign_and_write(snapshot, self._signers("snapshot", root), versioned=True)
        self.write_timestamp(snap_version, expires=_now() + exp["timestamp"])

    def write_timestamp(self, snapshot_version: int | None = None, *, expires: dt.datetime | None = None) -> int:
        """Sign a new timestamp (version + 1) naming ``snapshot_version`` (default: the newest)."""
        root = self.load("root", Root).signed
        if snapshot_version is None:
            snapshot_version = self.load("snapshot", Snapshot).signed.version
        snap_bytes = (self.metadata_dir / f"{snapshot_version}.snapshot.json").read_bytes()
        try:
            version = self.load("timestamp", Timestamp).signed.version + 1
        except RepositoryError:
            version = 1
        meta = MetaFile(version=snapshot_version, length=len(snap_bytes),
                        hashes={"sha256": hashlib.sha256(snap_bytes).hexdigest()})
        ts = Metadata(Timestamp(version=version, expires=expires or _now() + EXPIRY["timestamp"],
                                snapshot_meta=meta))
        self._sign_and_write(ts, self._signers("timestamp", root), versioned=False)
        return version

    def add_release(self, artifact: Path, *, version: str, custom: Mapping[str, Any] | None = None,
                    channel: str = "stable", expiry: Mapping[str, dt.timedelta] | None = None) -> str:
        """Publish ``artifact`` as release ``version`` and point ``channel`` at it; returns its target path."""
        exp = {**EXPIRY, **(expiry or {})}
        root = self.load("root", Root).signed
        md = self.load("targets", Targets)
        path = RELEASE_TARGET.format(name=artifact.name)
        info = self._stage_target(path, artifact.read_bytes(), {"version": version, **(custom or {})})
        md.signed.targets[path] = info
        pointer = json.dumps({"version": version, "target": path}, sort_keys=True).encode("utf-8")
        cpath = CHANNEL_TARGET.format(channel=channel)
        md.signed.targets[cpath] = self._stage_target(cpath, pointer, {"version": version})
        md.signed.version += 1
        md.signed.expires = _now() + exp["targets"]
        self._sign_and_write(md, self._signers("targets", root), versioned=True)
        self._snapshot_and_timestamp(root, md.signed.version, exp)
        return path

    def _stage_target(self, path: str, data: bytes, custom: Mapping[str, Any]) -> TargetFile:
        info = TargetFile.from_data(path, data, ["sha256"])
        info.unrecognized_fields["custom"] = dict(custom)
        dirname, _, base = path.rpartition("/")
        dest = self.targets_dir / dirname / f"{info.hashes['sha256']}.{base}"
        if not dest.exists():
            _publish(dest, data)
        return info

    def rotate(self, role: str, *, add: int = 1, revoke: list[str] | None = None,
               threshold: int | None = None) -> Metadata[Root]:
        """A new root version with ``add`` new keys for ``role`` and the ``revoke``d key ids removed.

        The new root is signed by a threshold of the old root's keys and of its own (the kiosk
        checks both); for a non-root role the role's metadata is re-signed with its new keys.
        """
        if role not in keys.ROLES:
            raise RepositoryError(f"unknown role {role}")
        old = self.load("root", Root)
        old_signers = self._signers("root", old.signed)
        md = self.load("root", Root)
        new_ids = [keys.generate(self.keys_dir, role).public_key for _ in range(add)]
        for key in new_ids:
            md.signed.add_key(key, role)
        for kid in revoke or []:
            if kid not in md.signed.roles[role].keyids:
                raise RepositoryError(f"{kid} is not a {role} key")
            md.signed.revoke_key(kid, role)
        if threshold is not None:
            md.signed.roles[role].threshold = threshold
        if len(md.signed.roles[role].keyids) < md.signed.roles[role].threshold:
            raise RepositoryError(f"{role} would have fewer keys than its threshold")
        md.signed.version += 1
        md.signed.expires = _now() + EXPIRY["root"]
        signers = {s.public_key.keyid: s for s in old_signers}
        signers.update({s.public_key.keyid: s for s in self._signers("root", md.signed)})
        self._sign_and_write(md, list(signers.values()), versioned=True)
        for kid in revoke or []:
            if (self.keys_dir / role / f"{kid}.pem").exists():
                keys.retire(self.keys_dir, role, kid)
        if role == "targets":
            targets = self.load("targets", Targets)
            targets.signed.version += 1
            self._sign_and_write(targets, self._signers("targets", md.signed), versioned=True)
            self._snapshot_and_timestamp(md.signed, targets.signed.version, EXPIRY)
        elif role in ("snapshot", "timestamp"):
            self._snapshot_and_timestamp(md.signed, self.load("targets", Targets).signed.version, EXPIRY)
        return md

    def export_root(self, dest: Path) -> None:
        """Copy the current root (the kiosk's trust anchor, shipped in its package) to ``dest``."""
        dest.parent.mkdir(parents=True, exist_ok=True)
        copy_atomic(self.metadata_dir / "root.json", dest, mode=0o644)  # public: the package ships it


__all__ = ["SPECIFICATION_VERSION", "ReleaseRepository", "RepositoryError"]
