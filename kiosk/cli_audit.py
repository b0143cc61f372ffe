"""`kiosk audit verify|show`: check the hash chain of the audit log, or list its latest records."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from kiosk.audit import AUDIT_FILE, audit_key, verify_file
from offline_queue import KeyFileError, load_key_file


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", help="kiosk TOML configuration (data_dir and queue key)")
    common.add_argument("--file", help="audit log file (overrides the configuration)")
    common.add_argument("--key", help="queue key file the chain key derives from (overrides the configuration)")
    a = sub.add_parser("audit", help="audit log: verify the hash chain, show records")
    asub = a.add_subparsers(dest="audit_command", required=True)
    asub.add_parser("verify", parents=[common], help="detect deleted, edited or reordered records"
                    ).set_defaults(func=handle)
    show = asub.add_parser("show", parents=[common], help="the latest records (masked)")
    show.add_argument("--limit", type=int, default=50)
    show.set_defaults(func=handle)


def _paths(args: argparse.Namespace) -> tuple[Path, Path]:
    from kiosk.config import load_config

    cfg = load_config(args.config)
    log = Path(args.file) if args.file else cfg.data_path(AUDIT_FILE)
    key = Path(args.key) if args.key else cfg.data_path(cfg.offline.queue_key_file)
    return log, key


def handle(args: argparse.Namespace) -> int:
    log, key_path = _paths(args)
    try:
        key = audit_key(load_key_file(key_path))
    except KeyFileError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    if args.audit_command == "verify":
        result = verify_file(log, key)
        print(str(result))
        return 0 if result.ok else 1
    lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    for line in lines[-args.limit:]:
        rec = json.loads(line)
        print(f"{rec.get('seq'):>6} {rec.get('at')} {rec.get('kind'):11} {rec.get('actor'):10} "
              f"{rec.get('action')} {rec.get('outcome')} {rec.get('detail')}")
    return 0
