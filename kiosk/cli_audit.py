"""`kiosk audit verify|show`: check the hash chain of the audit log (and, online, against the heads
the central anchored), or list its latest records."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from kiosk.audit import AUDIT_FILE, AUDIT_KEY_FILE, Anchor, audit_key, load_audit_key, verify_file
from offline_queue import KeyFileError, load_key_file

SHOW_FIELDS = ("seq", "at", "kind", "actor", "action", "outcome", "detail")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", help="kiosk TOML configuration (data_dir, keys, central)")
    common.add_argument("--file", help="audit log file (overrides the configuration)")
    common.add_argument("--key", help="audit key file (default: audit.key in the data directory)")
    a = sub.add_parser("audit", help="audit log: verify the hash chain, show records")
    asub = a.add_subparsers(dest="audit_command", required=True)
    verify = asub.add_parser("verify", parents=[common],
                             help="detect deleted, edited or reordered records; online also a cut tail or a "
                                  "rebuilt chain (against the heads the central anchored)")
    verify.add_argument("--offline", action="store_true", help="do not ask the central")
    verify.set_defaults(func=handle)
    show = asub.add_parser("show", parents=[common], help="the latest records (masked)")
    show.add_argument("--limit", type=int, default=50)
    show.set_defaults(func=handle)


def _central_anchors(cfg: Any) -> tuple[list[Anchor] | None, str, str]:
    """(anchors, the central's own finding, why not checked); anchors None when the central was not reached."""
    from kiosk.central import requests as rq
    from kiosk.central.client import CentralClient
    from kiosk.central.errors import CentralError

    try:
        with CentralClient.from_config(cfg) as client:
            reply = client.call(rq.AUDIT_HEAD, None)
    except CentralError as exc:
        return None, "", f"central not reached ({exc.code})"
    except (ValueError, ValidationError, OSError) as exc:  # configuration (e.g. TLS files), a malformed reply
        return None, "", f"central not usable ({type(exc).__name__})"
    return [Anchor(a.seq, a.head) for a in reply.anchors], reply.problem, ""


def _printable(value: object, limit: int = 200) -> str:
    # A damaged line may hold terminal control sequences: never echo them.
    return "".join(c if c.isprintable() else "?" for c in str(value))[:limit]


def show_lines(log: Path, limit: int) -> list[str]:
    """The last ``limit`` lines as text; a damaged line (garbage, torn, not UTF-8) is shown as damaged."""
    try:
        raw = log.read_bytes()
    except FileNotFoundError:
        return []
    lines = raw.splitlines()
    start = max(0, len(lines) - max(0, limit))
    out = []
    for n, line in enumerate(lines[start:], start + 1):
        try:
            rec = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            rec = None
        if not isinstance(rec, dict):
            out.append(f"{n:>6} <损坏的行 damaged line: {len(line)} bytes; run `kiosk audit verify`>")
            continue
        seq, at, kind, actor, action, outcome, detail = (_printable(rec.get(f, "")) for f in SHOW_FIELDS)
        out.append(f"{seq:>6} {at} {kind:11} {actor:10} {action} {outcome} {detail}")
    return out


def handle(args: argparse.Namespace) -> int:
    from kiosk.config import load_config

    cfg = load_config(args.config)
    log = Path(args.file) if args.file else cfg.data_path(AUDIT_FILE)
    if args.audit_command == "show":
        for line in show_lines(log, args.limit):
            print(line)
        return 0
    key_path = Path(args.key) if args.key else cfg.data_path(AUDIT_KEY_FILE)
    try:
        key = load_audit_key(key_path)
    except KeyFileError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    try:  # records from before audit.key existed verify with the old queue-derived key
        legacy: bytes | None = audit_key(load_key_file(cfg.data_path(cfg.offline.queue_key_file)))
    except KeyFileError:
        legacy = None
    anchors, flagged, why = (None, "", "not asked (--offline)") if args.offline else _central_anchors(cfg)
    result = verify_file(log, key, legacy_key=legacy, anchors=anchors)
    print(str(result))
    if why:
        print(f"未与中心核对 not checked against the central: {why}")
    if flagged:
        print(f"中心发现审计链异常 the central flagged this kiosk's audit chain: {_printable(flagged, 300)}")
    return 0 if result.ok and not flagged else 1
