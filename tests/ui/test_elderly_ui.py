"""Elderly mode (适老化) on the real app, offscreen, at 1280x800, in Chinese and in English (two
subprocesses run side by side; see tests/ui/elderly_scenario.py): one tap turns it on for the
session, every view of the session renders 1.5x larger, it is off again at the session's end and
on an idle attract screen, the idle countdown and "need more time?" follow the longer timeouts,
and no text is clipped nor below 7:1 contrast on any screen of the main flows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from screens.theme import ELDERLY, INK, MUTED, NORMAL, PAPER, SOFT, WHITE
from tests.ui.harness import contrast_ratio
from tests.ui.run_scenario import REPORT_PREFIX

pytestmark = pytest.mark.ui
ROOT = Path(__file__).resolve().parents[2]
LANGS = ("zh", "en")
NORMAL_MESSAGE_PX = 32 * 1.15  # the flow message at 1280x800 in the normal look
IDLE_S, FACTOR = 60, 2.0  # tests.ui.scenarios.Setup's idle timeout; the [voice] default factor


@pytest.fixture(scope="module")
def walks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DISPLAY", None)
    procs = {}
    for lang in (*LANGS, "normal"):
        work = tmp_path_factory.mktemp(f"elderly-{lang}")
        extra = ["--normal"] if lang == "normal" else ["--lang", lang]
        procs[lang] = subprocess.Popen([sys.executable, "-m", "tests.ui.elderly_scenario", str(work), *extra],
                                       cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    reports: dict[str, dict[str, Any]] = {}
    for lang, proc in procs.items():
        out, err = proc.communicate(timeout=240)
        lines = [ln for ln in out.splitlines() if ln.startswith(REPORT_PREFIX)]
        assert lines, f"{lang}: no report (exit {proc.returncode}):\n{err[-3000:]}"
        reports[lang] = json.loads(lines[-1][len(REPORT_PREFIX):])
    return reports


def ok(walks: dict[str, dict[str, Any]], lang: str) -> dict[str, Any]:
    r = walks[lang]
    assert r["ok"], f"{r.get('error')}\n{r.get('traceback', '')}\n{r.get('clip_violations')}"
    return r


@pytest.mark.parametrize("lang", LANGS)
def test_no_text_is_clipped_on_any_screen_of_the_main_flows_at_1280x800(walks: dict[str, Any], lang: str) -> None:
    r = ok(walks, lang)
    assert r["checker_catches"] == {"wraps_out": True, "pushed_out": True, "grey_on_white": True}
    assert r["clip_checks"] > 500
    assert r["clip_violations"] == []


@pytest.mark.parametrize("lang", LANGS)
def test_the_on_screen_pin_pad_in_elderly_mode_counts_digits_without_a_hardware_pad_picture(
        walks: dict[str, Any], lang: str) -> None:
    r = ok(walks, lang)
    assert r["onscreen_dots"].count("●") == 6 and not r["onscreen_picture"]


def test_the_normal_look_clips_no_text_either_at_1280x800(walks: dict[str, Any]) -> None:
    r = ok(walks, "normal")
    assert r["clip_checks"] > 200
    assert r["clip_violations"] == []


@pytest.mark.parametrize("lang", LANGS)
def test_every_text_is_at_least_7_to_1_on_what_it_is_drawn_on(walks: dict[str, Any], lang: str) -> None:
    r = ok(walks, lang)
    assert r["contrast_checks"] > 500
    assert r["contrast_violations"] == []


@pytest.mark.parametrize("lang", LANGS)
def test_32px_text_and_80px_targets_hold_in_elderly_mode_too(walks: dict[str, Any], lang: str) -> None:
    assert ok(walks, lang)["size_violations"] == []


@pytest.mark.parametrize("lang", LANGS)
def test_elderly_mode_holds_for_every_view_of_the_session_and_resets_at_its_end(walks: dict[str, Any],
                                                                                lang: str) -> None:
    r = ok(walks, lang)
    assert r["views_normal"] == []  # not one view of an elderly session in the normal look
    services = {k.split("/")[0] for k in r["views"]}
    assert services == {"loss_report", "pin_change", "contact_change", "apply", "progress_query"}
    for view, (smallest, _largest) in r["views"].items():
        assert smallest >= 1.5 * NORMAL_MESSAGE_PX - 0.01, view
    assert [s["service"] for s in r["sessions"]] == ["loss_report", "pin_change", "pin_change", "contact_change",
                                                     "apply", "progress_query", "apply"]
    assert [s["end"] for s in r["sessions"]] == ["done", "done", "cancelled", "done", "done", "done", "refused"]
    for s in r["sessions"]:
        assert s["elderly_at_end"] and not s["elderly_after"], s
        assert s["attract_font_after"] == r["normal_attract_font"], s  # the next citizen: normal look
    assert r["elderly_attract_font"] >= 1.5 * r["normal_attract_font"] - 0.01


@pytest.mark.parametrize("lang", LANGS)
def test_an_idle_attract_screen_wipes_elderly_mode_and_a_second_tap_turns_it_off(walks: dict[str, Any],
                                                                                 lang: str) -> None:
    r = ok(walks, lang)
    assert r["idle_wiped"] and r["font_after_idle"] == r["normal_attract_font"]
    assert r["switched_off_by_tap"] and r["oos_elderly"]


@pytest.mark.parametrize("lang", LANGS)
def test_the_attract_screen_pages_one_service_group_at_a_time(walks: dict[str, Any], lang: str) -> None:
    pages = ok(walks, lang)["pages"]
    assert [len(p) for p in pages] == [3, 3, 3, 3]  # one group a page (was 4/4/1 with no groups)
    assert len({s for p in pages for s in p}) == 12  # ten services, the e-card sign-in, the counter guidance


@pytest.mark.parametrize("lang", LANGS)
def test_the_countdown_and_the_more_time_prompt_follow_the_longer_timeout(walks: dict[str, Any], lang: str) -> None:
    r = ok(walks, lang)
    longer = int(IDLE_S * FACTOR)
    assert longer - 2 <= r["countdown_elderly"] <= longer  # not the normal 60 s
    assert str(r["countdown_elderly"]) in r["countdown_text"] or str(longer) in r["countdown_text"]
    # The prompt came up with 25 s left (the scenario waits for it): inside 2 x 15 s, not 15 s.
    assert longer - 3 <= r["countdown_after_more_time"] <= longer


def test_elderly_palette_pairs_are_aaa_and_the_normal_palette_is_untouched() -> None:
    c = ELDERLY.colour
    pairs = {
        "ink on paper": (c(INK), c(PAPER)), "muted on paper": (c(MUTED), c(PAPER)),
        "ink on a plain button": (c(INK), c(SOFT)), "white on a primary button": (WHITE, c((0.0, 0.33, 0.62, 1))),
        "white on a danger button": (WHITE, c((0.70, 0.12, 0.09, 1))),
        "green on paper": (c((0.05, 0.45, 0.2, 1)), c(PAPER)),
    }
    low = {k: round(contrast_ratio(*v), 2) for k, v in pairs.items() if contrast_ratio(*v) < 7.0}
    assert low == {}
    assert NORMAL.colour(INK) == tuple(float(v) for v in INK) and NORMAL.text_scale == 1.0
    assert ELDERLY.text_scale >= 1.5 and ELDERLY.target_scale > 1.0
