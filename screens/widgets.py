"""Big, high-contrast widgets for elderly citizens: large type, large touch targets."""

from __future__ import annotations

from typing import Any

from kivy.core.window import Window
from kivy.graphics import Color, Rectangle, RoundedRectangle
from kivy.uix.button import Button
from kivy.uix.label import Label

from kiosk.fonts import with_fallback_markup

INK = (0.07, 0.09, 0.13, 1)
PAPER = (0.97, 0.97, 0.95, 1)
BRAND = (0.0, 0.33, 0.62, 1)  # deep blue: white text on it passes WCAG AAA
ACCENT = (0.70, 0.12, 0.09, 1)  # dark red: 6.9:1 on PAPER
MUTED = (0.30, 0.32, 0.36, 1)  # still 9:1 on PAPER; grey-on-grey is unreadable for the elderly
SOFT = (0.86, 0.88, 0.9, 1)
WHITE = (1, 1, 1, 1)
OK_GREEN = (0.05, 0.45, 0.2, 1)

MIN_BODY_PX = 32.0
MIN_TARGET_PX = 80.0


def body_px() -> float:
    """Body text size: at least 32 px at 1280x800 and 1920x1080."""
    return max(MIN_BODY_PX, Window.height / 30.0)


def target_px() -> float:
    """Touch target height: at least 80 px."""
    return max(88.0, Window.height / 11.0)


def gap_px() -> float:
    return max(12.0, Window.height * 0.022)


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
    """A label that wraps and draws rare name characters with a fallback font."""

    def __init__(self, text: str = "", scale: float = 1.0, **kw: Any) -> None:
        kw.setdefault("color", INK)
        kw.setdefault("halign", "center")
        kw.setdefault("valign", "middle")
        # Smaller than body text only for decorations, never below the 32 px floor.
        super().__init__(markup=True, font_size=max(MIN_BODY_PX, body_px() * scale), **kw)
        self.bind(size=self._wrap)
        self.set(text)

    def texture_update(self, *args: Any) -> None:
        fresh_texture_update(self, Label.texture_update, *args)

    def _wrap(self, *_: Any) -> None:
        self.text_size = (self.width, None if self.valign == "middle" else self.height)

    def set(self, text: str) -> None:
        self.text = with_fallback_markup(text)


class BigButton(Button):
    """A touch target of at least 80 px; ``kiosk_id`` is how tests and screenshots find it."""

    def __init__(self, text: str, kiosk_id: str, primary: bool = False, scale: float = 1.0,
                 danger: bool = False, raw: bool = False, **kw: Any) -> None:
        """``raw``: ``text`` is already markup (built with :func:`markup`)."""
        bg = ACCENT if danger else BRAND if primary else SOFT
        super().__init__(
            markup=True,
            text=text if raw else with_fallback_markup(text),
            font_size=max(MIN_BODY_PX, body_px() * scale),
            background_normal="",
            background_down="",
            background_color=bg,
            color=WHITE if (primary or danger) else INK,
            disabled_color=(0.32, 0.34, 0.37, 1),  # still readable: the reason must be legible
            background_disabled_normal="",
            halign="center",
            valign="middle",
            **kw,
        )
        self.kiosk_id = kiosk_id
        self.bind(size=lambda *_: setattr(self, "text_size", (self.width - 16, None)))

    def texture_update(self, *args: Any) -> None:
        fresh_texture_update(self, Button.texture_update, *args)

    def set(self, text: str) -> None:
        self.text = with_fallback_markup(text)


def markup(text: str) -> str:
    """Plain text as safe Kivy markup with rare-character fallback fonts."""
    return with_fallback_markup(text)


def paint(widget: Any, rgba: tuple[float, float, float, float], radius: float = 0) -> Any:
    """A background rectangle that follows the widget; returns its Color to recolour it."""
    with widget.canvas.before:
        color = Color(*rgba)
        rect: Any = RoundedRectangle(radius=[radius]) if radius else Rectangle()
    widget.bind(pos=lambda w, v: setattr(rect, "pos", v), size=lambda w, v: setattr(rect, "size", v))
    return color
