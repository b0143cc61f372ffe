"""Run a reference central filled with a simulated fleet, for console demos and screenshots.

    python -m central_sim.fleet_demo --kiosks 2000 --port 8080 --dir fleet-sim

(then open http://127.0.0.1:8080/console; users viewer / operator / admin, and reviewer for the 户口簿
review desk; password = name). It lives
outside central_sim.console because it starts the server, which serves the console.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from central_sim.console.auth import CONFIG_ENV
from central_sim.console.simulate import SimClock, plan, populate, write_config
from central_sim.server import run_in_thread


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--kiosks", type=int, default=2000)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--db", default=":memory:")
    ap.add_argument("--dir", default="fleet-sim", help="where the console config and site registry are written")
    args = ap.parse_args()
    kiosks = plan(args.kiosks)
    users = {"viewer": ("viewer", "viewer"), "operator": ("operator", "operator"), "admin": ("admin", "admin"),
             "reviewer": ("viewer", "reviewer")}
    os.environ[CONFIG_ENV] = str(write_config(Path(args.dir), kiosks, users, {"reviewer": ["review"]}))
    clock = SimClock()
    handle = run_in_thread(args.db, port=args.port, clock=clock)
    populate(handle.url, clock, kiosks)
    print(f"{args.kiosks} simulated kiosks: {handle.url}/console "
          "(users viewer/operator/admin/reviewer, password = name)")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        handle.stop()


if __name__ == "__main__":
    main()
