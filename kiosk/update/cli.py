"""`kiosk update check|download|apply|rollback|status|boot|confirm`.

``apply``, ``boot`` and ``confirm`` write under the releases root (root-owned on a kiosk):
systemd runs them as root (ExecStartPre=+…, kiosk-update.service); see docs/updates.md.
Exit codes: 0 done, 1 refused or failed (message on stderr), 3 nothing to do / not now.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from kiosk.config import Config, load_config
from kiosk.update.client import UpdateClient, UpdateError
from kiosk.update.fetcher import BundleFetcher, HttpFetcher
from kiosk.update.health import NotNow, check, queue_held, read_ui_state, wait_for_switch_window
from kiosk.update.lifecycle import Lifecycle, QueueCheck
from kiosk.update.releases import ReleaseError, current_version, installed
from kiosk.update.remote import UpdateRequests
from kiosk.update.settings import UpdateSettings, load_settings

RESTART = ["systemctl", "restart", "--no-block", "kiosk.service"]


def make_client(cfg: Config, s: UpdateSettings, bundle: str = "") -> UpdateClient:
    url = s.repo_url(cfg)
    fetcher: Any
    if bundle or s.bundle_dir:
        fetcher = BundleFetcher(Path(bundle or s.bundle_dir), url)
    else:
        c = cfg.central
        fetcher = HttpFetcher(ca_file=c.ca_file, cert_file=c.cert_file, key_file=c.key_file, kiosk_id=cfg.kiosk.id,
                              connect_timeout_s=c.connect_timeout_s, read_timeout_s=c.read_timeout_s)
    return UpdateClient(s, url, fetcher)


def _ctx(args: argparse.Namespace) -> tuple[Config, UpdateSettings]:
    cfg = load_config(args.config)
    s = load_settings(cfg, args.update_config)
    if args.releases_root:
        s = UpdateSettings(**{**s.__dict__, "releases_root": args.releases_root})
    return cfg, s


def _out(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=1))


def _cmd(args: argparse.Namespace) -> int:
    cfg, s = _ctx(args)
    life = Lifecycle(s)
    try:
        return int(_dispatch(args, cfg, s, life))
    except (UpdateError, ReleaseError) as exc:
        print(f"更新失败 update failed: {exc}", file=sys.stderr)
        if args.action in ("apply", "run-request", "download"):
            life.record_failure(args.version or "?", getattr(exc, "code", "") or str(exc)[:120])
        return 1
    except NotNow as exc:
        print(f"暂不能更新 not now: {exc}", file=sys.stderr)
        return 3


def _dispatch(args: argparse.Namespace, cfg: Config, s: UpdateSettings, life: Lifecycle) -> int:
    action = args.action
    if action == "status":
        st = life.state()
        _out({"current": current_version(s.root), "installed": installed(s.root), **st.__dict__,
              "state": st.state})
        return 0
    if action == "boot":
        st = life.boot()
        _out({"current": current_version(s.root), "state": st.state, "boots": st.boots,
              "last_result": st.last_result})
        return 0
    if action == "rollback":
        st = life.rollback(args.reason)
        _out({"current": current_version(s.root), "last_result": st.last_result})
        return 0
    if action == "adopt":
        st = life.adopt(args.version or "", Path(args.venv))
        _out({"current": current_version(s.root), "good": st.good})
        return 0
    if action == "confirm":
        return _confirm(args, cfg, life)
    if action == "run-request":  # kiosk-update.service, started by kiosk-update.path
        return _run_request(args, cfg, s, life)
    client = make_client(cfg, s, args.bundle)
    try:
        avail = client.check(args.version)
        if action == "check":
            _out({"current": current_version(s.root), "available": avail.version, "length": avail.length,
                  "custom": avail.custom, "newer": avail.version != current_version(s.root)})
            return 0
        if avail.version == current_version(s.root):
            print(f"已是最新 already on {avail.version}", file=sys.stderr)
            return 3
        archive = client.download(avail)
        if action == "download":
            _out({"staged": str(archive), "version": avail.version})
            return 0
    finally:
        client.close()
    # apply
    def gate() -> None:
        if not args.no_wait:
            wait_for_switch_window(cfg, timeout_s=args.wait, request_out_of_service=lambda: _ask_out_of_service(cfg))

    def restart() -> None:
        if not args.no_restart:
            subprocess.run(RESTART, check=False)

    db = cfg.data_path(cfg.offline.queue_db)
    st = life.apply(archive, avail.version, gate=gate, restart=restart,
                    queue=QueueCheck(db, lambda: queue_held(db)))
    archive.unlink(missing_ok=True)  # installed: the staging area is free for the next one
    _out({"current": current_version(s.root), "pending": st.pending, "good": st.good})
    return 0


# Not the release's fault: the request is kept and tried again (kiosk-update.path starts the
# service again as soon as the request file is back, so the pause paces the retries).
TRANSIENT = ("repository_unreachable", "download_interrupted")


def _run_request(args: argparse.Namespace, cfg: Config, s: UpdateSettings, life: Lifecycle) -> int:
    requests = UpdateRequests(cfg.run_path(""))
    request = requests.take()
    if request is None:
        return 3
    args.version = request.get("version")
    try:
        return _dispatch(argparse.Namespace(**{**vars(args), "action": "apply"}), cfg, s, life)
    except (UpdateError, NotNow) as exc:
        code = getattr(exc, "code", "kiosk_busy")
        if code not in (*TRANSIENT, "kiosk_busy"):
            raise
        print(f"稍后重试 will retry: {exc}", file=sys.stderr)
        life.record_deferred(args.version or "channel release", code)
        time.sleep(args.retry_after)
        if requests.peek() is None:  # a newer command that arrived meanwhile wins
            requests.post(str(request.get("id", "")), args.version)
        return 3


def _ask_out_of_service(cfg: Config) -> None:
    import os

    from kiosk.command_spool import CommandSpool

    spool = CommandSpool(cfg.run_path(""))
    spool.post({"id": f"update-{time.time_ns()}", "type": "set_mode", "mode": "out_of_service",
                "message": "正在更新 updating"})
    if os.geteuid() == 0:  # the updater runs as root: the UI (the run directory's owner) must take the file
        owner = cfg.run_path("").stat()
        for p in (spool.commands, *spool.commands.iterdir()):
            os.chown(p, owner.st_uid, owner.st_gid)


def _confirm(args: argparse.Namespace, cfg: Config, life: Lifecycle) -> int:
    st = life.reconcile()
    if not st.pending:
        _out({"state": "good", "current": st.good})
        return 3
    boots = st.boots
    time.sleep(args.probation)  # a crash or watchdog kill within probation restarts the unit (boot counts it)
    if life.state().boots != boots:
        print("the UI restarted during probation; the next start checks again", file=sys.stderr)
        return 3
    report = check(cfg, read_ui_state(cfg), central_ok=lambda: _central_ok(cfg))
    if report.ok:
        st = life.mark_good()
        _out({"state": "good", "current": st.good, "notes": report.notes})
        return 0
    st = life.rollback("health check failed: " + "; ".join(report.problems))
    if not args.no_restart:
        subprocess.run(RESTART, check=False)
    _out({"state": "rolled_back", "last_result": st.last_result})
    return 1


def _central_ok(cfg: Config) -> bool:
    from kiosk.central.client import CentralClient
    from kiosk.central.errors import CentralError

    try:
        with CentralClient.from_config(cfg) as c:
            c.health()
        return True
    except (CentralError, OSError):
        return False


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    up = sub.add_parser("update", help="signed software updates (check, download, apply, rollback, status)")
    up.add_argument("action", choices=["check", "download", "apply", "rollback", "status", "boot", "confirm",
                                       "run-request", "adopt"])
    up.add_argument("--config", help="kiosk TOML configuration")
    up.add_argument("--update-config", help="update.toml (default: beside --config)")
    up.add_argument("--releases-root", help="override releases_root (tests, staging)")
    up.add_argument("--bundle", default="", help="an offline update bundle directory (USB)")
    up.add_argument("--version", dest="version", default=None, help="a specific release (default: the channel's)")
    up.add_argument("--wait", type=float, default=600.0, help="apply: seconds to wait for an idle kiosk")
    up.add_argument("--no-wait", action="store_true", help="apply: switch without waiting (technician on site)")
    up.add_argument("--no-restart", action="store_true", help="do not restart kiosk.service after the switch")
    up.add_argument("--probation", type=float, default=60.0, help="confirm: seconds the release must stay up")
    up.add_argument("--venv", default="/opt/sscard-kiosk/venv", help="adopt: the installed package's venv")
    up.add_argument("--retry-after", type=float, default=300.0,
                    help="run-request: pause before a request that met a busy kiosk or no link is retried")
    up.add_argument("--reason", default="by technician", help="rollback: recorded reason")
    up.set_defaults(func=_cmd)
