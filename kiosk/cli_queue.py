"""`kiosk queue status|list|show ID|retry ID|retry-dead|export-dead|flush|init-key`: the technician's
view of the offline queue. Output is masked: ids, keys, states, errors, masked summaries — never bodies.

The queue database and key come from ``--db``/``--key``, or from the configuration (``--config``:
``offline.queue_db`` and ``offline.queue_key_file`` under ``kiosk.data_dir``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from hal.atomic_file import write_atomic
from offline_queue import (
    BodyCipher,
    Bounds,
    ItemNotFound,
    KeyFileError,
    OfflineQueueError,
    Outbox,
    State,
    create_key_file,
    load_key_file,
)
from offline_queue.store import iso


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", help="kiosk TOML configuration (queue paths and bounds)")
    common.add_argument("--db", help="queue database file (overrides the configuration)")
    common.add_argument("--key", help="queue key file, mode 0600 (overrides the configuration)")
    common.add_argument("--json", action="store_true", help="machine-readable output")

    q = sub.add_parser("queue", help="offline queue: status, dead letters, retries")
    qs = q.add_subparsers(dest="queue_command", required=True)
    qs.add_parser("status", parents=[common], help="depth, oldest age, dead letters, bytes").set_defaults(func=handle)
    ls = qs.add_parser("list", parents=[common], help="items waiting, dead or set aside (masked)")
    ls.add_argument("--state", action="append", choices=[s.value for s in State])
    ls.add_argument("--limit", type=int, default=200)
    ls.set_defaults(func=handle)
    show = qs.add_parser("show", parents=[common], help="one item (masked)")
    show.add_argument("id", type=int)
    show.set_defaults(func=handle)
    retry = qs.add_parser("retry", parents=[common], help="send a dead/set-aside/flagged item again")
    retry.add_argument("id", type=int)
    retry.set_defaults(func=handle)
    qs.add_parser("retry-dead", parents=[common], help="send every dead letter again").set_defaults(func=handle)
    exp = qs.add_parser("export-dead", parents=[common], help="dead letters as JSON (masked)")
    exp.add_argument("--output", help="write to this file instead of stdout")
    exp.set_defaults(func=handle)
    qs.add_parser("flush", parents=[common], help="forget backoffs: the forwarder sends everything now").set_defaults(
        func=handle
    )
    qs.add_parser("init-key", parents=[common], help="create a new key file (0600)").set_defaults(func=handle)


def _paths(args: argparse.Namespace) -> tuple[Path, Path, Bounds]:
    bounds = Bounds()
    db = Path(args.db) if args.db else None
    key = Path(args.key) if args.key else None
    if args.config or db is None or key is None:
        from kiosk.config import load_config

        cfg = load_config(args.config)
        off = cfg.offline
        bounds = Bounds(max_items=off.max_items, max_bytes=off.max_bytes, max_age_s=off.max_age_days * 86400)
        db = db or cfg.data_path(off.queue_db)
        key = key or cfg.data_path(off.queue_key_file)
    return db, key, bounds


def _out(args: argparse.Namespace, data: Any, text: str) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2) if args.json else text)


def handle(args: argparse.Namespace) -> int:
    db, key, bounds = _paths(args)
    cmd = args.queue_command
    try:
        if cmd == "init-key":
            create_key_file(key)
            _out(args, {"key_file": str(key)}, f"created {key} (0600)")
            return 0
        if not db.exists():
            print(f"队列数据库不存在 no queue database at {db}", file=sys.stderr)
            return 3
        with Outbox(db, BodyCipher(load_key_file(key)), bounds) as ob:
            return _run(cmd, args, ob)
    except KeyFileError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except ItemNotFound as exc:
        print(str(exc), file=sys.stderr)
        return 3
    except (OfflineQueueError, ValueError) as exc:
        print(str(exc), file=sys.stderr)
        return 1


def _run(cmd: str, args: argparse.Namespace, ob: Outbox) -> int:
    if cmd == "status":
        st = ob.status()
        _out(args, st.to_json(), "\n".join(f"{k:14} {v}" for k, v in st.to_json().items()))
    elif cmd == "list":
        items = ob.list_items(args.state, limit=args.limit)
        lines = [
            f"{i.id:>7} {i.state:11} p{i.priority} {i.service:16} {i.method} {i.path:32} "
            f"tries={i.attempts} {iso(i.created_at)} {i.summary} {i.last_error or ''}"
            for i in items
        ]
        _out(args, [i.to_json() for i in items], "\n".join(lines) or "(empty)")
    elif cmd == "show":
        info = ob.get(args.id).to_json()
        _out(args, info, "\n".join(f"{k:16} {v}" for k, v in info.items()))
    elif cmd == "retry":
        info = ob.retry(args.id).to_json()
        _out(args, info, f"item {args.id} queued again ({info['state']})")
    elif cmd == "retry-dead":
        n = ob.retry_dead()
        _out(args, {"retried": n}, f"{n} dead letters queued again")
    elif cmd == "export-dead":
        text = json.dumps(ob.export_dead(), ensure_ascii=False, indent=2)
        if args.output:
            write_atomic(args.output, text + "\n")
        else:
            print(text)
    elif cmd == "flush":
        ob.make_all_due()
        _out(args, {"flushed": True}, "all pending items are due now")
    return 0
