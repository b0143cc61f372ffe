"""The kiosk's updater against a real TUF repository: what it accepts and every attack it refuses."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from tuf.api.metadata import Metadata, Root, Snapshot, Timestamp

from central_sim.release import keys
from central_sim.release.repository import ReleaseRepository
from kiosk.update.client import UpdateClient, UpdateError
from kiosk.update.fetcher import BundleFetcher
from kiosk.update.settings import UpdateSettings
from tests.update.conftest import BASE, publish, trusted_root_version


def test_check_and_download_verify_the_signed_release(repo: ReleaseRepository, bundle_client: UpdateClient,
                                                      tmp_path: Path) -> None:
    archive = publish(repo, tmp_path, "1.1.0")
    avail = bundle_client.check()
    assert avail.version == "1.1.0"
    assert avail.length == archive.stat().st_size
    staged = bundle_client.download(avail)
    assert staged.read_bytes() == archive.read_bytes()


def test_tampered_target_is_refused_and_not_kept(repo: ReleaseRepository, bundle_client: UpdateClient,
                                                 tmp_path: Path) -> None:
    publish(repo, tmp_path, "1.1.0")
    served = next((repo.targets_dir / "releases").glob("*.kiosk-1.1.0.tar.gz"))
    data = bytearray(served.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit inside the archive, same length
    served.write_bytes(bytes(data))
    avail = bundle_client.check()
    with pytest.raises(UpdateError) as exc:
        bundle_client.download(avail)
    assert exc.value.code == "target_refused"
    assert not list(bundle_client.settings.staging_dir.glob("kiosk-1.1.0.tar*"))


def test_tampered_targets_metadata_is_refused(repo: ReleaseRepository, bundle_client: UpdateClient,
                                              tmp_path: Path) -> None:
    publish(repo, tmp_path, "1.1.0")
    md = repo.metadata_dir / "2.targets.json"
    md.write_text(md.read_text().replace('"version": "1.1.0"', '"version": "6.6.6"'))
    with pytest.raises(UpdateError) as exc:
        bundle_client.check()
    assert exc.value.code == "metadata_refused"


def test_expired_timestamp_is_refused(repo: ReleaseRepository, bundle_client: UpdateClient,
                                      tmp_path: Path) -> None:
    publish(repo, tmp_path, "1.1.0")
    repo.write_timestamp(expires=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    with pytest.raises(UpdateError) as exc:
        bundle_client.check()
    assert exc.value.code == "metadata_refused"
    assert "xpired" in exc.value.detail


def test_rollback_to_an_older_snapshot_is_refused(repo: ReleaseRepository, settings: UpdateSettings,
                                                  tmp_path: Path) -> None:
    publish(repo, tmp_path, "1.1.0")
    old_snapshot = repo.load("snapshot", Snapshot).signed.version
    publish(repo, tmp_path, "1.2.0")
    first = UpdateClient(settings, BASE, BundleFetcher(repo.dir, BASE))
    assert first.check().version == "1.2.0"  # the kiosk has seen the newer snapshot
    first.close()
    # An attacker holding the (online) timestamp key signs a fresh timestamp naming the old snapshot.
    repo.write_timestamp(old_snapshot)
    again = UpdateClient(settings, BASE, BundleFetcher(repo.dir, BASE))
    with pytest.raises(UpdateError) as exc:
        again.check()
    assert exc.value.code == "metadata_refused"
    assert "snapshot" in exc.value.detail.lower()


def test_replayed_old_timestamp_is_refused(repo: ReleaseRepository, settings: UpdateSettings,
                                           tmp_path: Path) -> None:
    publish(repo, tmp_path, "1.1.0")
    saved = (repo.metadata_dir / "timestamp.json").read_bytes()
    publish(repo, tmp_path, "1.2.0")
    c = UpdateClient(settings, BASE, BundleFetcher(repo.dir, BASE))
    c.check()
    c.close()
    (repo.metadata_dir / "timestamp.json").write_bytes(saved)  # a mirror frozen at the old state
    c = UpdateClient(settings, BASE, BundleFetcher(repo.dir, BASE))
    with pytest.raises(UpdateError) as exc:
        c.check()
    assert exc.value.code == "metadata_refused"


def test_rotated_root_is_followed_and_old_keys_lose_power(repo: ReleaseRepository, settings: UpdateSettings,
                                                          tmp_path: Path) -> None:
    publish(repo, tmp_path, "1.1.0")
    c = UpdateClient(settings, BASE, BundleFetcher(repo.dir, BASE))
    c.check()
    c.close()
    assert trusted_root_version(settings) == 1
    old_ts_key = next(iter(repo.load("root", Root).signed.roles["timestamp"].keyids))
    old_signer = keys.load(repo.keys_dir, "timestamp")[old_ts_key]
    root_kid = sorted(repo.load("root", Root).signed.roles["root"].keyids)[0]
    repo.rotate("root", revoke=[root_kid])
    repo.rotate("timestamp", revoke=[old_ts_key])
    publish(repo, tmp_path, "1.2.0")
    c = UpdateClient(settings, BASE, BundleFetcher(repo.dir, BASE))
    assert c.check().version == "1.2.0"
    c.close()
    assert trusted_root_version(settings) == 3  # walked 1 -> 2 -> 3, each signed by old and new keys
    # A timestamp signed with the revoked key is no longer accepted.
    ts = Metadata[Timestamp].from_file(str(repo.metadata_dir / "timestamp.json"))
    ts.signed.version += 1
    ts.sign(old_signer)
    (repo.metadata_dir / "timestamp.json").write_bytes(ts.to_bytes())
    c = UpdateClient(settings, BASE, BundleFetcher(repo.dir, BASE))
    with pytest.raises(UpdateError) as exc:
        c.check()
    assert exc.value.code == "metadata_refused"


def test_root_signed_below_threshold_is_refused(repo: ReleaseRepository, settings: UpdateSettings,
                                                tmp_path: Path) -> None:
    c = UpdateClient(settings, BASE, BundleFetcher(repo.dir, BASE))
    c.refresh()
    c.close()
    # One stolen root key (of a threshold of 2) makes a root that adds the thief's key.
    md = repo.load("root", Root)
    thief = keys.generate(tmp_path / "thief", "timestamp")
    md.signed.add_key(thief.public_key, "timestamp")
    md.signed.version = 2
    one = next(iter(keys.load(repo.keys_dir, "root").values()))
    md.sign(one)
    (repo.metadata_dir / "2.root.json").write_bytes(md.to_bytes())
    c = UpdateClient(settings, BASE, BundleFetcher(repo.dir, BASE))
    with pytest.raises(UpdateError):
        c.refresh()
    assert trusted_root_version(settings) == 1


def test_interrupted_download_resumes(repo: ReleaseRepository, bundle_client: UpdateClient, tmp_path: Path) -> None:
    archive = publish(repo, tmp_path, "1.1.0")
    avail = bundle_client.check()
    part = bundle_client.part_path(avail)
    part.parent.mkdir(parents=True, exist_ok=True)
    part.write_bytes(archive.read_bytes()[:50_000])  # what a dropped link left
    assert bundle_client.download(avail).read_bytes() == archive.read_bytes()


def test_release_larger_than_the_staging_bound_is_refused_before_download(
        repo: ReleaseRepository, settings: UpdateSettings, tmp_path: Path) -> None:
    publish(repo, tmp_path, "1.1.0")
    small = UpdateSettings(**{**settings.__dict__, "staging_max_mb": 0})
    c = UpdateClient(small, BASE, BundleFetcher(repo.dir, BASE))
    with pytest.raises(UpdateError) as exc:
        c.download(c.check())
    assert exc.value.code == "staging_full"
    assert not list(small.staging_dir.glob("*.part"))


def test_usb_bundle_is_a_copy_of_the_repository(repo: ReleaseRepository, settings: UpdateSettings,
                                                tmp_path: Path) -> None:
    publish(repo, tmp_path, "1.1.0")
    usb = tmp_path / "usb"
    shutil.copytree(repo.metadata_dir, usb / "metadata")
    shutil.copytree(repo.targets_dir, usb / "targets")
    c = UpdateClient(settings, BASE, BundleFetcher(usb, BASE))
    assert c.download(c.check()).exists()


def test_complete_part_file_is_verified_without_refetching(repo: ReleaseRepository, bundle_client: UpdateClient,
                                                           tmp_path: Path) -> None:
    archive = publish(repo, tmp_path, "1.1.0")
    avail = bundle_client.check()
    part = bundle_client.part_path(avail)
    part.parent.mkdir(parents=True, exist_ok=True)
    part.write_bytes(archive.read_bytes())  # killed after the last byte, before the rename
    assert bundle_client.download(avail).read_bytes() == archive.read_bytes()


def test_staging_holds_only_the_release_being_fetched(repo: ReleaseRepository, bundle_client: UpdateClient,
                                                      tmp_path: Path) -> None:
    publish(repo, tmp_path, "1.1.0")
    first = bundle_client.download(bundle_client.check())
    publish(repo, tmp_path, "1.2.0")
    c = UpdateClient(bundle_client.settings, BASE, BundleFetcher(repo.dir, BASE))
    second = c.download(c.check())
    assert not first.exists() and second.exists()
