"""Does every string of a kind fit the widget that shows that kind? Measured on the live app.

At a screenshot, a widget of a known kind (a service tile, the header's title, an action button, a
keypad key) gives the font, wrapping width and height its strings get. Every string of that kind,
in both languages, is laid out with Kivy's own text layout at exactly the widget's options (a
copy of the widget's core label), so a translation that would overflow is found even when the
screen at hand shows another string. Found: text taller than the box (cut, or drawn over its
neighbours), and an English word broken inside itself ("Delet/e").
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kiosk.fonts import with_fallback_markup
from kiosk.strings import LANGUAGES, t, table
from screens.shots.layout import TOLERANCE_PX, Finding, plain
from screens.theme import MIN_BODY_PX
from screens.widgets import text_px, theme

# widget kind → (which visible widgets show it, the string keys it shows)
KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "tile": ("service.", ("service.",)),
    # every service name with every note a tile can show under it (screens.design.lobby.tile_notes)
    "tile with note": ("service.", ("service.",)),
    "title": ("header.title", ("service.",)),
    # the footer's buttons (screens.panels.FOOTER_ACTIONS); a view's own actions get wider buttons
    "action button": ("button.", ("button.confirm", "button.cancel", "button.back", "button.home", "voice.repeat")),
    "keypad key": ("key.", ("keypad.",)),  # measured on the keys that show them (digits are larger)
}
# kinds whose label steps down in size to fit one line (screens.widgets.shrink_to_fit), to this floor
SHRINKS: dict[str, Callable[[], float]] = {"title": lambda: text_px(1.0) if theme().elderly else 1e9,
                                           "tile with note": lambda: MIN_BODY_PX * theme().text_scale}
SAMPLE = {"seconds": "120", "remaining": "20", "limit": "20", "page": "2", "pages": "3", "step": "8",
          "total": "8", "count": "3", "tries_left": "5", "attempts_left": "2"}
_WORD = re.compile(r"^[A-Za-z][A-Za-z'’-]*[A-Za-z]$")


@dataclass(frozen=True)
class Measured:
    text: str
    width: float
    height: float
    lines: tuple[str, ...]


def strings_of(prefixes: tuple[str, ...], lang: str) -> dict[str, str]:
    out = {}
    for key, text in table(lang).items():
        if not any(key == p or (p.endswith(".") and key.startswith(p)) for p in prefixes):
            continue
        fields = {f for _l, f, _s, _c in string.Formatter().parse(text) if f}
        if fields - set(SAMPLE) or not text.strip():
            continue  # personal values, or an empty note: nothing to measure
        out[key] = text.format(**{f: SAMPLE[f] for f in fields})
    return out


def with_notes(lang: str, names: dict[str, str], widget: Any) -> dict[str, str]:
    """Each tile name with each note, as the tile composes them (markup: measured as it is)."""
    from screens.design.lobby import tile_notes

    def tr(key: str, **params: object) -> str:
        return t(lang, key, **params)

    return {f"{key}+{nk}": widget.composed(name, note)[1] for key, name in names.items()
            for nk, note in tile_notes(tr, key.removeprefix("service."), bool(theme().elderly)).items()}


def measure(w: Any, text: str, font_size: float | None = None, raw: bool = False) -> Measured:
    """``text`` laid out as ``w`` lays out its own text (font, size, wrapping width, markup);
    ``raw``: ``text`` is already markup."""
    core = w._label
    options = {**core.options, "text": with_fallback_markup(text) if w.markup and not raw else text,
               "text_size": tuple(core.text_size)}  # options keep the text_size the label was built with
    if font_size is not None:
        options["font_size"] = font_size
    label = type(core)(**options)
    label.refresh()
    tw, th = label.texture.size if label.texture is not None else (0, 0)
    lines = tuple("".join(word.text for word in line.words) for line in getattr(label, "_cached_lines", []))
    return Measured(text, float(tw), float(th), lines)


def broken_word(m: Measured) -> str:
    """An English word the layout split across two lines, or ""."""
    words = set(plain(m.text).split())
    for line in m.lines:
        for token in line.split():
            if _WORD.match(token) and token not in words and any(token in w for w in words):
                return token
    return ""


def check_kind(kind: str, widget: Any) -> list[Finding]:
    _prefix, keys = KINDS[kind]
    out: list[Finding] = []
    noted = kind == "tile with note"
    for lang in LANGUAGES:
        texts = strings_of(keys, lang)
        for key, text in (with_notes(lang, texts, widget) if noted else texts).items():
            # a tile with a note starts at its full size and steps down as IconButton._shrink does
            size = float(getattr(widget, "full_size", widget.font_size) if noted else widget.font_size)
            m = measure(widget, text, size, raw=noted)
            while kind in SHRINKS and m.height > widget.height + TOLERANCE_PX and size - 3 >= SHRINKS[kind]():
                size -= 3  # as screens.widgets.shrink_to_fit steps a long title down
                m = measure(widget, text, size, raw=noted)
            where = f"{kind} {getattr(widget, 'kiosk_id', '')} {lang}:{key}"
            text = plain(text) if noted else text
            if m.height > widget.height + TOLERANCE_PX or m.width > widget.width + TOLERANCE_PX:
                out.append(Finding("overflow", where, f"{text[:40]!r} needs {m.width:.0f}x{m.height:.0f}, "
                                   f"the widget is {widget.width:.0f}x{widget.height:.0f}"))
            elif piece := broken_word(m):
                out.append(Finding("overflow", where, f"{text[:40]!r} breaks inside a word ({piece!r})"))
    return out


def widgets_of(kind: str, shown: list[Any]) -> list[Any]:
    """The visible widgets of ``kind``, narrowest first (the hardest for a long string)."""
    prefix, keys = KINDS[kind]
    ids = ({"button.repeat" if k == "voice.repeat" else k for k in keys} if prefix == "button."
           else {"key.clear", "key.back"} if prefix == "key." else set())
    found = [w for w in shown if str(getattr(w, "kiosk_id", "")).startswith(prefix) and hasattr(w, "_label")
             and (not ids or getattr(w, "kiosk_id", "") in ids) and (kind != "tile with note" or hasattr(w, "composed"))
             and w.opacity > 0 and w.width > 1 and w.height > 1 and w.get_root_window() is not None]
    return sorted(found, key=lambda w: (w.width, w.height))
