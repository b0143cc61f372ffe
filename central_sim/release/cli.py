"""`kiosk-release`: build release archives and keep the signed TUF repository (docs/updates.md).

  kiosk-release --repo DIR init [--root-keys 3 --root-threshold 2 --targets-keys 2 --targets-threshold 2]
  kiosk-release --repo DIR build --version V (--deb F | --wheels DIR | --tree DIR) [--out DIR]
  kiosk-release --repo DIR publish --version V ARCHIVE [--channel stable]
  kiosk-release --repo DIR timestamp                 # re-sign the timestamp (timer, every few hours)
  kiosk-release --repo DIR rotate ROLE [--revoke KEYID ...] [--add N] [--threshold N]
  kiosk-release --repo DIR export-root PATH          # the root the kiosk package ships
  kiosk-release --repo DIR list
``--keys DIR`` keeps the private keys elsewhere than ``<repo>/keys`` (an offline medium).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from central_sim.release import artifact
from central_sim.release.keys import KeyError_
from central_sim.release.repository import ReleaseRepository, RepositoryError


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kiosk-release", description="kiosk release repository (TUF)")
    p.add_argument("--repo", required=True, help="repository directory (metadata/ and targets/ are public)")
    p.add_argument("--keys", default=None, help="private keys directory (default: <repo>/keys)")
    sub = p.add_subparsers(dest="action", required=True)
    i = sub.add_parser("init")
    i.add_argument("--root-keys", type=int, default=3)
    i.add_argument("--root-threshold", type=int, default=2)
    i.add_argument("--targets-keys", type=int, default=1)
    i.add_argument("--targets-threshold", type=int, default=1)
    b = sub.add_parser("build")
    b.add_argument("--version", required=True)
    src = b.add_mutually_exclusive_group(required=True)
    src.add_argument("--deb", type=Path)
    src.add_argument("--wheels", type=Path)
    src.add_argument("--tree", type=Path)
    b.add_argument("--out", type=Path, default=Path("dist"))
    pub = sub.add_parser("publish")
    pub.add_argument("--version", required=True)
    pub.add_argument("--channel", default="stable")
    pub.add_argument("archive", type=Path)
    sub.add_parser("timestamp")
    r = sub.add_parser("rotate")
    r.add_argument("role", choices=["root", "targets", "snapshot", "timestamp"])
    r.add_argument("--revoke", nargs="*", default=[])
    r.add_argument("--add", type=int, default=1)
    r.add_argument("--threshold", type=int, default=None)
    e = sub.add_parser("export-root")
    e.add_argument("dest", type=Path)
    sub.add_parser("list")
    ro = sub.add_parser("rollout", help="start, widen or watch a staged rollout on the central (loopback admin)")
    ro.add_argument("--central", default="http://127.0.0.1:8480")
    ro.add_argument("--version", default=None, help="start (or widen) a rollout of this release")
    ro.add_argument("--percent", type=float, default=0.0)
    ro.add_argument("--kiosks", nargs="*", default=[])
    ro.add_argument("--max-failure-rate", type=float, default=0.2)
    ro.add_argument("--min-results", type=int, default=3)
    ro.add_argument("--watch", type=float, default=0.0, help="tick every SECONDS until done or halted")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    repo = ReleaseRepository(Path(args.repo), Path(args.keys) if args.keys else None)
    try:
        if args.action == "init":
            root = repo.init(root_keys=args.root_keys, root_threshold=args.root_threshold,
                             targets_keys=args.targets_keys, targets_threshold=args.targets_threshold)
            print(json.dumps({role: {"keyids": r.keyids, "threshold": r.threshold}
                              for role, r in root.signed.roles.items()}, indent=1))
        elif args.action == "build":
            out, manifest = artifact.build(args.out, args.version, tree=args.tree, deb=args.deb, wheels=args.wheels)
            print(json.dumps({"archive": str(out), **manifest}, indent=1))
        elif args.action == "publish":
            man = _manifest(args.archive)
            if man.get("version") != args.version:
                raise RepositoryError(f"the archive holds release {man.get('version')!r}, not {args.version!r}")
            path = repo.add_release(args.archive, version=args.version, channel=args.channel,
                                    custom={"queue_schema": man.get("queue_schema")})
            print(path)
        elif args.action == "timestamp":
            print(f"timestamp version {repo.write_timestamp()}")
        elif args.action == "rotate":
            md = repo.rotate(args.role, add=args.add, revoke=args.revoke, threshold=args.threshold)
            print(f"root version {md.signed.version}: {args.role} keys {md.signed.roles[args.role].keyids}")
        elif args.action == "export-root":
            repo.export_root(args.dest)
        elif args.action == "list":
            print(json.dumps(repo.releases(), indent=1, sort_keys=True))
        elif args.action == "rollout":
            return _rollout(args)
    except (RepositoryError, KeyError_, ValueError, OSError) as exc:
        print(f"kiosk-release: {exc}", file=sys.stderr)
        return 1
    return 0


def _rollout(args: argparse.Namespace) -> int:
    """The central decides (central_sim/release/rollout.py); this only asks it to tick and shows the result."""
    import time

    import httpx

    url = args.central.rstrip("/") + "/_admin/rollout"
    with httpx.Client(timeout=30) as http:
        if args.version:
            r = http.post(url, json={"version": args.version, "percent": args.percent, "kiosks": args.kiosks,
                                     "max_failure_rate": args.max_failure_rate, "min_results": args.min_results})
        else:
            r = http.get(url)
        while True:
            if r.status_code != 200:
                print(f"kiosk-release: {r.status_code} {r.text}", file=sys.stderr)
                return 1
            status = r.json()
            print(json.dumps(status, ensure_ascii=False), flush=True)
            if not args.watch or status.get("status") != "active":
                return 2 if status.get("status") == "halted" else 0
            time.sleep(args.watch)
            r = http.get(url)


def _manifest(archive: Path) -> dict[str, object]:
    import tarfile

    with tarfile.open(archive) as tar:
        f = tar.extractfile("manifest.json")
        if f is None:
            raise RepositoryError(f"{archive} has no manifest.json")
        data: dict[str, object] = json.load(f)
    return data


if __name__ == "__main__":
    raise SystemExit(main())
