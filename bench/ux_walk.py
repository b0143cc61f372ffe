"""The usability walk for docs/ux-review.md: each service driven by the scripted citizen of
tests/ui/scenarios.py on simulated hardware, counting what the citizen does and sees.

    python -m bench.ux_walk [--size 1280x800] [--json OUT.json]

Per service: screen taps (touch screen), PIN-pad key presses, physical actions (ID card placed,
card inserted or taken), the flow screens shown (distinct, in order; the busy screens such as
"submitting" included), the kiosk's seconds from the first tap to the attract screen again (the
scripted citizen acts at once, so this is the kiosk's own time on simulated hardware) and a
citizen's time estimated from those counts (:func:`citizen_seconds`). The
scripts include a deliberate slip or two where the scenario tests a correction (contact_change:
a mistyped digit, a page turned forth and back), so the taps are the scripted path, not the
fewest possible. One Kivy window per process: the walk runs in a child process.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# Two kiosks, in tests/ui/test_ui.py's order: loss_cancel and replace serve the same seeded citizen
# (card_lost), each from the state the seed gives; pin_change comes before loss_report freezes its card.
GROUPS = (("pin_change", "loss_report", "activate", "loss_cancel", "contact_change", "progress_query"),
          ("photo", "issuance", "replace", "pin_reset"))
SERVICES = tuple(n for g in GROUPS for n in g if n != "photo")  # photo: the camera's scenario, prepares pin_reset
PREFIX = "UX-WALK "
# screens that only say "please wait": shown, but nothing to read or do
BUSY = {"lookup", "submitting", "printing", "opening_account", "producing", "changing", "authorising",
        "verifying", "reporting_loss", "checking_card", "otp_checking", "payment_ordering", "payment_done",
        "submitting_documents"}
ROOT = Path(__file__).resolve().parent.parent


def child(size: str, names: list[str]) -> int:
    width, height = (int(v) for v in size.split("x"))
    from tests.ui import scenarios
    from tests.ui.harness import UiHarness

    counts = {"taps": 0, "keys": 0, "physical": 0}
    tap = UiHarness.tap

    def counted_tap(self: UiHarness, kiosk_id: str, timeout: float = 10.0) -> None:
        counts["taps"] += 1
        tap(self, kiosk_id, timeout)

    UiHarness.tap = counted_tap  # type: ignore[method-assign]
    setup = scenarios.Setup(Path(tempfile.mkdtemp(prefix="ux-walk-")), width, height, names)
    dev = setup.devices

    def counting(obj: Any, method: str, key: str) -> None:
        real = getattr(obj, method)

        def wrapper(*a: Any, **kw: Any) -> Any:
            counts[key] += 1
            return real(*a, **kw)

        setattr(obj, method, wrapper)

    counting(dev.pin_pad, "press", "keys")
    counting(dev.id_reader, "place", "physical")
    counting(dev.card_reader, "insert", "physical")
    counting(dev.issuer, "take_card", "physical")
    results: dict[str, Any] = {}
    try:
        for name in names:
            for k in counts:
                counts[k] = 0
            t0 = time.monotonic()
            try:
                out = getattr(scenarios, name)(setup)
            except Exception as exc:  # one broken walk must not hide the others' numbers
                results[name] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
                setup.h.close()
                break
            seconds = time.monotonic() - t0
            screens = [s for s in out.get("screens", []) if s]
            busy = [x for x in screens if x in BUSY]
            results[name] = {**counts, "screens": len(screens), "busy_screens": len(busy), "screen_names": screens,
                             "seconds": round(seconds, 1), "end": out.get("end", "")}
    finally:
        setup.close()
    sys.stdout.write(PREFIX + json.dumps(results) + "\n")
    return 0


# A citizen's own time, after the keystroke-level model: reading a screen that asks something,
# each tap (find and press), each PIN-pad key, each physical action (take out, place, insert or
# take a card). The scripted citizen acts at once; these add what a person needs.
READ_S, TAP_S, KEY_S, PHYSICAL_S = 3.0, 1.5, 0.6, 4.0


def citizen_seconds(r: dict[str, Any]) -> float:
    asking = r["screens"] - r.get("busy_screens", 0)
    own = asking * READ_S + r["taps"] * TAP_S + r["keys"] * KEY_S + r["physical"] * PHYSICAL_S
    return float(round(r["seconds"] + own))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="1280x800")
    ap.add_argument("--json", default="")
    ap.add_argument("--child", action="store_true")
    ap.add_argument("--services", default="")
    args = ap.parse_args(argv)
    if args.child:
        return child(args.size, args.services.split(","))
    env = {**os.environ, "PYTHONPATH": os.getcwd(), "KIVY_NO_ARGS": "1", "KIVY_NO_CONSOLELOG": "1"}
    env.pop("DISPLAY", None)
    results: dict[str, Any] = {}
    for group in GROUPS:
        proc = subprocess.run([sys.executable, "-m", "bench.ux_walk", "--child", "--size", args.size,
                               "--services", ",".join(group)], env=env, capture_output=True, text=True, timeout=1200)
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(PREFIX)]
        if not lines:
            sys.stderr.write(proc.stderr[-4000:])
            return 1
        results.update({k: v for k, v in json.loads(lines[-1][len(PREFIX):]).items() if k in SERVICES})
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1), encoding="utf-8")
    print("| service | screen taps | PIN-pad keys | physical actions | screens | kiosk seconds | citizen seconds "
          "(model) | end |")
    print("|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        if "error" in r:
            print(f"| {name} | failed: {r['error']} |")
            continue
        cells = (name, r["taps"], r["keys"], r["physical"], r["screens"], r["seconds"], citizen_seconds(r), r["end"])
        print("| " + " | ".join(str(c) for c in cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
