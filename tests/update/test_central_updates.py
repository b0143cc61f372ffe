"""The repository served by the reference central over mutual TLS; the remote command; the rollout."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from central_sim.pki import make_dev_pki
from central_sim.release.repository import ReleaseRepository
from central_sim.server import ServerHandle, run_in_thread
from kiosk.central.client import CentralClient
from kiosk.central.heartbeat import HeartbeatSender
from kiosk.update.client import UpdateClient, UpdateError
from kiosk.update.fetcher import HttpFetcher
from kiosk.update.remote import UpdateCommand, UpdateRequests
from kiosk.update.settings import UpdateSettings
from kiosk.update.status import update_field
from offline_queue.http_transport import make_ssl_context
from tests.update.conftest import publish
from tests.update.test_apply_kill import install_by_hand

KIOSK = "FZ-TEST-0001"


@pytest.fixture
def pki(tmp_path: Path) -> dict[str, Any]:
    return make_dev_pki(tmp_path / "pki", [KIOSK, "FZ-TEST-0002", "FZ-TEST-0003", "FZ-TEST-0004"])


@pytest.fixture
def tls_central(tmp_path: Path, repo: ReleaseRepository, pki: dict[str, Any]) -> Iterator[ServerHandle]:
    h = run_in_thread(str(tmp_path / "c.sqlite"), ssl_certfile=pki["server"].cert_file,
                      ssl_keyfile=pki["server"].key_file, ssl_ca_certs=pki["ca"].cert_file,
                      require_client_cert=True, seed=False, updates_dir=str(repo.dir))
    yield h
    h.stop()


def kiosk_fetcher(pki: dict[str, Any], kiosk: str = KIOSK) -> HttpFetcher:
    return HttpFetcher(ca_file=pki["ca"].cert_file, cert_file=pki[kiosk].cert_file, key_file=pki[kiosk].key_file,
                       kiosk_id=kiosk, connect_timeout_s=3, read_timeout_s=10)


def test_update_over_mutual_tls_with_range_resume(tls_central: ServerHandle, repo: ReleaseRepository,
                                                  settings: UpdateSettings, pki: dict[str, Any],
                                                  tmp_path: Path) -> None:
    archive = publish(repo, tmp_path, "1.1.0")
    c = UpdateClient(settings, tls_central.url + "/updates/", kiosk_fetcher(pki))
    avail = c.check()
    part = c.part_path(avail)
    part.parent.mkdir(parents=True, exist_ok=True)
    part.write_bytes(archive.read_bytes()[:40_000])
    assert c.download(avail).read_bytes() == archive.read_bytes()
    c.close()


def test_keys_are_never_served_and_no_client_certificate_no_update(tls_central: ServerHandle,
                                                                   repo: ReleaseRepository, pki: dict[str, Any],
                                                                   settings: UpdateSettings) -> None:
    key = next((repo.keys_dir / "timestamp").glob("*.pem"))
    tls = make_ssl_context(pki["ca"].cert_file, pki[KIOSK].cert_file, pki[KIOSK].key_file)
    with httpx.Client(verify=tls) as http:
        for path in (f"/updates/keys/timestamp/{key.name}", f"/updates/metadata/../keys/timestamp/{key.name}"):
            assert http.get(tls_central.url + path).status_code == 404
    anonymous = UpdateClient(settings, tls_central.url + "/updates/", HttpFetcher(ca_file=pki["ca"].cert_file))
    with pytest.raises(UpdateError) as exc:
        anonymous.check()
    assert exc.value.code == "repository_unreachable"


def heartbeat_body(kiosk: str, seq: int, version: str, update: dict[str, Any] | None) -> dict[str, Any]:
    body: dict[str, Any] = {"kiosk_id": kiosk, "seq": seq, "sent_at": dt.datetime.now(dt.UTC).isoformat(),
                            "app_version": version, "uptime_s": 1, "mode": "in_service", "in_transaction": False,
                            "devices": {}, "link": {"online": True}, "queue": {}, "disk_free_bytes": 1}
    if update is not None:
        body["update"] = update
    return body


def test_remote_update_command_reaches_the_updater_and_the_heartbeat_reports_it(
        tmp_path: Path, settings: UpdateSettings, repo: ReleaseRepository) -> None:
    (tmp_path / "old").mkdir()
    install_by_hand(settings, tmp_path, "1.0.0")
    h = run_in_thread(str(tmp_path / "c.sqlite"), seed=False, updates_dir=str(repo.dir))
    try:
        run_dir = tmp_path / "run"
        requests = UpdateRequests(run_dir)
        with CentralClient(h.url, KIOSK) as client:
            def state() -> dict[str, Any]:
                return heartbeat_body(KIOSK, 0, "1.0.0", update_field(settings, requests))

            sender = HeartbeatSender(client, state, tmp_path / "seq")
            sender.register("update", UpdateCommand(run_dir).handle)
            assert sender.send_now()
            r = httpx.post(f"{h.url}/_admin/kiosks/{KIOSK}/commands", json={"type": "update", "version": "1.1.0"})
            assert r.status_code == 201
            assert sender.send_now()
            assert sender.run_pending() == 1
            assert requests.peek() is not None and requests.peek()["version"] == "1.1.0"  # type: ignore[index]
            field = update_field(settings, requests)
            assert field == {"version": "1.0.0", "state": "requested", "last_result": "", "requested": "1.1.0"}
            assert sender.send_now()
        page = httpx.get(h.url + "/monitor").text
        assert "requested 1.1.0" in page
    finally:
        h.stop()


def test_malformed_version_in_the_command_is_refused(tmp_path: Path) -> None:
    from kiosk.central.models import Command

    cmd = Command.model_validate({"id": "c1", "type": "update", "version": "../../etc"})
    with pytest.raises(Exception, match="not a release version"):
        UpdateCommand(tmp_path).handle(cmd)
    assert UpdateRequests(tmp_path).peek() is None


def beat(h: ServerHandle, kiosk: str, seq: int, version: str, update: dict[str, Any] | None = None
         ) -> list[dict[str, Any]]:
    r = httpx.post(f"{h.url}/v1/kiosks/{kiosk}/heartbeat", json=heartbeat_body(kiosk, seq, version, update),
                   headers={"X-Kiosk-Id": kiosk})
    assert r.status_code == 200, r.text
    commands: list[dict[str, Any]] = r.json()["commands"]
    return commands


def test_rollout_commands_the_cohort_and_halts_on_failures(tmp_path: Path, repo: ReleaseRepository) -> None:
    h = run_in_thread(str(tmp_path / "c.sqlite"), seed=False, updates_dir=str(repo.dir))
    try:
        kiosks = [f"FZ-T-{i:04d}" for i in range(10)]
        for k in kiosks:
            beat(h, k, 1, "1.0.0")
        cohort = kiosks[:4]
        r = httpx.post(h.url + "/_admin/rollout", json={"version": "1.1.0", "kiosks": cohort,
                                                         "max_failure_rate": 0.25, "min_results": 2})
        assert r.status_code == 200 and sorted(r.json()["commanded"]) == cohort
        got = {k: beat(h, k, 2, "1.0.0") for k in kiosks}
        assert {k for k, cmds in got.items() if cmds} == set(cohort)
        assert all(c["type"] == "update" and c["version"] == "1.1.0" for k in cohort for c in got[k])
        # Two kiosks report back: one good, one rolled back -> 50 % failures > 25 %: halted.
        beat(h, cohort[0], 3, "1.1.0", {"version": "1.1.0", "state": "good", "last_result": "ok 1.1.0"})
        beat(h, cohort[1], 3, "1.0.0", {"version": "1.0.0", "state": "good",
                                        "last_result": "rolled_back 1.1.0: crash_loop (3 starts)"})
        status = httpx.get(h.url + "/_admin/rollout").json()
        assert status["status"] == "halted" and status["failure_rate"] == 0.5
        # Kiosks outside the cohort were never told; a halted rollout tells no one else.
        assert all(beat(h, k, 4, "1.0.0") == [] for k in kiosks[4:])
        beat(h, cohort[2], 3, "1.0.0")
        assert httpx.get(h.url + "/_admin/rollout").json()["status"] == "halted"
        page = httpx.get(h.url + "/monitor").text
        assert "rolled_back 1.1.0" in page
    finally:
        h.stop()


def test_percentage_cohort_is_stable_and_grows(tmp_path: Path, repo: ReleaseRepository) -> None:
    h = run_in_thread(str(tmp_path / "c.sqlite"), seed=False, updates_dir=str(repo.dir))
    try:
        kiosks = [f"FZ-P-{i:04d}" for i in range(40)]
        for k in kiosks:
            beat(h, k, 1, "1.0.0")
        first = set(httpx.post(h.url + "/_admin/rollout", json={"version": "2.0.0", "percent": 25}).json()["commanded"])
        assert 2 <= len(first) <= 20
        wider = set(httpx.post(h.url + "/_admin/rollout", json={"version": "2.0.0", "percent": 75}).json()["commanded"])
        assert first < wider
        assert json.loads((repo.dir / "rollout.json").read_text())["percent"] == 75
    finally:
        h.stop()


def test_kiosk_release_rollout_command_starts_and_reports(tmp_path: Path, repo: ReleaseRepository) -> None:
    import subprocess
    import sys

    h = run_in_thread(str(tmp_path / "c.sqlite"), seed=False, updates_dir=str(repo.dir))
    try:
        beat(h, "FZ-R-0001", 1, "1.0.0")
        beat(h, "FZ-R-0002", 1, "1.0.0")
        cmd = [sys.executable, "-m", "central_sim.release.cli", "--repo", str(repo.dir), "rollout",
               "--central", h.url]
        out = subprocess.run([*cmd, "--version", "1.1.0", "--kiosks", "FZ-R-0001", "FZ-R-0002",
                              "--max-failure-rate", "0.4", "--min-results", "1"],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert sorted(json.loads(out.stdout)["commanded"]) == ["FZ-R-0001", "FZ-R-0002"]
        beat(h, "FZ-R-0001", 2, "1.0.0",
             {"version": "1.0.0", "state": "good", "last_result": "failed 1.1.0: disk_full"})
        out = subprocess.run([*cmd, "--watch", "0.1"], capture_output=True, text=True, timeout=60)
        assert out.returncode == 2  # halted: 1 failure of 1 result > 40 %
        assert json.loads(out.stdout.splitlines()[-1])["status"] == "halted"
    finally:
        h.stop()


def test_heartbeat_update_field_from_the_kiosk_configuration(tmp_path: Path, settings: UpdateSettings) -> None:
    from kiosk.config import load_config
    from kiosk.update.status import heartbeat_update

    cfg_path = tmp_path / "kiosk.toml"
    cfg_path.write_text(f'[kiosk]\ndata_dir = "{tmp_path / "data"}"\nrun_dir = "{tmp_path / "run"}"\n')
    (tmp_path / "update.toml").write_text(f'releases_root = "{settings.releases_root}"\n')
    cfg = load_config(cfg_path)
    assert heartbeat_update(cfg) is None  # not installed as releases: nothing to report
    (tmp_path / "old").mkdir()
    install_by_hand(settings, tmp_path, "1.0.0")
    assert heartbeat_update(cfg) == {"version": "1.0.0", "state": "good", "last_result": ""}
    (tmp_path / "update.toml").write_text("max_boots = 0\n")  # a broken update.toml never breaks the heartbeat
    assert heartbeat_update(cfg) is None
