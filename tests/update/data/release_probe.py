"""Stand-in for the kiosk UI inside the booted test root, run from the *current release's* venv.

It imports kiosk.watchdog from the release (a broken release breaks right there), sends
READY=1, then like the UI: publishes ui-state.json, obeys set_mode commands from the spool and
pings the watchdog. Appends "start <release>" to /var/lib/sscard-kiosk/release-probe.log.
"""

import json
import os
import sys
import time
from pathlib import Path

release = Path(sys.prefix).parent.resolve().name  # venv's parent: releases/<version>
log = Path("/var/lib/sscard-kiosk/release-probe.log")
with log.open("a") as f:
    f.write(f"start {release}\n")

from kiosk import watchdog  # noqa: E402  (after the start line: a broken release fails here)

run = Path("/var/lib/sscard-kiosk/run")
run.mkdir(exist_ok=True)
spool = run / "ui-commands"
mode = "in_service"
watchdog.notify("READY=1")
while True:
    if spool.is_dir():
        for path in sorted(spool.glob("[0-9]*.json")):
            cmd = json.loads(path.read_text())
            if cmd.get("type") == "set_mode":
                mode = cmd["mode"]
            path.unlink()
    tmp = run / f".ui-state.{os.getpid()}"
    tmp.write_text(json.dumps({"mode": mode, "in_transaction": False, "devices": {}, "written_at": time.time()}))
    tmp.replace(run / "ui-state.json")
    watchdog.watchdog_ping()
    time.sleep(0.5)
