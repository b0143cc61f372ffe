"""The fleet console at 5,000 simulated kiosks against the /monitor table it supersedes.

An in-process reference central (SQLite), populated over HTTP by central_sim.console.simulate. Measured:
page weight (bytes of HTML + script), server time, and first contentful paint in headless Chromium for
/console (first page of the exception list) and /monitor (every kiosk in one table); the server time of
filtered, searched and paged list queries (median of 20). Keys: console.*.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from central_sim.console import simulate
from central_sim.console.auth import CONFIG_ENV, SESSION_COOKIE
from central_sim.server import ServerHandle, run_in_thread

KIOSKS = int(os.environ.get("CONSOLE_BENCH_KIOSKS", "5000"))
QUERIES = {
    "default (exceptions, by severity)": "/console",
    "district filter, all kiosks": "/console?district=FQ&all=1",
    "state filter: silent": "/console?state=silent",
    "search 'GL-01'": "/console?q=gl-01&all=1",
    "version + page 5": "/console?version=0.1.1&all=1&page=5",
    "JSON API, district + class": "/console/api/kiosks?district=GL&device_class=issuing&all=1",
}


def _fcp(handle: ServerHandle, cookie: str, path: str) -> tuple[float, int]:
    """First contentful paint (ms) and transferred bytes of ``path`` in headless Chromium (median of 3)."""
    from tests.fleet.browser import chromium

    paints, sizes = [], []
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1920, "height": 1080})
        context.add_cookies([{"name": SESSION_COOKIE, "value": cookie, "url": handle.url}])
        for _ in range(3):
            page = context.new_page()
            page.goto(handle.url + path, wait_until="load")
            page.wait_for_function("performance.getEntriesByName('first-contentful-paint').length > 0")
            paint = page.evaluate(  # the paint entry may come after "load": wait for it
                "new Promise(ok => new PerformanceObserver(l => ok(l.getEntries()[0].startTime))"
                ".observe({type: 'paint', buffered: true}))")
            size = page.evaluate("performance.getEntriesByType('navigation')[0].decodedBodySize + "
                                 "performance.getEntriesByType('resource').reduce((a, r) => a + r.decodedBodySize, 0)")
            paints.append(float(paint))
            sizes.append(int(size))
            page.close()
    return statistics.median(paints), max(sizes)


def run(results: dict[str, float], report: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        kiosks = simulate.plan(KIOSKS)
        os.environ[CONFIG_ENV] = str(simulate.write_config(Path(tmp), kiosks, {"bench": ("viewer", "bench")}))
        clock = simulate.SimClock()
        handle = run_in_thread(str(Path(tmp) / "central.sqlite"), clock=clock)
        try:
            t0 = time.perf_counter()
            simulate.populate(handle.url, clock, kiosks)
            populate_s = time.perf_counter() - t0
            with httpx.Client(base_url=handle.url, timeout=120) as client:
                client.post("/console/login", data={"user": "bench", "password": "bench"})
                cookie = client.cookies[SESSION_COOKIE]
                client.get("/console")  # the console's first sync of every kiosk
                times = {}
                for name, path in QUERIES.items():
                    samples = []
                    for _ in range(20):
                        t = time.perf_counter()
                        client.get(path).raise_for_status()
                        samples.append((time.perf_counter() - t) * 1000)
                    times[name] = statistics.median(samples)
                monitor_ms = statistics.median(
                    _timed(client, "/monitor") for _ in range(5))
            console_fcp, console_bytes = _fcp(handle, cookie, "/console")
            monitor_fcp, monitor_bytes = _fcp(handle, cookie, "/monitor")
        finally:
            handle.stop()
            os.environ.pop(CONFIG_ENV, None)
    results.update({"console.page_bytes": console_bytes, "console.monitor_page_bytes": monitor_bytes,
                    "console.fcp_ms": console_fcp, "console.monitor_fcp_ms": monitor_fcp,
                    "console.default_list_ms": times["default (exceptions, by severity)"],
                    "console.monitor_server_ms": monitor_ms,
                    "console.filter_max_ms": max(times.values())})
    report += [
        f"## Fleet console at {KIOSKS:,} simulated kiosks (in-process central, SQLite;"
        f" populated in {populate_s:.0f} s)",
        "",
        "| page | weight (HTML + script) | first contentful paint (Chromium) |",
        "|---|---|---|",
        f"| /console (KPIs + first 50 exceptions) | {console_bytes / 1024:.0f} KiB | {console_fcp:.0f} ms |",
        f"| baseline: /monitor (all kiosks, one table) | {monitor_bytes / 1024:.0f} KiB | {monitor_fcp:.0f} ms |",
        "",
        f"Server time of /monitor: {monitor_ms:.0f} ms (median of 5).",
        "",
        "| console query (server time, median of 20) | ms |",
        "|---|---|",
        *(f"| {name} | {ms:.1f} |" for name, ms in times.items()),
    ]


def _timed(client: httpx.Client, path: str) -> float:
    t = time.perf_counter()
    client.get(path).raise_for_status()
    return (time.perf_counter() - t) * 1000


if __name__ == "__main__":
    res: dict[str, float] = {}
    lines: list[str] = []
    run(res, lines)
    print("\n".join(lines))
