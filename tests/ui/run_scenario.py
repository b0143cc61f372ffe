"""Runs UI scenarios in this process (one Kivy window) and prints one JSON report line.

    python -m tests.ui.run_scenario NAME[,NAME…] [--size 1280x800] [--lang zh]

Each scenario gets a fresh reference central (real HTTP, real SQLite) only if it asks for
one; scenarios of one run share the app, as a kiosk serves citizen after citizen.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

REPORT_PREFIX = "UI-REPORT "


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("names")
    ap.add_argument("--size", default="1280x800")
    ap.add_argument("--workdir", default="")
    ap.add_argument("--nice", type=int, default=0,
                    help="run at this niceness (the kiosk unit gives the UI a head start over batch work)")
    args = ap.parse_args(argv)
    if args.nice:
        import contextlib
        import os

        with contextlib.suppress(PermissionError):
            os.nice(args.nice)
    width, height = (int(v) for v in args.size.split("x"))
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="ui-scenario-"))
    report: dict[str, Any] = {"ok": False, "size": [width, height], "scenarios": {}}
    started = time.monotonic()
    try:
        from tests.ui import scenarios

        names = args.names.split(",")
        setup = scenarios.Setup(workdir, width, height, names)
        try:
            for name in names:
                t0 = time.monotonic()
                result = getattr(scenarios, name)(setup)
                result["seconds"] = round(time.monotonic() - t0, 2)
                report["scenarios"][name] = result
        finally:
            report["size_violations"] = setup.size_violations()
            setup.close()
        report["ok"] = True
    except BaseException as exc:  # the report must say what failed, whatever it was
        record_failure(report, exc)
    return emit(report, started)


def record_failure(report: dict[str, Any], exc: BaseException) -> None:
    """What failed, for the test that reads the report (call inside the ``except``)."""
    report["error"] = f"{type(exc).__name__}: {exc}"
    report["traceback"] = traceback.format_exc()[-4000:]


def emit(report: dict[str, Any], started: float) -> int:
    """Print the scenario's report as the one prefixed JSON line the tests look for."""
    report["seconds"] = round(time.monotonic() - started, 2)
    sys.stdout.write(REPORT_PREFIX + json.dumps(report, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    return 0 if report.get("ok") else 1


if __name__ == "__main__":
    raise SystemExit(main())
