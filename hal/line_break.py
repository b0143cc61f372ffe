"""Chinese line-breaking rules (标点符号行首行尾禁则, GB/T 15834): where a wrapped line may end.

One rule set for every place the kiosk wraps Chinese: the screen (screens.widgets.Text draws the lines
``line_spans`` finds; Kivy alone wraps after whatever character last fits, so a line could begin with
"。" or end with "（") and the receipt (hal.issuer.cjk_text.CjkText.wrap). It lives in hal, the lowest
layer, beside the other primitives every layer shares (atomic_file, pii); the screens take it through
kiosk.fonts, as they import nothing from hal.
"""

from __future__ import annotations

import re
from collections.abc import Callable

# May not begin a line: closing marks and the marks that follow what they punctuate.
NO_LINE_START = frozenset("，。、；：？！）】》」』〉〕｝］”’…—·%‰℃,.;:?!)]}")
# May not end a line: opening marks, which belong with what follows them.
NO_LINE_END = frozenset("（【《「『〈〔｛［“‘([{")

# A unit is what never breaks inside: a run of Latin letters, digits and their joiners, or one
# other character (a Chinese character breaks before or after anything); a space ends a unit.
_UNIT = re.compile(r"[0-9A-Za-z\u00c0-\u024f@#&_+\-=/\\'’.:,%]+|\s+|.", re.S)


def units(text: str) -> list[str]:
    """``text`` cut where a line may break; every character kept, in order."""
    out: list[str] = []
    glue_next = False
    for piece in _UNIT.findall(text):
        if out and piece[0] in NO_LINE_START and out[-1].isspace() and len(out) > 1:
            space = out.pop()  # "结 。": the space cannot take the wrap either
            out[-1] += space
        if out and (glue_next or piece[0] in NO_LINE_START):
            out[-1] += piece
            glue_next = (glue_next and piece.isspace()) or piece[-1] in NO_LINE_END
        else:
            out.append(piece)
            glue_next = piece[-1] in NO_LINE_END
    return out


def bad_wrap(before: str, after: str) -> bool:
    """Whether wrapping between these two lines breaks the rules."""
    before, after = before.rstrip(), after.lstrip()
    return bool(before and after) and (after[0] in NO_LINE_START or before[-1] in NO_LINE_END)


def line_spans(text: str, room: float, width: Callable[[str], float]) -> list[tuple[int, int]]:
    """Where each line of ``text`` starts and ends (spaces at a wrap left out), wrapped to ``room``:
    never before a NO_LINE_START mark or after a NO_LINE_END mark. ``width`` measures a unit in the
    label's font. A unit wider than ``room`` (a long word) gets a line of its own, where Kivy cuts it."""
    spans: list[tuple[int, int]] = []
    at = 0
    for paragraph in text.split("\n"):
        start, end, used = -1, at, 0.0
        for unit in units(paragraph):
            w = width(unit)
            if start >= 0 and not unit.isspace() and used + w > room:
                spans.append((start, end))
                start, used = -1, 0.0
            if start < 0 and unit.isspace():
                at += len(unit)
                continue
            if start < 0:
                start = at
            at += len(unit)
            used += w
            if not unit.isspace():
                end = at
        spans.append((start, end) if start >= 0 else (at, at))
        at += 1  # the newline
    return spans


def paragraphs(text: str) -> list[tuple[int, int]]:
    """The spans of ``text``'s own lines (between its newlines), unwrapped."""
    spans, at = [], 0
    for paragraph in text.split("\n"):
        spans.append((at, at + len(paragraph)))
        at += len(paragraph) + 1
    return spans


_CJK = re.compile("[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\U00020000-\U0003ffff]")


def has_cjk(text: str) -> bool:
    """Text without a Chinese character or mark wraps at spaces only: Kivy's own rule is the same."""
    return _CJK.search(text) is not None
