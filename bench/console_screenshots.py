"""Screenshots of the fleet console for docs/fleet/ (1920×1080, 2,000 simulated kiosks, headless Chromium).

    .venv/bin/python -m bench.console_screenshots [OUT_DIR]
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
from pathlib import Path

import httpx

from central_sim.clock import CST, rfc3339
from central_sim.console import simulate
from central_sim.console.auth import CONFIG_ENV, SESSION_COOKIE
from central_sim.server import run_in_thread
from tests.fleet.browser import chromium
from tests.fleet.test_reviews import waiting_application

ROOT = Path(__file__).resolve().parent.parent
KIOSKS = 2000
SHOTS = {
    "console-overview-zh.png": "/console?lang=zh",
    "console-overview-en-gulou.png": "/console?lang=en&district=GL&all=1",
    "console-map-zh.png": "/console/map?lang=zh",
}


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        kiosks = simulate.plan(KIOSKS)
        os.environ[CONFIG_ENV] = str(simulate.write_config(Path(tmp), kiosks, {"wang": ("operator", "demo")},
                                                           {"wang": ["review"]}))
        clock = simulate.SimClock()
        handle = run_in_thread(str(Path(tmp) / "central.sqlite"), clock=clock)
        try:
            simulate.populate(handle.url, clock, kiosks)
            faulty = next(k.kiosk_id for k in kiosks if k.kind == "device_fault")
            with httpx.Client(base_url=handle.url, timeout=60) as client:
                client.post("/console/login", data={"user": "wang", "password": "demo"})
                cookie = client.cookies[SESSION_COOKIE]
                csrf = client.get("/console/api/session").json()["csrf"]
                headers = {"X-CSRF-Token": csrf}
                detail = client.get(f"/console/api/kiosks/{faulty}").json()
                client.post(f"/console/api/alarms/{detail['alarms'][0]['event_id']}", headers=headers,
                            json={"op": "assign", "assignee": "李工", "note": "带备件前往"}).raise_for_status()
                client.post(f"/console/api/kiosks/{faulty}/actions", headers=headers,
                            json={"action": "self_tests", "reason": "确认制卡机故障范围", "confirm": True}
                            ).raise_for_status()
            for seq in ("086", "112", "358"):  # three girls (even) applying by the household register, to review
                waiting_application(handle, seq)
            ended = clock() - dt.timedelta(minutes=20)  # a loss report's receipt, as the counter types it
            txn = f"{ended.astimezone(CST):%Y%m%d%H%M%S}-{faulty[-4:]}-A1B2C3"
            event = {"event_id": "shot-txn", "at": rfc3339(ended), "type": "transaction_outcome",
                     "severity": "info", "code": "loss_report.done", "message": "applied", "transaction_no": txn}
            httpx.post(f"{handle.url}/v1/kiosks/{faulty}/events", json={"events": [event]}, timeout=30,
                       headers={"X-Kiosk-Id": faulty, "Idempotency-Key": "shot-txn"}).raise_for_status()
            shots = {**SHOTS, "console-reviews-zh.png": "/console/reviews?lang=zh",
                     "console-transaction-zh.png": f"/console/transactions?lang=zh&no={txn}",
                     "console-kiosk-zh.png": f"/console/kiosks/{faulty}?lang=zh",
                     "console-kiosk-en.png": f"/console/kiosks/{faulty}?lang=en"}
            with chromium() as browser:
                context = browser.new_context(viewport={"width": 1920, "height": 1080})
                context.add_cookies([{"name": SESSION_COOKIE, "value": cookie, "url": handle.url}])
                page = context.new_page()
                for name, path in shots.items():
                    page.goto(handle.url + path, wait_until="load")
                    page.screenshot(path=str(out / name))
                    print(out / name)
        finally:
            handle.stop()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "fleet")
