"""UI benchmark: cold start to the first frame of the attract screen, offscreen, median of 5,
beside a bare-Kivy "hello world" cold start measured in the same run (interleaved).

Each start is a fresh interpreter (``python -m bench.ui_bench child kiosk|bare``) with its own
KIVY_HOME and no DISPLAY (SDL offscreen). The clock runs from the spawn to the line the child
prints on the first ``Window.on_flip`` after its first screen is up.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

RUNS = 5
ROOT = Path(__file__).resolve().parent.parent
MARK = "FIRST-FRAME"


def _child_bare() -> None:
    from kivy.app import App
    from kivy.core.window import Window
    from kivy.uix.label import Label

    class Hello(App):  # type: ignore[misc]  # Kivy has no type information
        def build(self) -> Any:
            Window.bind(on_flip=self._flip)
            return Label(text="Hello world")

        def _flip(self, *_a: Any) -> None:
            print(MARK, flush=True)
            self.stop()

    Hello().run()


def _child_kiosk(work: str) -> None:
    import dataclasses

    from kiosk.config import load_config, simulated

    cfg = simulated(load_config(None))
    cfg = dataclasses.replace(
        cfg,
        kiosk=dataclasses.replace(cfg.kiosk, data_dir=str(Path(work) / "kiosk")),
        central=dataclasses.replace(cfg.central, url="http://127.0.0.1:9", connect_timeout_s=0.5),
        ui=dataclasses.replace(cfg.ui, width=1920, height=1080),
    )
    from screens.bootstrap import configure_kivy, register_fonts

    configure_kivy(cfg, headless=True)
    from kiosk.runtime import Runtime

    rt = Runtime(cfg)
    rt.start()
    register_fonts()
    from kivy.core.window import Window

    from kiosk.ui_feeds import runtime_feeds
    from screens.app import KioskApp

    app = KioskApp(rt, runtime_feeds(rt))

    def flip(*_a: Any) -> None:
        if app.sm.current in ("attract", "out_of_service"):
            Window.unbind(on_flip=flip)
            print(MARK, app.sm.current, flush=True)
            app.stop()

    Window.bind(on_flip=flip)
    try:
        app.run()
    finally:
        rt.stop()


def _start_once(kind: str) -> float:
    work = tempfile.mkdtemp(prefix=f"ui-bench-{kind}-")
    env = {**os.environ, "KIVY_HOME": str(Path(work) / "kivy"), "KIVY_NO_ARGS": "1", "KIVY_NO_CONSOLELOG": "1",
           "PYTHONPATH": str(ROOT)}
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    Path(env["KIVY_HOME"]).mkdir(parents=True)
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "bench.ui_bench", "child", kind, work], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    elapsed = None
    for line in proc.stdout:
        if line.startswith(MARK):
            elapsed = time.perf_counter() - t0
            break
    proc.wait(30)
    if elapsed is None:
        raise RuntimeError(f"{kind} start showed no first frame (exit {proc.returncode})")
    return elapsed


def run(results: dict[str, float], report: list[str]) -> None:
    _start_once("kiosk")  # one unmeasured start: font extraction, Kivy's first config, disk cache
    _start_once("bare")
    kiosk: list[float] = []
    bare: list[float] = []
    for _ in range(RUNS):
        kiosk.append(_start_once("kiosk"))
        bare.append(_start_once("bare"))
    k, b = statistics.median(kiosk), statistics.median(bare)
    results["ui.cold_start_s"] = round(k, 3)
    results["ui.cold_start_ratio_vs_bare_kivy"] = round(k / b, 2)
    report += [
        "## UI cold start (offscreen, 1920x1080, to the first frame of the attract screen)",
        "",
        "| start | median of 5 | runs |",
        "|---|---|---|",
        f"| kiosk app (runtime on simulators + attract screen) | {k:.2f} s | {', '.join(f'{v:.2f}' for v in kiosk)} |",
        f"| bare Kivy hello world (baseline) | {b:.2f} s | {', '.join(f'{v:.2f}' for v in bare)} |",
        "",
        f"Ratio kiosk / bare Kivy: {k / b:.2f}. Goal: kiosk under 1.5 s.",
    ]


if __name__ == "__main__":
    if sys.argv[1:2] == ["child"]:
        if sys.argv[2] == "bare":
            _child_bare()
        else:
            _child_kiosk(sys.argv[3])
    else:
        res: dict[str, float] = {}
        lines: list[str] = []
        run(res, lines)
        print("\n".join(lines))
        print(res)
