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
ACCENT = (0.78, 0.16, 0.12, 1)
MUTED = (0.55, 0.57, 0.6, 1)


def body_px() -> float:
    """Body text size: at least 32 px at 1280x800 and 1920x1080."""
    return max(32.0, Window.height / 30.0)


def target_px() -> float:
    """Touch target height: at least 80 px."""
    return max(88.0, Window.height / 11.0)


class Text(Label):
    """A label that wraps and draws rare name characters with a fallback font."""

    def __init__(self, text: str = "", scale: float = 1.0, **kw: Any) -> None:
        kw.setdefault("color", INK)
        kw.setdefault("halign", "center")
        kw.setdefault("valign", "middle")
        super().__init__(markup=True, font_size=body_px() * scale, **kw)
        self.bind(size=self._wrap)
        self.set(text)

    def _wrap(self, *_: Any) -> None:
        self.text_size = (self.width, None)

    def set(self, text: str) -> None:
        self.text = with_fallback_markup(text)


class BigButton(Button):
    def __init__(self, text: str, kiosk_id: str, primary: bool = False, scale: float = 1.0, **kw: Any) -> None:
        super().__init__(
            text=text,
            font_size=body_px() * scale,
            background_normal="",
            background_down="",
            background_color=BRAND if primary else (0.86, 0.88, 0.9, 1),
            color=(1, 1, 1, 1) if primary else INK,
            disabled_color=(0.32, 0.34, 0.37, 1),  # still readable: the reason must be legible
            background_disabled_normal="",
            halign="center",
            valign="middle",
            **kw,
        )
        self.kiosk_id = kiosk_id
        self.bind(size=lambda *_: setattr(self, "text_size", (self.width - 16, None)))


def paint(widget: Any, rgba: tuple[float, float, float, float], radius: float = 0) -> None:
    with widget.canvas.before:
        Color(*rgba)
        rect: Any = RoundedRectangle(radius=[radius]) if radius else Rectangle()
    widget.bind(pos=lambda w, v: setattr(rect, "pos", v), size=lambda w, v: setattr(rect, "size", v))
