"""Build the sscard-kiosk Debian package with dpkg-deb over a staged tree (`make deb`).

The package carries a self-contained virtualenv in /opt/sscard-kiosk/venv, made with the
target's own interpreter (Debian's /usr/bin/python3.11) from wheels pinned by
requirements.lock: only the runtime closure of the project's dependencies, not the dev
tools. Wheels are collected once into a cache directory (pip takes them from its own cache
or the configured indexes), so rebuilds run offline.

The venv is built inside the staging tree and then made relocatable to its final path:
script shebangs and activate scripts are rewritten and the bytecode is compiled with the
final source paths (the kiosk user cannot write __pycache__ under ProtectSystem=strict).

Signed updates (docs/updates.md): the package ships the TUF root the kiosk trusts
(kiosk/update/trusted_root.json) and the update units. The root is a build input, never a file
of the source tree: ``--trusted-root PATH`` takes the root exported at the key ceremony
(``kiosk-release export-root``); ``--dev-repo DIR`` (``make deb``) makes or reuses a
development repository there and ships its root, for demo and test kiosks only.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata as md
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
import zipfile
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "packaging"
PACKAGE = "sscard-kiosk"
APP_DIR = "/opt/sscard-kiosk"
VENV_DIR = APP_DIR + "/venv"
TARGET_PYTHON = "/usr/bin/python3.11"  # Debian 12's python3; the venv links to it

# Runtime libraries the wheels load from the system (everything else is bundled in them).
DEPENDS = [
    "python3.11",
    "systemd",
    "libpcsclite1",  # pyscard
    "libusb-1.0-0",  # pyusb
    "libgl1",
    "libegl1",
    "libmtdev1",  # Kivy's SDL2/GL and multitouch
    "fonts-hanazono",  # fallback glyphs for rare characters in names (kiosk/fonts.py)
]
RECOMMENDS = ["pcscd", "cage", "xwayland", "libpam-systemd"]


def _run(*cmd: str | Path, cwd: Path | None = None) -> None:
    t0 = time.monotonic()
    subprocess.run([str(c) for c in cmd], check=True, cwd=cwd)
    print(f"build_deb: {time.monotonic() - t0:5.1f} s  {Path(str(cmd[0])).name} {' '.join(map(str, cmd[1:3]))}",
          file=sys.stderr, flush=True)


def project_version() -> str:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return str(data["project"]["version"])


def locked_versions() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[canonicalize_name(name)] = version.strip()
    return pins


def runtime_pins() -> dict[str, str]:
    """Name -> version for the project's runtime dependency closure.

    The closure comes from the installed project's metadata (the dev venv this script runs
    in); versions from requirements.lock, or for the few packages pip freeze leaves out of
    the lock (setuptools) the version installed in the dev venv.
    """
    lock = locked_versions()
    pins: dict[str, str] = {}
    todo = [PACKAGE]
    while todo:
        name = canonicalize_name(todo.pop())
        if name in pins:
            continue
        dist = md.distribution(name)
        pins[name] = lock.get(name, dist.version)
        for spec in dist.requires or []:
            req = Requirement(spec)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    del pins[canonicalize_name(PACKAGE)]
    return dict(sorted(pins.items()))


def _wheel_key(filename: str) -> tuple[str, str]:
    name, version = filename.split("-")[:2]
    return canonicalize_name(name), version


def _pip(*args: str | Path) -> None:
    """The dev venv's pip, acting on another interpreter (pip --python)."""
    _run(sys.executable, "-m", "pip", "--python", *args)


def collect_wheels(pins: dict[str, str], wheelhouse: Path) -> list[Path]:
    """One wheel per pin in `wheelhouse`, fetching or building only the missing ones."""
    wheelhouse.mkdir(parents=True, exist_ok=True)

    def index() -> dict[tuple[str, str], Path]:
        found: dict[tuple[str, str], Path] = {}
        for whl in wheelhouse.glob("*.whl"):
            name, version = _wheel_key(whl.name)
            found[(name, version)] = whl
            found[(name, _normalise_version(version))] = whl
        return found

    def missing() -> list[str]:
        have = index()
        return [f"{n}=={v}" for n, v in pins.items() if (n, _normalise_version(v)) not in have]

    if todo := missing():
        print(f"build_deb: collecting {len(todo)} wheels into {wheelhouse}", flush=True)
        # run as the target interpreter, so sdists (pyscard) build for it
        _pip(TARGET_PYTHON, "wheel", "-q", "--no-deps", "--wheel-dir", wheelhouse, *todo)
    if still := missing():
        raise SystemExit(f"build_deb: no wheel for {', '.join(still)}")
    have = index()
    return [have[(n, _normalise_version(v))] for n, v in pins.items()]


def _normalise_version(version: str) -> str:
    return str(re.sub(r"[-_]", ".", version.lower()))


TRUSTED_ROOT = "kiosk/update/trusted_root.json"  # where kiosk/update/settings.py looks (SHIPPED_ROOT)


def check_trusted_root(path: Path) -> bytes:
    """A TUF root that signs itself to its own threshold; anything else would leave every kiosk
    answering ``bad_trusted_root`` to its first update."""
    from tuf.api.exceptions import UnsignedMetadataError
    from tuf.api.metadata import Metadata, Root

    try:
        data = path.read_bytes()
        md = Metadata[Root].from_bytes(data)
    except (OSError, ValueError) as exc:
        raise SystemExit(f"build_deb: --trusted-root {path}: not a TUF root: {exc}") from None
    if not isinstance(md.signed, Root):
        raise SystemExit(f"build_deb: --trusted-root {path}: a {md.signed.type} metadata file, not root")
    try:
        md.verify_delegate(Root.type, md)
    except UnsignedMetadataError as exc:
        raise SystemExit(f"build_deb: --trusted-root {path}: not signed to its own threshold: {exc}") from None
    return data


def dev_trusted_root(repo: Path) -> Path:
    """The development repository's root (made with kiosk-release on first use, reused after)."""
    root = repo / "metadata/root.json"
    if not root.exists():
        # keys unencrypted under <repo>/keys: a repository for demo and test kiosks only
        _run(sys.executable, "-m", "central_sim.release.cli", "--repo", repo, "init", cwd=ROOT)
    exported = repo / "trusted_root.json"
    _run(sys.executable, "-m", "central_sim.release.cli", "--repo", repo, "export-root", exported, cwd=ROOT)
    return exported


def build_project_wheel(work: Path, trusted_root: bytes | None = None) -> Path:
    """The project's wheel, built from a clean copy of the tree (setuptools' build/ dir in
    the checkout can hold modules deleted since, and would ship them), with ``trusted_root``
    as kiosk/update/trusted_root.json (a root.json lying in the checkout is never shipped)."""
    src, out = work / "src", work / "dist"
    src.mkdir(parents=True)
    shutil.copy(ROOT / "pyproject.toml", src)
    include = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]["include"]
    for pattern in include:
        for pkg in ROOT.glob(pattern):
            if pkg.is_dir():
                shutil.copytree(pkg, src / pkg.name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (src / TRUSTED_ROOT).unlink(missing_ok=True)
    if trusted_root is not None:
        (src / TRUSTED_ROOT).write_bytes(trusted_root)
    _run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
         "--wheel-dir", out, src)
    (whl,) = out.glob("sscard_kiosk-*.whl")
    check_product_only(whl)
    return whl


# The development distribution's packages (central_sim/pyproject.toml): never on an appliance.
DEV_ONLY = ("central_sim/", "hal/emulators/")


def check_product_only(whl: Path) -> None:
    """Refuse a kiosk wheel that carries the reference central or the device emulators."""
    with zipfile.ZipFile(whl) as z:
        names = z.namelist()
    leaked = [pkg for pkg in DEV_ONLY if any(n.startswith(pkg) for n in names)]
    if leaked:
        raise SystemExit(f"build_deb: {whl.name} carries development-only packages: {', '.join(leaked)}")


def make_venv(stage: Path, wheels: list[Path], project_whl: Path, wheelhouse: Path) -> None:
    venv = stage / VENV_DIR.lstrip("/")
    # No pip inside: the appliance never installs anything itself; pip acts on it from outside.
    _run(TARGET_PYTHON, "-m", "venv", "--without-pip", venv)
    python = venv / "bin/python"
    # --no-deps over the full pinned list: exactly these versions, nothing resolved anew.
    _pip(python, "install", "-q", "--no-index", "--find-links", wheelhouse, "--no-deps", "--no-compile",
         *wheels, project_whl)
    _pip(python, "check")
    ship_assets(venv)
    relocate(stage, venv)
    _run(TARGET_PYTHON, "-m", "compileall", "-q", "-j0", "-s", stage, "-p", "/", venv / "lib")


def ship_assets(venv: Path) -> None:
    """Put assets/ where the code looks for it: next to the packages (kiosk/fonts.py,
    screens/i18n.py resolve ``<package>/../assets``), with the generated CJK font."""
    _run(sys.executable, "-m", "kiosk.fonts", "generate", cwd=ROOT)
    site = venv / "lib/python3.11/site-packages"
    shutil.copytree(ROOT / "assets", site / "assets", ignore=shutil.ignore_patterns("*.tmp", "__pycache__"))


def relocate(stage: Path, venv: Path) -> None:
    """Rewrite staging paths in the venv's text files to the installed path."""
    staged = str(venv).encode()
    final = VENV_DIR.encode()
    candidates = [p for p in (venv / "bin").iterdir() if p.is_file() and not p.is_symlink()]
    candidates.append(venv / "pyvenv.cfg")
    for path in candidates:
        data = path.read_bytes()
        if staged in data and b"\0" not in data[:1024]:
            path.write_bytes(data.replace(staged, final))
    leftovers = [str(p) for p in candidates if staged in p.read_bytes()]
    if leftovers:
        raise SystemExit(f"build_deb: staging path left in {leftovers}")


def _install(src: Path, dst: Path, mode: int = 0o644) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)
    dst.chmod(mode)


# kiosk.service runs the current release (the drop-in); postinst makes the package's venv the
# first release (`kiosk update adopt`), and kiosk-update.path is enabled with the other units.
UNITS = ("kiosk.service", "kiosk-sync.service", "kiosk-cage.service",
         "kiosk-update.service", "kiosk-update.path", "kiosk-update-confirm.service")
DROP_INS = ("kiosk.service.d/50-releases.conf",)


def stage_files(stage: Path) -> None:
    sd = ROOT / "systemd"
    for unit in (*UNITS, *DROP_INS):
        _install(sd / unit, stage / "lib/systemd/system" / unit)
    _install(sd / "tmpfiles.d/sscard-kiosk.conf", stage / "usr/lib/tmpfiles.d/sscard-kiosk.conf")
    _install(sd / "sysusers.d/sscard-kiosk.conf", stage / "usr/lib/sysusers.d/sscard-kiosk.conf")
    _install(sd / "journald.conf.d/sscard-kiosk.conf",
             stage / "usr/lib/systemd/journald.conf.d/sscard-kiosk.conf")
    _install(sd / "pam.d/sscard-kiosk-cage", stage / "etc/pam.d/sscard-kiosk-cage")
    _install(sd / "udev/60-sscard-kiosk.rules", stage / "usr/lib/udev/rules.d/60-sscard-kiosk.rules")
    _install(HERE / "kiosk.toml", stage / "etc/sscard-kiosk/kiosk.toml")
    doc = stage / "usr/share/doc" / PACKAGE
    _install(ROOT / "docs/deployment.md", doc / "README.md")
    _install(HERE / "copyright", doc / "copyright")
    link = stage / "usr/bin/sscard-kiosk"
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(VENV_DIR + "/bin/kiosk")


def write_control(stage: Path, version: str) -> None:
    debian = stage / "DEBIAN"
    debian.mkdir()
    size_kib = sum(p.lstat().st_size for p in stage.rglob("*") if not p.is_dir()) // 1024
    control = "\n".join([
        f"Package: {PACKAGE}",
        f"Version: {version}",
        "Architecture: amd64",
        "Maintainer: SSCard kiosk team <kiosk@example.invalid>",
        f"Installed-Size: {size_kib}",
        f"Depends: {', '.join(DEPENDS)}",
        f"Recommends: {', '.join(RECOMMENDS)}",
        "Section: misc",
        "Priority: optional",
        "Description: self-service social security card kiosk (Fuzhou rules)",
        " Kivy kiosk UI, device drivers, offline queue forwarder and heartbeat, run as",
        " hardened systemd services (kiosk.service or kiosk-cage.service, kiosk-sync.service).",
        "",
    ])
    (debian / "control").write_text(control)
    (debian / "conffiles").write_text("/etc/sscard-kiosk/kiosk.toml\n/etc/pam.d/sscard-kiosk-cage\n")
    for script in ("postinst", "prerm", "postrm"):
        _install(HERE / "debian" / script, debian / script, 0o755)
    sums = []
    for p in sorted(stage.rglob("*")):
        rel = p.relative_to(stage)
        if p.is_file() and not p.is_symlink() and rel.parts[0] != "DEBIAN" and rel.parts[0] != "etc":
            sums.append(f"{hashlib.md5(p.read_bytes()).hexdigest()}  {rel}\n")
    (debian / "md5sums").write_text("".join(sums))


def build(out_dir: Path, cache: Path, work: Path, trusted_root: Path) -> Path:
    os.umask(0o022)  # the kiosk user must read everything under /opt
    version = project_version()
    root_json = check_trusted_root(trusted_root)
    if work.exists():
        shutil.rmtree(work)
    stage = work / "stage"
    stage.mkdir(parents=True)
    wheelhouse = cache / "wheels"
    wheels = collect_wheels(runtime_pins(), wheelhouse)
    project_whl = build_project_wheel(work, root_json)
    make_venv(stage, wheels, project_whl, wheelhouse)
    stage_files(stage)
    write_control(stage, version)
    out_dir.mkdir(parents=True, exist_ok=True)
    deb = out_dir / f"{PACKAGE}_{version}_amd64.deb"
    _run("dpkg-deb", "--root-owner-group", "-Zzstd", "-z3", "--build", stage, deb)
    shutil.rmtree(work)
    return deb


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--out", type=Path, default=ROOT / "dist", help="where the .deb goes")
    ap.add_argument("--cache", type=Path, default=Path(os.environ.get(
        "SSCARD_DEB_CACHE", Path.home() / ".cache/sscard-kiosk-deb")), help="wheel cache directory")
    ap.add_argument("--work", type=Path, default=ROOT / "build/deb", help="scratch directory")
    trust = ap.add_mutually_exclusive_group(required=True)
    trust.add_argument("--trusted-root", type=Path,
                       help="the TUF root kiosks trust for updates (`kiosk-release export-root`)")
    trust.add_argument("--dev-repo", type=Path,
                       help="make or reuse a development release repository here and ship its root")
    args = ap.parse_args(argv)
    root = args.trusted_root or dev_trusted_root(args.dev_repo)
    deb = build(args.out, args.cache, args.work, root)
    print(deb)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
