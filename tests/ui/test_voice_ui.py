"""Voice guidance through the real app (tests/ui/voice_scenario.py, one subprocess): the
simulated speaker's log shows what was said, in which language, and when speech stopped."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.ui.run_scenario import REPORT_PREFIX
from tests.ui.test_ui import in_order

pytestmark = pytest.mark.ui
ROOT = Path(__file__).resolve().parents[2]
HOTLINE = ["zh.digit.1", "zh.digit.2", "zh.digit.3", "zh.digit.3", "zh.digit.3"]


@pytest.fixture(scope="module")
def voice(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DISPLAY", None)
    workdir = tmp_path_factory.mktemp("ui-voice")
    proc = subprocess.run([sys.executable, "-m", "tests.ui.voice_scenario", str(workdir), "--size", "1280x800"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(REPORT_PREFIX)]
    assert lines, f"no report (exit {proc.returncode}):\n{proc.stderr[-3000:]}"
    report: dict[str, Any] = json.loads(lines[-1][len(REPORT_PREFIX):])
    assert report["ok"], f"{report.get('error')}\n{report.get('traceback', '')}\n{report.get('audio_log_tail')}"
    return report


def plays(log: list[list[str]]) -> list[list[str]]:
    return [e[1:] for e in log if e[0] == "play"]


def test_the_lobby_is_quiet_and_the_attract_screen_speaks_on_repeat_and_language(voice: dict[str, Any]) -> None:
    r = voice["scenarios"]["home"]
    assert plays(r["idle_attract"]) == []  # nobody there: nothing said
    assert plays(r["attract"]) == [["zh.app.title", "zh.app.subtitle"], ["en.app.title", "en.app.subtitle"],
                                   ["zh.app.title", "zh.app.subtitle"]]


def test_out_of_service_speaks_once_when_it_comes_up_and_again_on_repeat(voice: dict[str, Any]) -> None:
    said = plays(voice["scenarios"]["home"]["oos"])
    expected = ["zh.oos.title", "zh.oos.message", "zh.oos.reason.remote", "zh.oos.hotline.0", *HOTLINE]
    assert said == [expected, expected]


def test_repeat_replays_the_prompt_and_a_language_switch_speaks_it_in_the_other_language(
        voice: dict[str, Any]) -> None:
    r = voice["scenarios"]["controls"]
    assert plays(r["elderly_on"]) == [["zh.elderly.on", "zh.app.subtitle"], ["zh.elderly.off"],
                                      ["zh.elderly.on", "zh.app.subtitle"]]
    zh = ["zh.prompt.place_id_card.0", "zh.where.below", "zh.prompt.place_id_card.1"]  # the [layout] place
    first = ["zh.service.loss_report", *zh]
    assert plays(r["read_id"]) == [first, first, ["en.prompt.place_id_card.0", "en.where.below"], zh]


def test_elderly_mode_speaks_the_countdown_while_more_time_is_asked(voice: dict[str, Any]) -> None:
    said = plays(voice["scenarios"]["controls"]["countdown"])
    # The prompt, then the time left said at the 10 s mark (6 s: the test starts there) and at
    # the 5 s mark; a loaded machine may run the 5 s tick a second late, so 4 is accepted.
    assert said[0] == ["zh.idle.more_time_prompt"] and len(said) == 3, said
    (first, tail1), (second, tail2) = said[1], said[2]
    assert tail1 == tail2 == "zh.voice.countdown.1", said
    assert first in ("zh.num.6", "zh.num.5") and second in ("zh.num.5", "zh.num.4") and first != second, said
    assert voice["scenarios"]["controls"]["elderly_after"] is False


def test_a_screen_change_stops_speech_before_the_next_prompt(voice: dict[str, Any]) -> None:
    said = voice["scenarios"]["controls"]["cancel_home"]
    assert said[:3] == [["stop"], ["play", "zh.end.cancelled"], ["stop"]], said
    assert said[3] == ["play", "zh.prompt.take_id_card"], said  # the session end asks for the ID card
    log = voice["scenarios"]["issuance_en"]["log"]
    for before, entry in itertools.pairwise(log):
        if entry[0] == "play":
            assert before == ["stop"], log  # every new screen's words come after a stop
    assert log[-1] == ["stop"]  # 返回首页 silences the end text


def test_full_issuance_in_english_speaks_every_step_in_order(voice: dict[str, Any]) -> None:
    r = voice["scenarios"]["issuance_en"]
    assert r["end"] == "done" and r["lang_after"] == "zh"
    said = [stem for entry in plays(r["log"]) for stem in entry]
    assert all(s.startswith("en.") for s in said), said
    assert in_order(said, ["en.service.apply", "en.prompt.place_id_card.0", "en.where.below", "en.prompt.photo_choice",
                           "en.photo.no_face", "en.prompt.photo_confirm", "en.prompt.details", "en.prompt.submitting",
                           "en.prompt.producing_chip", "en.prompt.take_card.0", "en.where.below", "en.prompt.pin_offer",
                           "en.prompt.insert_new_card", "en.prompt.old_pin", "en.prompt.new_pin",
                           "en.prompt.new_pin_again", "en.prompt.issued"]), said
    assert said.count("en.prompt.old_pin") == 1  # six digits typed: said once
    assert voice["size_violations"] == []
