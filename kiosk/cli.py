"""`kiosk` command line: run the kiosk, the reference central, and the technician tools."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable

from kiosk.config import ConfigError
from kiosk.logs import setup_logging
from kiosk.startup_guard import StartupRefused, prepare

log = logging.getLogger("kiosk.cli")


def _cmd_run(args: argparse.Namespace) -> int:
    cfg = prepare(args.config)  # the start-up guard, before Kivy or any device is touched
    from kiosk.app_main import run_app

    return run_app(cfg, screenshot=args.screenshot, exit_after=args.exit_after)


def _cmd_central_sim(args: argparse.Namespace) -> int:
    from kiosk.dev_central import DevCentralMissing, run_cli  # an entry point of the development distribution

    try:
        return run_cli(args.rest)
    except DevCentralMissing as exc:
        print(str(exc), file=sys.stderr)
        return 2


def _cmd_sync(args: argparse.Namespace) -> int:
    cfg = prepare(args.config)  # the same guard as `kiosk run`
    from kiosk.sync import SyncService

    return SyncService(cfg).run()


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kiosk", description="社会保障卡自助服务终端 / social security card kiosk")
    p.add_argument("--log-level", default="INFO")
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="start the kiosk UI")
    run.add_argument("--config", help="TOML configuration file (default: built-in defaults)")
    run.add_argument("--screenshot", help="run offscreen, save a PNG of the first frame to PATH, exit")
    run.add_argument("--exit-after", type=float, default=None, help="exit after SECONDS")
    run.set_defaults(func=_cmd_run)

    sy = sub.add_parser("sync", help="run the queue forwarder and the heartbeat on their own (kiosk-sync.service)")
    sy.add_argument("--config", required=True)
    sy.set_defaults(func=_cmd_sync)

    cs = sub.add_parser("central-sim", help="run the reference central server", add_help=False)
    cs.add_argument("rest", nargs=argparse.REMAINDER)
    cs.set_defaults(func=_cmd_central_sim)

    for register in _extensions():
        register(sub)
    return p


def _extensions() -> list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]]:
    """Subcommands that live in their own modules (hal, queue, …)."""
    from kiosk import cli_hal, simctl

    regs: list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]] = [
        cli_hal.add_parser, simctl.add_parser]
    try:
        import importlib

        regs.append(importlib.import_module("kiosk.cli_queue").add_parser)
    except ImportError:
        pass
    from kiosk import cli_audit, cli_maintenance

    regs += [cli_audit.add_parser, cli_maintenance.add_parser]
    from kiosk.update import cli as cli_update  # signed updates (docs/updates.md)

    regs.append(cli_update.add_parser)
    return regs


def main(argv: list[str] | None = None) -> int:
    raw = list(sys.argv[1:] if argv is None else argv)
    if "central-sim" in raw:  # its own parser takes every option after it (argparse REMAINDER cannot)
        at = raw.index("central-sim")
        args = build_parser().parse_args([*raw[:at], "central-sim"])
        args.rest = raw[at + 1 :]
    else:
        args = build_parser().parse_args(raw)
    setup_logging(args.log_level)
    try:
        rc: int = args.func(args)
        return rc
    except StartupRefused as exc:  # `kiosk run` / `kiosk sync`: one line, a code per cause
        print(exc.line(args.command), file=sys.stderr)
        return int(exc.code)
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
