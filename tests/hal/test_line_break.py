"""hal/line_break.py: wrapping a plain text by the Chinese line-breaking rules, measured with a
stand-in font (every character 1 wide, a space 0.5), so the rules are checked without Kivy."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from hal.line_break import NO_LINE_END, NO_LINE_START, bad_wrap, has_cjk, line_spans, paragraphs, units


def width(unit: str) -> float:
    return sum(0.5 if ch == " " else 1.0 for ch in unit)


def break_lines(text: str, room: float) -> str:
    """The text as drawn: each span on its own line."""
    return "\n".join(text[a:b] for a, b in line_spans(text, room, width))


def test_closing_marks_stay_with_what_they_close_and_opening_marks_with_what_they_open() -> None:
    assert units("冻结。之后") == ["冻", "结。", "之", "后"]
    assert units("补换（带上") == ["补", "换", "（带", "上"]
    assert units("手机：“12333”。") == ["手", "机：", "“12333”。"]
    assert units("Reference REQ-2026-0001, thanks") == ["Reference", " ", "REQ-2026-0001,", " ", "thanks"]


def test_a_line_that_would_begin_with_a_full_stop_takes_the_character_before_it() -> None:
    assert break_lines("挂失后该卡立即冻结。之后", 9).split("\n") == ["挂失后该卡立即冻", "结。之后"]
    assert break_lines("请带上（身份证）", 3).split("\n") == ["请带上", "（身份", "证）"]


def test_english_wraps_at_spaces_and_drops_them_there() -> None:
    assert break_lines("We will text you", 8).split("\n") == ["We will", "text you"]


def test_a_word_wider_than_the_line_gets_a_line_of_its_own() -> None:
    assert break_lines("号 REQ-2026-0001 可查", 6).split("\n") == ["号", "REQ-2026-0001", "可查"]


def test_explicit_newlines_are_kept() -> None:
    assert break_lines("第一行\n第二行", 10) == "第一行\n第二行"


_CHARS = st.sampled_from([*"社会保障卡挂失补换启用密码手机地址", *"，。、；：？！）】》”（【《“ ", *"AZaz09-"])


@settings(max_examples=300, deadline=None)
@given(text=st.text(_CHARS, max_size=60), room=st.integers(min_value=3, max_value=20))
def test_every_wrap_is_allowed_every_line_fits_and_no_character_is_lost(text: str, room: int) -> None:
    lines = break_lines(text, room).split("\n")
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    for before, after in itertools.pairwise(lines):
        assert not bad_wrap(before, after), lines
    for line in lines:
        assert width(line) <= room or len(units(line)) == 1, (line, lines)


def test_the_rule_sets_do_not_overlap() -> None:
    assert not NO_LINE_START & NO_LINE_END


def test_spans_point_into_the_text_and_keep_empty_lines() -> None:
    text = "第一行\n\n  第三行很长很长"
    spans = line_spans(text, 4, width)
    assert [text[a:b] for a, b in spans] == ["第一行", "", "第三行很", "长很长"]


def test_a_texts_own_lines_are_its_paragraphs() -> None:
    text = "一\n\n二三"
    assert [text[a:b] for a, b in paragraphs(text)] == ["一", "", "二三"]


def test_only_text_with_chinese_takes_these_rules() -> None:
    assert has_cjk("请取卡") and has_cjk("Reference：") and not has_cjk("Take your card. Reference REQ-1")
