"""The design system's foundations: both weights of the UI font really differ and draw rare
name characters, every icon name maps to a glyph of the icon font, a word never breaks inside
itself on a button, and the lobby's groups hold every service once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kiosk.domain.services import ServiceId
from kiosk.flows.base import End, View
from kiosk.fonts import ICON_FONT, generate
from screens.design.icons import ACTION_ICONS, ICONS
from screens.design.lobby import ELDERLY_GROUPS, LOBBY, SERVICE_ICONS, SERVICE_ORDER, lobby_pages
from screens.design.outcome import TAKE_BACK, pending_note, result_kind, shows_result
from screens.design.steps import STEPS, step_keys
from screens.i18n import table

ROOT = Path(__file__).resolve().parents[2]
PROBE_PREFIX = "DESIGN-PROBE "


@pytest.fixture(scope="module")
def probe() -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    proc = subprocess.run([sys.executable, str(ROOT / "tests/ui/design_probe.py")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=180, check=False)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(PROBE_PREFIX)]
    assert lines, f"no report (exit {proc.returncode}):\n{proc.stderr[-3000:]}"
    report: dict[str, Any] = json.loads(lines[-1].removeprefix(PROBE_PREFIX))
    return report


@pytest.mark.parametrize("text", ["common", "yan", "long_name", "latin"])
def test_bold_renders_with_more_ink_than_regular(probe: dict[str, Any], text: str) -> None:
    row = probe[text]
    assert row["bold"]["ink"] > row["regular"]["ink"] * 1.15, row


@pytest.mark.parametrize("text", ["yan", "long_name"])
def test_rare_characters_and_long_names_are_not_the_missing_glyph_box_in_either_weight(
        probe: dict[str, Any], text: str) -> None:
    assert probe["notdef_stable"]  # the reference box is what an unassigned code point draws
    for weight in ("regular", "bold"):
        assert not probe[text][weight]["is_notdef"] and probe[text][weight]["ink"] > 0, (weight, probe[text])
    assert probe["rare_notdef"] == []


def test_chinese_text_wraps_by_the_line_breaking_rules(probe: dict[str, Any]) -> None:
    """No line begins with "。" or "，" or ends with "（"; nothing is lost on the way. The same text in a
    plain Kivy label, at the same width, does break against the rules: the case is a real one."""
    kivy, text = probe["line_breaks"]["kivy"], probe["line_breaks"]["text"]
    assert kivy["bad"], kivy  # Kivy alone: "。" starts the second line
    assert text["bad"] == [], text
    assert len(text["lines"]) >= 3 and text["lines"][1].startswith("结。"), text  # "冻结" keeps its "。"
    whole = "挂失后该卡立即冻结。之后可在本机补换新卡（带上身份证），找回旧卡可解除挂失。"
    assert "".join(text["lines"]) == whole


def test_a_word_wider_than_its_button_steps_down_instead_of_breaking(probe: dict[str, Any]) -> None:
    d = probe["delete"]
    assert d["one_line"], d  # "Delet/e" was two lines
    assert d["font_size"] >= 32


def test_the_result_pages_qr_code_reads_back_as_the_transaction_number(probe: dict[str, Any]) -> None:
    assert probe["qr_decoded"] == "20261206151333-0001-B30233"


def test_every_icon_name_used_maps_to_a_glyph_in_the_icon_font() -> None:
    from fontTools.ttLib import TTFont

    generate()
    cmap = TTFont(str(ICON_FONT), lazy=True).getBestCmap()
    used = set(ACTION_ICONS.values()) | set(SERVICE_ICONS.values())
    assert used <= set(ICONS), sorted(used - set(ICONS))
    missing = sorted(name for name, cp in ICONS.items() if cp not in cmap)
    assert missing == []


def test_every_lobby_service_has_an_icon_and_appears_once() -> None:
    keys = [k for _g, ks in LOBBY for k in ks]
    assert len(keys) == len(set(keys))
    assert set(SERVICE_ORDER) == set(ServiceId)  # every service the kiosk offers is in a group
    assert set(keys) <= set(SERVICE_ICONS)
    assert "ecard_sign_in" in keys  # the e-card's QR sign-in entry point


def test_elderly_lobby_pages_keep_groups_whole_and_no_page_has_a_lone_service() -> None:
    pages = lobby_pages(elderly=True)
    sizes = [sum(len(ks) for _g, ks in page) for page in pages]
    assert all(len(page) <= ELDERLY_GROUPS for page in pages)
    assert min(sizes) >= 2 and sum(sizes) == sum(len(ks) for _g, ks in LOBBY), sizes  # was 4/4/1


def test_every_step_name_and_design_string_is_in_both_tables() -> None:
    zh, en = table("zh"), table("en")
    keys = {f"stepname.{n}" for names in STEPS.values() for n in names}
    keys |= {f"lobby.group.{g}" for g, _ in LOBBY} | {f"service.{k}" for _g, ks in LOBBY for k in ks}
    assert sorted(k for k in keys if k not in zh or k not in en) == []


def test_a_service_whose_step_count_changed_shows_the_count_only() -> None:
    assert len(step_keys(ServiceId.APPLY, 8)) == 8
    assert step_keys(ServiceId.APPLY, 9) == ()  # a flow that gained a step: no wrong names


def _end(message: str, end: End) -> View:
    return View(service=ServiceId.ACTIVATE, screen="done", step=4, total=4, title="service.activate",
                message=message, end=end)


@pytest.mark.parametrize(("message", "end", "kind"), [
    ("prompt.activated", End.DONE, "success"),
    ("prompt.activate_pending", End.DONE, "pending"),  # queued offline: says what pending means
    ("prompt.accepted_for_later", End.DONE, "pending"),
    ("prompt.card_retained", End.DONE, "attention"),  # done, but the card stayed in the kiosk
    ("end.refused", End.REFUSED, "refused"),
    ("end.fault", End.FAULT, "fault"),
    ("end.cancelled", End.CANCELLED, "ended"),
])
def test_each_end_gets_its_result_page(message: str, end: End, kind: str) -> None:
    assert result_kind(_end(message, end)) == kind


@pytest.mark.parametrize(("message", "note"), [
    ("prompt.loss_pending", "result.pending.what"),  # queued in the kiosk: sent when the link is back, texted
    ("prompt.contact_pending_unverified", "result.pending.what"),
    ("prompt.accepted_for_later_unverified", "result.pending.what"),
    ("prompt.deliver_later_done", "result.later.what"),  # the central has it; the card follows in 15 days
])
def test_a_pending_page_says_what_its_pending_means(message: str, note: str) -> None:
    view = _end(message, End.DONE)
    assert result_kind(view) == "pending" and pending_note(view) == note
    later = table("zh")["result.later.what"]
    assert "网络" not in later and "短信" not in later and "{working_days}" in later  # was: "sent when the network
    # is back … within 1 working day … we'll text you" on a page whose application the central had accepted


def test_result_page_strings_are_in_both_tables() -> None:
    zh, en = table("zh"), table("en")
    keys = {f"result.headline.{k}" for k in ("success", "pending", "attention", "refused", "fault", "ended")}
    keys |= {k for k in zh if k.startswith(("result.", "todo.", "review."))}
    assert sorted(k for k in keys if k not in zh or k not in en) == []


def test_taking_a_card_back_shows_its_picture_not_a_second_result_page() -> None:
    for screen in ("take_id_card", "take_sscard"):
        v = View(service=ServiceId.ACTIVATE, screen=screen, step=4, total=4, title="service.activate",
                 message=f"prompt.{screen}", end=End.DONE)
        assert not shows_result(v)
        # screens.pictures draws each (read as text: importing it would open a Kivy window here)
        assert f"def _draw_{TAKE_BACK[screen]}(" in (ROOT / "screens/pictures.py").read_text()
    assert shows_result(_end("prompt.activated", End.DONE))


def test_the_frame_clock_shows_fuzhou_time_like_the_transaction_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The frame's clock and the transaction number on the same page must agree, whatever the
    machine's time zone (a kiosk image left on UTC showed 20:49 beside a 04:49 transaction)."""
    import datetime as dt
    import time

    from kiosk.clock import SystemClock
    from screens.design.components import clock_text, frame_now

    monkeypatch.setenv("TZ", "America/Los_Angeles")
    time.tzset()
    try:
        shown, expected = frame_now(), SystemClock().now()
        assert abs(shown - expected) < dt.timedelta(seconds=5)
        assert shown.utcoffset() == dt.timedelta(hours=8)
        when = dt.datetime(2026, 12, 7, 4, 49, tzinfo=shown.tzinfo)
        assert (clock_text("zh", when), clock_text("en", when)) == ("12月7日 04:49", "7 Dec 04:49")
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
