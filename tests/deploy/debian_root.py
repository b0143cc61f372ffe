"""Throwaway Debian 12 roots for the package install test.

A minimal bookworm tree (debootstrap --variant=minbase, plus the package's dependencies so
`dpkg -i` needs no network) is built once from the mirror apt is configured with, and kept
in /var/cache/sscard-kiosk-test/. Each test then gets a copy-on-write view of it through an
overlay mount, so the cached tree is never modified and a fresh root costs milliseconds.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.util
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

CACHE = Path("/var/cache/sscard-kiosk-test")
SUITE = "bookworm"


def _package_depends() -> list[str]:
    spec = importlib.util.spec_from_file_location("build_deb", Path(__file__).parents[2] / "packaging/build_deb.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.DEPENDS)


# The package's Depends (so dpkg -i needs no network), plus cage for the verify of
# kiosk-cage.service and pcscd, whose socket unit the UI units order after.
INCLUDE = (*_package_depends(), "pcscd", "cage")
DEBOOTSTRAP_TIMEOUT_S = 600


def apt_mirror() -> str:
    """The Debian archive URI apt is configured with (deb822 or one-line sources)."""
    texts = [p.read_text() for p in sorted(Path("/etc/apt/sources.list.d").glob("*.sources"))]
    for text in texts:
        for stanza in text.split("\n\n"):
            if re.search(rf"^Suites:.*\b{SUITE}\b", stanza, re.M):
                m = re.search(r"^URIs:\s*(\S+)", stanza, re.M)
                if m and "security" not in m.group(1):
                    return m.group(1)
    legacy = Path("/etc/apt/sources.list")
    if legacy.exists():
        m = re.search(rf"^deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+{SUITE}\s", legacy.read_text(), re.M)
        if m:
            return m.group(1)
    return "http://deb.debian.org/debian"


def base_tree() -> Path:
    """The cached base tree, built with debootstrap on first use (about a minute)."""
    mirror = apt_mirror()
    key = hashlib.sha256(f"{SUITE} {mirror} {' '.join(INCLUDE)}".encode()).hexdigest()[:12]
    base = CACHE / f"base-{SUITE}-{key}"
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one builder at a time
        if (base / ".complete").exists():
            return base
        for stale in CACHE.glob(f"base-{SUITE}-*"):  # trees for an older package Depends list
            shutil.rmtree(stale)
        partial = base.with_name(base.name + ".partial")
        if partial.exists():
            shutil.rmtree(partial)
        res = subprocess.run(
            ["debootstrap", "--variant=minbase", f"--include={','.join(INCLUDE)}", SUITE, str(partial), mirror],
            capture_output=True, text=True, timeout=DEBOOTSTRAP_TIMEOUT_S, check=False,
        )
        if res.returncode != 0:
            log = partial / "debootstrap/debootstrap.log"
            detail = log.read_text()[-3000:] if log.exists() else res.stderr[-3000:]
            raise RuntimeError(f"debootstrap from {mirror} failed:\n{detail}")
        (partial / ".complete").touch()
        partial.rename(base)
        return base


@contextlib.contextmanager
def throwaway_root(scratch: Path) -> Iterator[Path]:
    """A writable root over the cached base: an overlay mount, or a full copy without one."""
    base = base_tree()
    upper, work, root = scratch / "upper", scratch / "work", scratch / "root"
    for d in (upper, work, root):
        d.mkdir(parents=True)
    mounted = subprocess.run(
        ["mount", "-t", "overlay", "overlay", "-o", f"lowerdir={base},upperdir={upper},workdir={work}", str(root)],
        capture_output=True, text=True, check=False,
    ).returncode == 0
    if not mounted:
        subprocess.run(["cp", "-a", "--reflink=auto", f"{base}/.", str(root)], check=True)
    # like a running machine: maintainer scripts (systemd-tmpfiles) need /proc
    subprocess.run(["mount", "-t", "proc", "proc", str(root / "proc")], check=True)
    try:
        yield root
    finally:
        subprocess.run(["umount", "--lazy", str(root / "proc")], capture_output=True, check=False)
        if mounted:
            subprocess.run(["umount", "--lazy", str(root)], capture_output=True, check=False)
        # the upper layer holds root-owned files; clean it so pytest's tmp cleanup never trips
        shutil.rmtree(scratch, ignore_errors=True)
