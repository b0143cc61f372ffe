"""Big, high-contrast widgets for elderly citizens: large type, large touch targets."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from kivy.core.window import Window
from kivy.graphics import Color, Rectangle, RoundedRectangle
from kivy.uix.button import Button
from kivy.uix.label import Label
from kivy.utils import get_hex_from_color

from kiosk.fonts import has_cjk, line_spans, paragraphs, with_fallback_markup
from screens.theme import (  # re-exported: the screens import the palette from here
    ACCENT,
    BRAND,
    DISABLED_TEXT,
    ELDERLY,
    INK,
    MIN_BODY_PX,
    MIN_TARGET_PX,
    MUTED,
    NORMAL,
    OK_GREEN,
    PAPER,
    RGBA,
    SOFT,
    WHITE,
    Theme,
)

__all__ = ["ACCENT", "BRAND", "DISABLED_TEXT", "ELDERLY", "INK", "MIN_BODY_PX", "MIN_TARGET_PX", "MUTED", "NORMAL",
           "OK_GREEN", "PAPER", "RGBA", "SOFT", "WHITE", "BigButton", "Text", "Theme", "body_px", "colour",
           "fit_height", "gap_px", "markup", "paint", "shrink_to_fit", "target_px", "text_px", "theme", "use_theme"]

_theme = NORMAL


def theme() -> Theme:
    return _theme


def use_theme(elderly: bool) -> Theme:
    """Set the theme widgets built from now on read (main thread only)."""
    global _theme
    _theme = ELDERLY if elderly else NORMAL
    return _theme


def colour(rgba: Any) -> RGBA:
    """The current theme's colour for the role ``rgba`` plays in the normal palette."""
    return _theme.colour(rgba)


def body_px() -> float:
    """Body text size: at least 32 px at 1280x800 and 1920x1080 (x1.5 in elderly mode)."""
    return max(MIN_BODY_PX, Window.height / 30.0) * _theme.text_scale


def target_px() -> float:
    """Touch target height: at least 80 px."""
    return max(88.0, Window.height / 11.0) * _theme.target_scale


def gap_px() -> float:
    return max(12.0, Window.height * 0.022)


def text_px(scale: float = 1.0) -> float:
    """A text's size: its normal size (never below 32 px) times the theme's text scale, so that
    every text in elderly mode is 1.5x what it is in the normal look."""
    return max(MIN_BODY_PX, max(MIN_BODY_PX, Window.height / 30.0) * scale) * _theme.text_scale


def shrink_to_fit(label: Any, floor: float) -> Any:
    """A title too long for its one line steps down in size (never below ``floor``) instead of
    wrapping out of its box; a new text starts again from the label's own size."""
    size = label.font_size

    def reset(*_: Any) -> None:
        label.font_size = size

    def check(*_: Any) -> None:
        if label.texture_size[1] > label.height + 1 and label.font_size > floor:
            label.font_size = max(floor, label.font_size - 3)

    label.bind(text=reset, size=reset, texture_size=check)  # a new box: try the full size again
    return label


def fit_height(label: Any, minimum: float = 0.0) -> Any:
    """The label's height follows its wrapped text (never below ``minimum``): no clipped lines."""
    label.size_hint_y = None
    label.bind(texture_size=lambda w, ts: setattr(w, "height", max(minimum, ts[1])))
    label.height = max(minimum, label.texture_size[1])
    return label


def fresh_texture_update(label: Any, update: Any, *args: Any) -> None:
    """Render changed text into a new texture instead of overwriting the one on screen.

    Overwriting a texture that the frame in flight still samples makes the GL driver wait for
    that frame; with software GL (llvmpipe) that was 50-150 ms per changed label at 1080p.
    A fresh texture never waits; the old one is freed once the frame no longer needs it.
    """
    core = getattr(label, "_label", None)
    if core is not None:
        core.texture = None
    update(label, *args)


class Text(Label):
    """A label that wraps Chinese by the line-breaking rules (hal/line_break.py) and draws
    rare name characters with a fallback font. ``text`` stays the text as set; only the drawing
    gets the wraps."""

    def __init__(self, text: str = "", scale: float = 1.0, **kw: Any) -> None:
        kw["color"] = colour(kw.get("color", INK))
        kw.setdefault("halign", "center")
        kw.setdefault("valign", "middle")
        self._plain = ""
        self._lead = ""
        self._shown = ""
        self._wrapped: str | None = None  # the markup drawn, with its wraps; None: Kivy wraps ``text``
        # Smaller than body text only for decorations, never below the 32 px floor.
        super().__init__(markup=True, font_size=text_px(scale), **kw)
        self.bind(size=self._wrap, font_size=self._rewrap, bold=self._rewrap)
        self.set(text)

    def texture_update(self, *args: Any) -> None:
        fresh_texture_update(self, _draw_wrapped, *args)

    def _wrap(self, *_: Any) -> None:
        self.text_size = (self.width, None if self.valign == "middle" else self.height)
        self._rewrap()

    def _rewrap(self, *_: Any) -> None:
        if self.text == self._shown:  # markup given through ``text`` directly is Kivy's to wrap
            self._show()

    def _markup(self, spans: list[tuple[int, int]]) -> str:
        whole, n = self._lead + self._plain, len(self._lead)

        def line(a: int, b: int) -> str:
            lead = with_fallback_markup(whole[a:min(b, n)]) if a < n else ""
            return (f"[b]{lead}[/b]" if lead else "") + with_fallback_markup(whole[max(a, n):b])

        return "\n".join(line(a, b) for a, b in spans)

    def _show(self) -> None:
        whole = self._lead + self._plain
        own = paragraphs(whole)
        room = float(self.width) - 2 * float(self.padding[0]) - 2
        font, size, bold = str(self.font_name), float(self.font_size), bool(self.bold)
        spans = own
        if room > size and has_cjk(whole):
            spans = line_spans(whole, room, lambda unit: word_width(unit, size, bold, font))
        wrapped = self._markup(spans) if spans != own else None
        if wrapped != self._wrapped:
            self._wrapped = wrapped
            self._trigger_texture()
        self._shown = self._markup(own)
        self.text = self._shown

    def set(self, text: str, lead: str = "") -> None:
        """``lead``: a heading drawn in bold at the start of the first line."""
        self._plain, self._lead = text, lead
        self._show()


def _draw_wrapped(label: Text, *args: Any) -> None:
    """Label.texture_update's markup branch (Kivy 2.3) given the wrapped text instead of ``text``."""
    wrapped = label._wrapped
    if wrapped is None or label.text != label._shown or not wrapped.strip():
        Label.texture_update(label, *args)
        return
    core = label._label
    label.texture = None
    if label.halign == "justify" or label.strip:
        wrapped = wrapped.strip()
    ink = label.disabled_color if label.disabled else label.color
    core.text = f"[color={get_hex_from_color(ink)}]{wrapped}[/color]"
    core.refresh()
    if core.texture:
        core.texture.bind()
    label.refs, label.anchors = core.refs, core.anchors
    if core.texture is not None:
        label.texture = core.texture
        label.texture_size = list(core.texture.size)
    label.is_shortened = core.is_shortened


class BigButton(Button):
    """A touch target of at least 80 px; ``kiosk_id`` is how tests and screenshots find it."""

    def __init__(self, text: str, kiosk_id: str, primary: bool = False, scale: float = 1.0,
                 danger: bool = False, raw: bool = False, **kw: Any) -> None:
        """``raw``: ``text`` is already markup (built with :func:`markup`)."""
        self.roles = (primary, danger, scale)
        super().__init__(
            markup=True,
            text=text if raw else with_fallback_markup(text),
            background_normal="",
            background_down="",
            background_disabled_normal="",
            halign="center",
            valign="middle",
            **kw,
        )
        self.kiosk_id = kiosk_id
        self.bind(size=lambda *_: self._fit_words())
        self.bind(disabled=lambda *_: self._show_disabled())
        self.retheme()

    def _fit_words(self, *_: Any) -> None:
        """Kivy wraps at spaces and cuts a word wider than the button anywhere ("Delet/e"): step
        the type down until the longest word fits (never below the 32 px floor)."""
        room = self.width - 16
        self.text_size = (room, None)
        size = getattr(self, "full_size", None)
        word = longest_word(self.text)
        if size is None or room <= 0:
            return
        while word and size > MIN_BODY_PX and word_width(word, size, True) > room:  # bold: the wider
            size = max(MIN_BODY_PX, size - 2)
        self.font_size = size

    def retheme(self) -> None:
        """Take the current theme's type size and colours (built under another theme)."""
        primary, danger, scale = self.roles
        self.full_size = text_px(scale)
        self.font_size = self.full_size
        self.enabled_bg = colour(ACCENT if danger else BRAND if primary else SOFT)
        self.color = colour(WHITE if (primary or danger) else INK)
        self.disabled_color = colour(DISABLED_TEXT)  # still readable: the reason must be legible
        self._show_disabled()
        self._fit_words()

    def _show_disabled(self) -> None:
        # Elderly theme: dark text on light grey, not on the button's own (dark) colour.
        off = _theme.disabled_bg if self.disabled else None
        self.background_color = off or self.enabled_bg

    def texture_update(self, *args: Any) -> None:
        fresh_texture_update(self, Button.texture_update, *args)

    def set(self, text: str) -> None:
        self.text = with_fallback_markup(text)

    def on_text(self, *_: Any) -> None:
        self._fit_words()


_TAGS = re.compile(r"\[/?[a-z]+(?:=[^\]]*)?\]")


def longest_word(markup_text: str) -> str:
    """The longest space-separated run of Latin text (CJK wraps anywhere, icons never wrap)."""
    plain = _TAGS.sub(" ", markup_text).replace("&bl;", "[").replace("&br;", "]").replace("&amp;", "&")
    words = [w for w in re.split(r"[\s\u00a0]+", plain) if w.isascii()]
    return max(words, key=len, default="")


@lru_cache(maxsize=8192)  # every character of the Chinese texts shown, at a few sizes
def word_width(word: str, size: float, bold: bool, font_name: str = "") -> float:
    from kivy.core.text import Label as CoreLabel

    font = {"font_name": font_name} if font_name else {}
    w, _h = CoreLabel(text=word, font_size=size, bold=bold, **font).get_extents(word)
    return float(w)


def markup(text: str) -> str:
    """Plain text as safe Kivy markup with rare-character fallback fonts."""
    return with_fallback_markup(text)


def paint(widget: Any, rgba: tuple[float, float, float, float], radius: float = 0) -> Any:
    """A background rectangle that follows the widget; returns its Color to recolour it."""
    with widget.canvas.before:
        color = Color(*colour(rgba))
        rect: Any = RoundedRectangle(radius=[radius]) if radius else Rectangle()
    widget.bind(pos=lambda w, v: setattr(rect, "pos", v), size=lambda w, v: setattr(rect, "size", v))
    return color
