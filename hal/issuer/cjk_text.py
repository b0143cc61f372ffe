"""Chinese text to pixels with per-character font fallback (card face and receipt).

Pillow has no font fallback, and a citizen's name may hold a rare character (e.g. 䶮
U+4DAE, 𠮷 U+20BB7, 𠀀 U+20000) that one font lacks. We look each character up in the
fonts' cmaps (fontTools) and draw runs of characters with the first font that has them:
Noto Sans CJK SC (face 2 of the .ttc) then HanaMin A/B, which cover the CJK extensions.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw, ImageFont

from hal.line_break import line_spans


@dataclass(frozen=True)
class FontFile:
    path: str
    index: int = 0  # face number inside a .ttc


NOTO_SC = FontFile("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2)
HANAMIN_A = FontFile("/usr/share/fonts/truetype/hanazono/HanaMinA.ttf")
HANAMIN_B = FontFile("/usr/share/fonts/truetype/hanazono/HanaMinB.ttf")
DEFAULT_FONTS: tuple[FontFile, ...] = (NOTO_SC, HANAMIN_A, HANAMIN_B)


@functools.lru_cache(maxsize=8)
def _cmap(font: FontFile) -> frozenset[int]:
    tt = TTFont(font.path, fontNumber=font.index, lazy=True)
    try:
        return frozenset(tt.getBestCmap() or {})
    finally:
        tt.close()


@functools.lru_cache(maxsize=32)
def _pil_font(font: FontFile, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(font.path, size, index=font.index)


class CjkText:
    """Draws text at one pixel size with a chain of fallback fonts."""

    def __init__(self, size: int, fonts: tuple[FontFile, ...] = DEFAULT_FONTS) -> None:
        available = tuple(f for f in fonts if Path(f.path).is_file())
        if not available:
            raise FileNotFoundError("no CJK font found (install fonts-noto-cjk / fonts-hanazono)")
        self.size = size
        self.fonts = available

    def font_for(self, ch: str) -> FontFile | None:
        cp = ord(ch)
        for f in self.fonts:  # cmaps load lazily: the fallbacks only for rare characters
            if cp in _cmap(f):
                return f
        return None

    def missing(self, text: str) -> list[str]:
        """Characters no configured font has (they would print as a box)."""
        return [ch for ch in text if not ch.isspace() and self.font_for(ch) is None]

    def runs(self, text: str) -> list[tuple[ImageFont.FreeTypeFont, str]]:
        out: list[tuple[FontFile, str]] = []
        for ch in text:
            f = (self.font_for(ch) if not ch.isspace() else None) or (out[-1][0] if out else self.fonts[0])
            if out and out[-1][0] == f:
                out[-1] = (f, out[-1][1] + ch)
            else:
                out.append((f, ch))
        return [(_pil_font(f, self.size), s) for f, s in out]

    def width(self, text: str) -> int:
        return int(sum(font.getlength(s) for font, s in self.runs(text)) + 0.999)

    def draw(self, draw: ImageDraw.ImageDraw, xy: tuple[int, int], text: str, fill: int | tuple[int, ...] = 0,
             bold: bool = False) -> int:
        """Draw ``text`` with its top-left at ``xy``; returns the width drawn."""
        x, y = xy
        baseline = y + _pil_font(self.fonts[0], self.size).getmetrics()[0]  # fallbacks share it
        for font, s in self.runs(text):
            draw.text((x, baseline), s, font=font, fill=fill, anchor="ls", stroke_width=1 if bold else 0,
                      stroke_fill=fill)
            x += int(font.getlength(s))
        return x - xy[0]

    def wrap(self, text: str, max_width: int) -> list[str]:
        """``text`` in rows no wider than ``max_width``, broken where the line-breaking rules allow
        (hal/line_break.py: between Chinese characters, never inside a Latin word, no row starting
        with "。"); a word wider than the paper on its own is cut where it must be."""
        rows: list[str] = []
        for a, b in line_spans(text, max_width, self.width):
            row = text[a:b]
            while len(row) > 1 and self.width(row) > max_width:
                cut = next((i for i in range(len(row) - 1, 0, -1) if self.width(row[:i]) <= max_width), 1)
                rows.append(row[:cut])
                row = row[cut:]
            rows.append(row)
        return rows

    def line_image(self, text: str, width: int, *, center: bool = False, bold: bool = False,
                   scale: float = 1.0, margin: int = 8) -> Image.Image:
        """One line as a white "L" image of the given width (receipt raster)."""
        sized = self if scale == 1.0 else CjkText(int(self.size * scale), self.fonts)
        height = int(sized.size * 1.35)
        img = Image.new("L", (width, height), 255)
        w = sized.width(text)
        x = max(0, (width - w) // 2) if center else margin
        sized.draw(ImageDraw.Draw(img), (x, int(sized.size * 0.1)), text, fill=0, bold=bold)
        return img
