"""The UI's CJK fonts (Regular and Bold), the icon font, and per-character fallback for rare characters.

Noto Sans CJK ships as .ttc collections and Kivy always opens face 0 (Japanese), so setup extracts
the Simplified Chinese face of both weights (Debian's fonts-noto-cjk) to single files. Characters
those fonts lack (some CJK extension B-G names) are drawn with HanaMin A/B via markup runs; HanaMin
has one weight, so a rare character in a bold title stays legible but is drawn regular-weight.
Icons come from Google's Material Icons (Debian's fonts-material-design-icons-iconfont).
"""

from __future__ import annotations

import io
import sys
from contextlib import suppress
from functools import lru_cache
from pathlib import Path

from hal.atomic_file import write_atomic

# Re-exported: the rules the UI's Chinese text wraps by live in hal, beside the receipt printer that wraps
# by them too, and the screens reach hal only through the kiosk (tests/ui/test_screens_imports.py).
from hal.line_break import bad_wrap as bad_wrap
from hal.line_break import has_cjk as has_cjk
from hal.line_break import line_spans as line_spans
from hal.line_break import paragraphs as paragraphs

ROOT = Path(__file__).resolve().parent.parent
GENERATED = ROOT / "assets" / "fonts" / "generated"
PRIMARY = GENERATED / "NotoSansCJKsc-Regular.otf"
BOLD = GENERATED / "NotoSansCJKsc-Bold.otf"
NOTO_TTC = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
NOTO_BOLD_TTC = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc")
NOTO_SC_INDEX = 2
ICON_SOURCE = Path("/usr/share/fonts/truetype/material-design-icons-iconfont/MaterialIcons-Regular.ttf")
ICON_FONT = GENERATED / "MaterialIcons-Regular.ttf"  # copied: the package ships assets/, not Debian's font
FALLBACKS = (
    Path("/usr/share/fonts/truetype/hanazono/HanaMinA.ttf"),
    Path("/usr/share/fonts/truetype/hanazono/HanaMinB.ttf"),
)


def _extract(collection_path: Path, target: Path) -> None:
    if target.exists() or not collection_path.exists():
        return
    from fontTools.ttLib import TTCollection

    GENERATED.mkdir(parents=True, exist_ok=True)
    font = TTCollection(str(collection_path)).fonts[NOTO_SC_INDEX]
    buf = io.BytesIO()
    font.save(buf)
    write_atomic(target, buf.getvalue(), mode=0o644)


def generate() -> Path:
    """Extract the SC face of both Noto CJK weights and cache the fonts' coverage (idempotent)."""
    _extract(NOTO_TTC, PRIMARY)
    _extract(NOTO_BOLD_TTC, BOLD)
    if not ICON_FONT.exists() and ICON_SOURCE.exists():
        GENERATED.mkdir(parents=True, exist_ok=True)
        write_atomic(ICON_FONT, ICON_SOURCE.read_bytes(), mode=0o644)
    for path in (PRIMARY, *FALLBACKS):  # warm the cmap caches at setup, not at the first frame
        if path.exists():
            _cmap(str(path))
    return PRIMARY


CMAP_CACHE = GENERATED / "cmaps"
_PLANES = 0x110000


def _cache_file(path: Path) -> Path:
    st = path.stat()
    return CMAP_CACHE / f"{path.name}.{st.st_size}.{int(st.st_mtime)}.bits"


@lru_cache(maxsize=4)
def _cmap(path: str) -> bytes:
    """A bitset of the code points the font covers, cached beside the generated font: parsing a
    16 MB CJK font's cmap costs ~0.2 s of cold start, reading 139 KB of bits does not."""
    font_path = Path(path)
    cache = _cache_file(font_path)
    with suppress(OSError):
        return cache.read_bytes()
    from fontTools.ttLib import TTFont

    bits = bytearray(_PLANES // 8)
    for cp in TTFont(path, lazy=True, fontNumber=0).getBestCmap():
        if cp < _PLANES:
            bits[cp >> 3] |= 1 << (cp & 7)
    with suppress(OSError):
        CMAP_CACHE.mkdir(parents=True, exist_ok=True)
        write_atomic(cache, bytes(bits), mode=0o644)
    return bytes(bits)


def bold_face() -> Path:
    """The bold weight (the regular one where the bold collection is not installed)."""
    return BOLD if BOLD.exists() else PRIMARY


def has_glyph(path: Path, char: str) -> bool:
    cp = ord(char)
    return path.exists() and bool(_cmap(str(path))[cp >> 3] & (1 << (cp & 7)))


def font_for(char: str) -> Path | None:
    """The first font that has a glyph for ``char`` (None: no font has it)."""
    cp = ord(char)
    for path in (PRIMARY, *FALLBACKS):
        if path.exists() and _cmap(str(path))[cp >> 3] & (1 << (cp & 7)):
            return path
    return None


def escape_markup(text: str) -> str:
    return text.replace("&", "&amp;").replace("[", "&bl;").replace("]", "&br;")


def with_fallback_markup(text: str) -> str:
    """Kivy markup that draws each run of characters with a font that has them."""
    out: list[str] = []
    for ch in text:
        if ord(ch) < 0x2E80:  # Latin, digits, punctuation: the primary font has them
            out.append(escape_markup(ch))
            continue
        path = font_for(ch)
        if path is None or path == PRIMARY:
            out.append(escape_markup(ch))
        else:
            out.append(f"[font={path}]{escape_markup(ch)}[/font]")
    return "".join(out)


if __name__ == "__main__":
    if sys.argv[1:] == ["generate"]:
        print(f"fonts: {generate()}")
    else:
        print("usage: python -m kiosk.fonts generate", file=sys.stderr)
        raise SystemExit(2)
