"""The two looks of the citizen screens: colours and size factors, no Kivy here.

Screens name the normal palette's constants (INK, BRAND …); a widget built under the elderly
theme draws that theme's colour for the same role (:meth:`Theme.colour`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

INK = (0.07, 0.09, 0.13, 1)
PAPER = (0.97, 0.97, 0.95, 1)
BRAND = (0.0, 0.33, 0.62, 1)  # deep blue: white text on it passes WCAG AAA
ACCENT = (0.70, 0.12, 0.09, 1)  # dark red: 6.9:1 on PAPER
MUTED = (0.30, 0.32, 0.36, 1)  # still 9:1 on PAPER; grey-on-grey is unreadable for the elderly
SOFT = (0.86, 0.88, 0.9, 1)
WHITE = (1, 1, 1, 1)
OK_GREEN = (0.05, 0.45, 0.2, 1)
DISABLED_TEXT = (0.32, 0.34, 0.37, 1)

MIN_BODY_PX = 32.0
MIN_TARGET_PX = 80.0

RGBA = tuple[float, float, float, float]


@dataclass(frozen=True)
class Theme:
    """Sizes and colours the widgets read when they are built.

    Screens name the normal palette's constants (INK, BRAND …); a widget built under another
    theme draws that theme's colour for the same role (:meth:`colour`). Switching the theme
    therefore means rebuilding the screens (screens.app does it between sessions).
    """

    name: str
    text_scale: float  # body text and button labels
    target_scale: float  # touch target height
    palette: dict[RGBA, RGBA]  # normal colour → this theme's colour for the same role
    disabled_bg: RGBA | None  # a disabled button's background (None: keep its own)

    def colour(self, rgba: Any) -> RGBA:
        key = _rgba(rgba)
        return self.palette.get(key, key)

    @property
    def elderly(self) -> bool:
        return self.name == "elderly"


def _rgba(c: Any) -> RGBA:
    return (float(c[0]), float(c[1]), float(c[2]), float(c[3]))


NORMAL = Theme("normal", 1.0, 1.0, {}, None)
# 适老化: 1.5x type, larger targets, and every text at least 7:1 on its background (WCAG AAA);
# white paper and near-black ink, darker brand/accent/green, disabled buttons light grey.
ELDERLY = Theme("elderly", 1.5, 1.2, {
    _rgba(INK): (0.0, 0.0, 0.0, 1.0),
    _rgba(PAPER): (1.0, 1.0, 1.0, 1.0),
    _rgba(BRAND): (0.0, 0.2, 0.45, 1.0),
    _rgba(ACCENT): (0.55, 0.0, 0.0, 1.0),
    _rgba(MUTED): (0.15, 0.15, 0.17, 1.0),
    _rgba(SOFT): (0.82, 0.86, 0.92, 1.0),
    _rgba(OK_GREEN): (0.0, 0.3, 0.1, 1.0),
    _rgba(DISABLED_TEXT): (0.2, 0.2, 0.22, 1.0),
}, disabled_bg=(0.88, 0.88, 0.88, 1.0))
