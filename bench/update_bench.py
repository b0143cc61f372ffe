"""Update benchmark: download and apply of a typical release; broken release started → rolled back.

Typical release: the kiosk .deb's venv is ~250 MB in ~9,000 files (Kivy, OpenCV, dlib, numpy);
the stand-in here is 120 MB of incompressible data in 3,000 files (the real venv gzips from
580 MB to 253 MB; random data does not, so the archive here is as large as the tree).
Download: through the kiosk's TUF client from the reference central over mutual TLS on
loopback (verify included), beside the baseline of httpx fetching the same file plainly.
Apply: unpack + fsync + rename + symlink switch, beside the baseline of ``tar -x`` of the same
archive (no fsync). Rollback: a release whose UI exits at once, started the way systemd does
(boot helper, then the UI) until the boot helper rolls it back; the measured figure excludes
systemd's RestartSec, which the report adds for the deployed unit (3 s between the starts).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

FILES = 3000
TOTAL_MB = 120
RESTART_SEC = 3.0  # systemd/kiosk.service RestartSec


def _tree(base: Path, version: str, files: int, total: int) -> Path:
    tree = base / f"tree-{version}"
    per = total // files
    for i in range(files):
        d = tree / "venv" / "lib" / f"pkg{i % 60:02d}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"m{i}.so").write_bytes(os.urandom(per))
    (tree / "bin").mkdir()
    (tree / "VERSION").write_text(version)
    return tree


def run(results: dict[str, float], report: list[str]) -> None:
    import httpx

    from central_sim.pki import make_dev_pki
    from central_sim.release.artifact import build
    from central_sim.release.repository import ReleaseRepository
    from central_sim.server import run_in_thread
    from kiosk.update import releases
    from kiosk.update.client import UpdateClient
    from kiosk.update.fetcher import HttpFetcher
    from kiosk.update.lifecycle import Lifecycle
    from kiosk.update.settings import UpdateSettings
    from offline_queue.http_transport import make_ssl_context

    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        d = Path(tmp)
        repo = ReleaseRepository(d / "repo")
        repo.init()
        archive, _ = build(d / "dist", "2.0.0", tree=_tree(d, "2.0.0", FILES, TOTAL_MB * 1024 * 1024))
        t0 = time.perf_counter()
        repo.add_release(archive, version="2.0.0")
        publish_s = time.perf_counter() - t0
        size_mb = archive.stat().st_size / 1e6
        pki = make_dev_pki(d / "pki", ["FZ-BENCH-0001"])
        kiosk = pki["FZ-BENCH-0001"]
        h = run_in_thread(str(d / "c.sqlite"), seed=False, updates_dir=str(repo.dir),
                          ssl_certfile=pki["server"].cert_file, ssl_keyfile=pki["server"].key_file,
                          ssl_ca_certs=pki["ca"].cert_file, require_client_cert=True)
        try:
            root_copy = d / "root.json"
            repo.export_root(root_copy)
            s = UpdateSettings(releases_root=str(d / "kiosk"), trusted_root=str(root_copy), reserve_mb=0,
                               staging_max_mb=4096)
            old = build(d / "dist", "1.0.0", tree=_tree(d, "1.0.0", 10, 10_000))[0]
            releases.install(s.root, old, "1.0.0")
            releases.switch(s.root, "1.0.0")
            client = UpdateClient(s, h.url + "/updates/", HttpFetcher(
                ca_file=pki["ca"].cert_file, cert_file=kiosk.cert_file, key_file=kiosk.key_file))
            t0 = time.perf_counter()
            avail = client.check()
            staged = client.download(avail)
            download_s = time.perf_counter() - t0
            client.close()
            served = next((repo.targets_dir / "releases").glob("*.kiosk-2.0.0.tar.gz"))
            ctx = make_ssl_context(pki["ca"].cert_file, kiosk.cert_file, kiosk.key_file)
            t0 = time.perf_counter()
            with httpx.Client(verify=ctx) as http, http.stream(
                    "GET", f"{h.url}/updates/targets/releases/{served.name}") as r:
                n = sum(len(c) for c in r.iter_bytes(64 * 1024))
            plain_s = time.perf_counter() - t0
            assert n == served.stat().st_size
        finally:
            h.stop()
        t0 = time.perf_counter()
        Lifecycle(s).apply(staged, "2.0.0")
        apply_s = time.perf_counter() - t0
        (d / "untar").mkdir()
        t0 = time.perf_counter()
        subprocess.run(["tar", "-xf", str(staged), "-C", str(d / "untar")], check=True)
        untar_s = time.perf_counter() - t0
        rollback_s, boots = _rollback(d, s)

    results.update({
        "update.release_mb": round(size_mb, 1), "update.publish_s": round(publish_s, 2),
        "update.download_s": round(download_s, 2), "update.download_baseline_s": round(plain_s, 2),
        "update.apply_s": round(apply_s, 2), "update.apply_baseline_untar_s": round(untar_s, 2),
        "update.rollback_s": round(rollback_s, 2),
        "update.rollback_with_restart_sec_s": round(rollback_s + (boots - 1) * RESTART_SEC, 1),
    })
    report += [
        "## Signed updates (bench/update_bench.py)", "",
        f"Release: {size_mb:.0f} MB, {FILES} files. "
        f"Publish (hash + sign targets/snapshot/timestamp): {publish_s:.2f} s.",
        "",
        "| step | ours | baseline |", "|---|---|---|",
        f"| download over mTLS, TUF-verified | {download_s:.2f} s | plain httpx GET {plain_s:.2f} s |",
        f"| apply (unpack, fsync, rename, switch) | {apply_s:.2f} s | tar -x, no fsync {untar_s:.2f} s |",
        f"| broken release started → rolled back | {rollback_s:.2f} s ({boots} starts) | "
        f"+ systemd RestartSec between them: {rollback_s + (boots - 1) * RESTART_SEC:.1f} s |",
    ]


def _rollback(d: Path, s: Any) -> tuple[float, int]:
    """Start a release whose UI crashes, as systemd would, until the boot helper rolls it back."""
    from central_sim.release.artifact import build
    from kiosk.update import releases
    from kiosk.update.lifecycle import Lifecycle

    tree = d / "tree-broken"
    (tree / "bin").mkdir(parents=True)
    (tree / "VERSION").write_text("2.0.1")
    (tree / "bin" / "app.py").write_text("raise SystemExit(1)\n")
    Lifecycle(s).mark_good()
    archive, _ = build(d / "dist", "2.0.1", tree=tree)
    Lifecycle(s).apply(archive, "2.0.1")
    toml = d / "update.toml"
    toml.write_text(f'releases_root = "{s.releases_root}"\ntrusted_root = "{s.trusted_root}"\n', encoding="utf-8")
    t0 = time.perf_counter()
    boots = 0
    while releases.current_version(s.root) == "2.0.1":
        subprocess.run([sys.executable, "-m", "kiosk.cli", "update", "boot", "--update-config", str(toml)],
                       check=True, capture_output=True)
        boots += 1
        app = s.current_link / "bin" / "app.py"
        if app.exists():
            subprocess.run([sys.executable, str(app)], check=False)
        if boots > 20:
            raise RuntimeError("no rollback")
    return time.perf_counter() - t0, boots
