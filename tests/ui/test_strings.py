"""The string tables (assets/strings/{zh,en}.json): every key in both languages, no Chinese left in
the English, the same placeholders in both, no raw codes or PIN digits on screen.

Whether each string fits its widget at both resolutions and in elderly mode is measured on the
live app: tests/ui/test_layout.py (the ``fit`` part of the screenshot run's report)."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from kiosk.strings import LANGUAGES, t, table
from screens.address import DETAIL_TOKENS

CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
# English strings that show Chinese on purpose: the language button names the other language, and
# the address keypad's keys are the characters themselves (the example uses exactly those keys).
CHINESE_ON_PURPOSE = {"app.language_toggle": "中文", "address.detail_hint": "".join(DETAIL_TOKENS)}
# Empty on purpose: an available service has no note; English has no polite "you" before a title.
EMPTY_ON_PURPOSE = {"zh": {"availability.available"}, "en": {"availability.available", "voice.you"}}


def placeholders(text: str) -> set[str]:
    return {field for _lit, field, _spec, _conv in string.Formatter().parse(text) if field}


def test_every_key_has_a_value_in_both_languages() -> None:
    zh, en = table("zh"), table("en")
    assert sorted(set(zh) ^ set(en)) == []
    for lang, tab in (("zh", zh), ("en", en)):
        assert sorted(k for k, v in tab.items() if not v.strip()) == sorted(EMPTY_ON_PURPOSE[lang]), lang


def test_no_untranslated_chinese_in_the_english_table() -> None:
    leftovers = {}
    for key, text in table("en").items():
        allowed = CHINESE_ON_PURPOSE.get(key, "")
        stray = [ch for ch in CJK.findall(text) if ch not in allowed]
        if stray:
            leftovers[key] = text
    assert leftovers == {}


def test_placeholders_match_between_languages() -> None:
    zh, en = table("zh"), table("en")
    differ = {k: (sorted(placeholders(zh[k])), sorted(placeholders(en[k]))) for k in zh
              if k in en and placeholders(zh[k]) != placeholders(en[k])}
    assert differ == {}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_progress_shows_the_status_label_not_its_code(lang: str) -> None:
    shown = t(lang, "prompt.timeline", status="approved")
    assert "approved" not in shown
    assert table(lang)["app_status.approved"] in shown
    row = t(lang, "timeline.row", status="produced", at="2026-11-24 10:00")
    assert "produced" not in row and table(lang)["app_status.produced"] in row
    assert t(lang, "prompt.timeline", status="a_code_without_a_string").endswith("a_code_without_a_string")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_pin_digits_are_shown(lang: str) -> None:
    """The initial PIN is named in words (it is printed on the receipt), never shown as digits."""
    from kiosk.domain.pin_rules import INITIAL_PIN

    shown = {k: v for k, v in table(lang).items() if INITIAL_PIN in v or "initial_pin" in placeholders(v)}
    assert shown == {}
    assert INITIAL_PIN not in t(lang, "prompt.pin_offer", initial_pin=INITIAL_PIN)


def test_every_status_the_central_can_answer_has_a_label_in_both_languages() -> None:
    # The progress query shows each timeline row's status: a code without a string would show raw
    # ("review_pending  2026-12-07 10:00") to the citizen.
    from central_sim.persons import TIMELINE_STATUSES

    missing = {lang: sorted(s for s in TIMELINE_STATUSES if f"app_status.{s}" not in table(lang)) for lang in LANGUAGES}
    assert missing == {lang: [] for lang in LANGUAGES}


def test_the_central_writes_no_timeline_status_outside_that_list(tmp_path: Path) -> None:
    from central_sim.persons import add_timeline
    from central_sim.storage import SqliteDatabase

    db = SqliteDatabase(str(tmp_path / "central.sqlite"))
    with db.transaction() as tx:
        add_timeline(tx, "APP-1", "review_pending", "2026-12-07T10:00:00+08:00")
        with pytest.raises(ValueError, match="made_up"):
            add_timeline(tx, "APP-1", "made_up", "2026-12-07T10:01:00+08:00")
        assert tx.all("SELECT status FROM application_timeline") == [{"status": "review_pending"}]
    db.close()


def test_a_text_telling_the_citizen_to_tap_a_name_uses_the_name_on_screen() -> None:
    """点“X”: X is what a button (or a lobby service, or a summary's edit link) really reads, spoken lines too;
    the face-capture consent said 点“我同意” beside a button reading 同意."""
    zh = table("zh")
    labels = {v for k, v in zh.items() if k.startswith(("button.", "service.", "summary."))}
    named = {(k, name) for k, v in zh.items() for name in re.findall(r"点“([^”]+)”", v)}
    assert named  # the check reads something
    assert sorted((k, name) for k, name in named if name not in labels) == []


def test_every_end_message_asking_to_take_the_receipt_has_a_twin_for_when_none_printed() -> None:
    """kiosk.flows.base.receipt_message picks the twin when the printer failed: it must exist, say no receipt,
    and name the same parameters."""
    from kiosk.flows.base import receipt_message

    zh, en = table("zh"), table("en")
    asking = [k for k, v in zh.items() if k.startswith("prompt.") and "请取走回执" in v]
    assert "prompt.loss_done" in asking
    for key in asking:
        twin = receipt_message(key, printed=False)
        assert twin != key and twin in zh, key
        assert "回执" not in zh[twin] and "receipt" not in en[twin].lower(), twin
        assert placeholders(zh[twin]) <= placeholders(zh[key]), twin
        said = f"voice.say.{twin}"
        assert "回执" not in zh.get(said, "") and "receipt" not in en.get(said, "").lower(), said
