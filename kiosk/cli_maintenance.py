"""`kiosk tech add|list|remove|unlock` (technician accounts, 0600 file) and `kiosk secrets check`."""

from __future__ import annotations

import argparse
import getpass
import sys

from kiosk.config import Config, load_config
from kiosk.maintenance.auth import TECHNICIAN_FILE, TechnicianStore
from kiosk.maintenance.roles import Role


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", help="kiosk TOML configuration (data_dir)")
    t = sub.add_parser("tech", help="technician accounts (art. 37 roles)")
    ts = t.add_subparsers(dest="tech_command", required=True)
    add = ts.add_parser("add", parents=[common], help="add a technician (password from stdin or a prompt)")
    add.add_argument("--id", required=True, help="technician ID (3-16 letters or digits)")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--card-code", default="", help="identification code of the technician's card")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.add_argument("--replace", action="store_true", help="replace an existing account")
    add.set_defaults(func=handle)
    ts.add_parser("list", parents=[common], help="accounts, roles and lock state").set_defaults(func=handle)
    for name, text in (("remove", "remove an account"), ("unlock", "clear failures and the lockout")):
        p = ts.add_parser(name, parents=[common], help=text)
        p.add_argument("--id", required=True)
        p.set_defaults(func=handle)
    s = sub.add_parser("secrets", help="secret files: 0600 and owned by the kiosk user")
    ss = s.add_subparsers(dest="secrets_command", required=True)
    ss.add_parser("check", parents=[common], help="exit 1 if the kiosk would refuse to start"
                  ).set_defaults(func=handle_secrets)


def _store(cfg: Config) -> TechnicianStore:
    return TechnicianStore(cfg.data_path(TECHNICIAN_FILE))


def _audit(cfg: Config, action: str, detail: str) -> None:
    """Provisioning is a technician action too: into the audit log when the queue key is there."""
    from kiosk.audit import AUDIT_FILE, AUDIT_KEY_FILE, open_audit_log
    from offline_queue import KeyFileError, load_key_file

    try:
        key = load_key_file(cfg.data_path(cfg.offline.queue_key_file))
        log = open_audit_log(cfg.data_path(AUDIT_FILE), cfg.data_path(AUDIT_KEY_FILE), key)
    except KeyFileError:
        return
    log.append("technician", "cli", action, "ok", detail)


def handle(args: argparse.Namespace) -> int:
    cfg = load_config(args.config)
    store = _store(cfg)
    cmd = args.tech_command
    try:
        if cmd == "add":
            if args.password_stdin:
                password = sys.stdin.readline().rstrip("\n")
            else:
                password = getpass.getpass("password: ")
                if getpass.getpass("again: ") != password:
                    print("passwords differ", file=sys.stderr)
                    return 2
            tech = store.add(args.id, Role(args.role), password, args.card_code, replace=args.replace)
            _audit(cfg, "tech.add", f"{tech.tech_id} role={tech.role.value}")
            print(f"technician {tech.tech_id} ({tech.role.value}) saved to {store.path} (0600)")
        elif cmd == "list":
            for tech in store.load().values():
                lock = f" locked_until={tech.locked_until:.0f}" if tech.locked_until else ""
                card = " card" if tech.card_code else ""
                print(f"{tech.tech_id:16} {tech.role.value:18} failures={tech.failures}{lock}{card}")
        elif cmd == "remove":
            if not store.remove(args.id):
                print(f"no technician {args.id}", file=sys.stderr)
                return 3
            _audit(cfg, "tech.remove", args.id)
            print(f"technician {args.id} removed")
        elif cmd == "unlock":
            if not store.unlock(args.id):
                print(f"no technician {args.id}", file=sys.stderr)
                return 3
            _audit(cfg, "tech.unlock", args.id)
            print(f"technician {args.id} unlocked")
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    return 0


def handle_secrets(args: argparse.Namespace) -> int:
    from kiosk.secrets_check import check_secrets

    problems = check_secrets(load_config(args.config))
    for p in problems:
        print(p, file=sys.stderr)
    if not problems:
        print("secrets OK: 0600 and owned by this user")
    return 1 if problems else 0
