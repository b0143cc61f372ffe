"""Voice guidance on the UI thread: what one spoken view costs the main thread (clip lookup and
the speaker's non-blocking play), against the bare play call; and the prompts' size on disk."""

from __future__ import annotations

import time
from dataclasses import replace

from hal.sim.audio import SimAudio
from kiosk.domain.services import ServiceId
from kiosk.flows.base import View
from kiosk.voice.narrator import Narrator, PromptLibrary
from kiosk.voice.paths import PROMPTS_DIR

N = 2000


def run(results: dict[str, float], report: list[str]) -> None:
    library = PromptLibrary()
    views = [View(service=ServiceId.LOSS_REPORT, screen=f"s{i % 2}", step=1, total=5,
                  title="service.loss_report", message=m, params={"name": "张*", "sex": "2", "id": "3501**********1234",
                                                                 "tries_left": "3", "hotline": "12333"},
                  reasons=("reason.pin_wrong",))
             for i, m in enumerate(("prompt.confirm_loss", "prompt.confirm_loss_offline"))]
    files = library.files(["zh.prompt.place_id_card", "zh.num.3"])

    audio = SimAudio(clip_seconds=0.0)
    t0 = time.perf_counter()
    for _ in range(N):
        audio.stop()
        audio.play(files)
    baseline_us = (time.perf_counter() - t0) / N * 1e6

    narrator = Narrator(SimAudio(clip_seconds=0.0), library=library)
    t0 = time.perf_counter()
    for i in range(N):
        narrator.view(views[i % 2], "zh")
    spoken_us = (time.perf_counter() - t0) / N * 1e6

    same = replace(views[0], params={**views[0].params, "digits": "1"})
    narrator.view(views[0], "zh")
    t0 = time.perf_counter()
    for _ in range(N):
        narrator.view(same, "zh")  # a live update: nothing said
    live_us = (time.perf_counter() - t0) / N * 1e6

    size_mb = sum(p.stat().st_size for p in PROMPTS_DIR.glob("*.ogg")) / 1e6
    results.update({"voice.view_spoken_us": round(spoken_us, 1), "voice.view_live_update_us": round(live_us, 1),
                    "voice.baseline_stop_play_us": round(baseline_us, 1), "voice.prompts_mb": round(size_mb, 2),
                    "voice.clips": float(len(library.paths))})
    report += ["## Voice guidance (main-thread cost per view)", "",
               "| case | µs per call |", "|---|---|",
               f"| baseline: speaker stop + play (sim) | {baseline_us:.1f} |",
               f"| narrator.view, new screen (lookup + stop + play) | {spoken_us:.1f} |",
               f"| narrator.view, live update (silent) | {live_us:.1f} |", "",
               f"{len(library.paths)} clips, {size_mb:.2f} MB in assets/prompts/.", ""]
