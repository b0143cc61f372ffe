"""The layout check over a live Kivy widget tree, run at every screenshot (``make screenshots``)
and on a bounded set in ``make test`` (tests/ui/test_layout.py).

At each shot it walks the window's widgets and records, for every visible text widget, its box,
its rendered texture's size and the colours it is drawn in, and for every touch target its size.
Then it finds:

* ``clipped``: a text's texture larger than its box (a wrapped line falls outside and is hidden
  under, or drawn over, its neighbour), or a text box outside the window;
* ``overlap``: two texts, a text and a button it is not part of, or two buttons, drawn over one
  another in the same layer (a modal's dimmed backdrop starts a new layer);
* ``target``: a touch target smaller than 15 mm (20 mm in elderly mode) at the configured DPI;
* ``contrast``: text against what it is drawn on (its button's background, else the nearest
  painted ancestor, else the window's clear colour) below 4.5:1 (7:1 in elderly mode);
* ``linebreak``: a text wrapped against the Chinese line-breaking rules (hal/line_break.py):
  a line that begins with "。" or "，", or ends with "（".
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

TARGET_MM = 15.0
ELDERLY_TARGET_MM = 20.0
CONTRAST = 4.5
ELDERLY_CONTRAST = 7.0
TOLERANCE_PX = 2.0  # sub-pixel rounding and a font's overhang are not defects

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in window pixels
RGBA = tuple[float, float, float, float]
_MARKUP = re.compile(r"\[/?[a-z_]+(=[^\]]*)?\]")


@dataclass(frozen=True)
class Finding:
    kind: str  # clipped | overlap | target | contrast | linebreak
    widget: str
    detail: str


@dataclass
class Check:
    """What one walk of one screen found; ``checks`` counts the comparisons made."""

    findings: list[Finding] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    checks: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"findings": [asdict(f) for f in self.findings], "texts": self.texts, "checks": self.checks}


def mm_to_px(mm: float, dpi: float) -> float:
    return mm / 25.4 * dpi


def contrast_ratio(a: Any, b: Any) -> float:
    """WCAG 2 contrast ratio of two sRGB colours (0..1 channels; alpha ignored)."""

    def luminance(c: Any) -> float:
        def lin(v: float) -> float:
            return v / 12.92 if v <= 0.03928 else float(((v + 0.055) / 1.055) ** 2.4)

        return 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2])

    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def blend(top: Any, under: Any) -> RGBA:
    """``top`` (with its alpha) drawn over an opaque ``under``."""
    a = float(top[3]) if len(top) > 3 else 1.0
    return (top[0] * a + under[0] * (1 - a), top[1] * a + under[1] * (1 - a), top[2] * a + under[2] * (1 - a), 1.0)


def plain(text: str) -> str:
    return _MARKUP.sub("", text).strip()


def name_of(w: Any) -> str:
    kid = getattr(w, "kiosk_id", "")
    if kid:
        return str(kid)
    text = plain(str(getattr(w, "text", "")))
    return f"{type(w).__name__}:{text[:28]!r}" if text else type(w).__name__


def window_box(w: Any) -> Box:
    x, y = w.to_window(*w.pos)
    return (x, y, x + w.width, y + w.height)


def laid_out_lines(w: Any) -> list[tuple[str, bool]]:
    """The lines of ``w``'s text as Kivy last laid them out: (text, whether a wrap began it)."""
    lines = getattr(getattr(w, "_label", None), "_cached_lines", None) or []
    return [("".join(word.text for word in line.words), bool(getattr(line, "line_wrap", 0))) for line in lines]


def bad_wraps(w: Any) -> list[str]:
    """The wraps in ``w``'s text against the line-breaking rules, as "before|after"."""
    from kiosk.fonts import bad_wrap

    lines = laid_out_lines(w)
    return [f"{before[-6:]}|{after[:6]}" for (before, _), (after, wrapped) in itertools.pairwise(lines)
            if wrapped and bad_wrap(before, after)]


def text_box(w: Any) -> Box:
    """Where a label's texture is drawn: centred on its box (Kivy's Label rule)."""
    x0, y0, x1, y1 = window_box(w)
    tw, th = w.texture_size
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return (cx - tw / 2, cy - th / 2, cx + tw / 2, cy + th / 2)


def area(b: Box) -> float:
    return max(0.0, b[2] - b[0]) * max(0.0, b[3] - b[1])


def intersects(a: Box, b: Box, tol: float = TOLERANCE_PX) -> bool:
    return min(a[2], b[2]) - max(a[0], b[0]) > tol and min(a[3], b[3]) - max(a[1], b[1]) > tol


def inside(inner: Box, outer: Box, tol: float = TOLERANCE_PX) -> bool:
    return (inner[0] >= outer[0] - tol and inner[1] >= outer[1] - tol
            and inner[2] <= outer[2] + tol and inner[3] <= outer[3] + tol)


def own_paint(w: Any) -> RGBA | None:
    """The colour of a rectangle painted under the widget that covers it (its background)."""
    from kivy.graphics import Color, Rectangle, RoundedRectangle

    canvases = [w.canvas.before]
    if not hasattr(w, "texture_size"):  # a label's main canvas is its own text
        canvases.append(w.canvas)
    found: RGBA | None = None
    for canvas in canvases:
        colour: Any = None
        for ins in canvas.children:
            if isinstance(ins, Color):
                colour = ins.rgba
            elif isinstance(ins, Rectangle | RoundedRectangle) and colour is not None and not ins.source:
                sw, sh = ins.size
                if sw >= w.width * 0.9 and sh >= w.height * 0.9 and colour[3] > 0:
                    found = (float(colour[0]), float(colour[1]), float(colour[2]), float(colour[3]))
    return found


def background(w: Any, window_clear: RGBA) -> RGBA:
    """What ``w`` is drawn on: a button's own background, else the nearest painted ancestor."""
    from kivy.uix.button import Button

    layers: list[RGBA] = []
    node = w
    while node is not None and node is not node.parent:
        if isinstance(node, Button) and getattr(node, "background_normal", "x") == "":
            c = node.background_color
            layers.append((float(c[0]), float(c[1]), float(c[2]), float(c[3])))
        else:
            c2 = own_paint(node)
            if c2 is not None:
                layers.append(c2)
        if layers and layers[-1][3] >= 0.999:
            break
        node = node.parent
    out: RGBA = window_clear
    for c in reversed(layers):
        out = blend(c, out)
    return out


@dataclass
class _Node:
    widget: Any
    layer: int
    ancestors: tuple[int, ...]


def _walk(roots: list[Any]) -> Iterator[_Node]:
    """Visible widgets in drawing order; a modal backdrop (a full-window dimming paint) opens a layer."""
    from kivy.core.window import Window

    layer = 0
    win = (0.0, 0.0, float(Window.width), float(Window.height))

    def visit(w: Any, ancestors: tuple[int, ...]) -> Iterator[_Node]:
        nonlocal layer
        if w.opacity <= 0:
            return
        if w.width <= 1 or w.height <= 1:  # collapsed: hidden, unless it still draws a text
            if plain(str(getattr(w, "text", ""))) and hasattr(w, "texture_size"):
                yield _Node(w, layer, ancestors)
            return
        paint = own_paint(w)
        box = window_box(w)
        if paint is not None and paint[3] < 1 and area(box) >= 0.5 * area(win):
            layer += 1  # a dimmed backdrop over (most of) everything drawn so far
        yield _Node(w, layer, ancestors)
        for c in reversed(w.children):  # children[0] is drawn last (on top)
            yield from visit(c, (*ancestors, id(w)))

    for r in reversed(roots):
        yield from visit(r, ())


def check_window(*, dpi: float, elderly: bool) -> Check:
    """Walk the window now and return what the four checks found."""
    from kivy.core.window import Window
    from kivy.uix.behaviors import ButtonBehavior
    from kivy.uix.label import Label

    out = Check()
    target_mm = ELDERLY_TARGET_MM if elderly else TARGET_MM
    min_target = mm_to_px(target_mm, dpi)
    min_ratio = ELDERLY_CONTRAST if elderly else CONTRAST
    win: Box = (0.0, 0.0, float(Window.width), float(Window.height))
    clear = tuple(float(v) for v in Window.clearcolor)
    clear_rgba: RGBA = (clear[0], clear[1], clear[2], 1.0)
    nodes = list(_walk(list(Window.children)))
    top_layer = max((n.layer for n in nodes), default=0)
    texts: list[tuple[_Node, Box]] = []
    buttons: list[tuple[_Node, Box]] = []
    for n in nodes:
        w = n.widget
        if isinstance(w, ButtonBehavior):
            box = window_box(w)
            buttons.append((n, box))
            out.checks += 1
            if min(w.width, w.height) < min_target - 0.5:
                out.findings.append(Finding("target", name_of(w), f"{w.width:.0f}x{w.height:.0f} px, under "
                                            f"{target_mm:.0f} mm = {min_target:.0f} px"))
        if not (isinstance(w, Label) and plain(w.text)):
            continue
        out.texts.append(plain(w.text))
        texts.append((n, text_box(w)))
        out.checks += 2
        tw, th = w.texture_size
        if w.width <= 1 or w.height <= 1:
            out.findings.append(Finding("clipped", name_of(w), f"text {tw:.0f}x{th:.0f} drawn from a collapsed "
                                        f"box of {w.width:.0f}x{w.height:.0f}"))
            continue
        if tw > w.width + TOLERANCE_PX or th > w.height + TOLERANCE_PX:
            out.findings.append(Finding("clipped", name_of(w), f"text {tw:.0f}x{th:.0f} in a box of "
                                        f"{w.width:.0f}x{w.height:.0f}"))
        elif not inside(window_box(w), win):
            out.findings.append(Finding("clipped", name_of(w), "box outside the window "
                                        f"{tuple(round(v) for v in window_box(w))}"))
        out.checks += 1
        for wrap in bad_wraps(w):
            out.findings.append(Finding("linebreak", name_of(w), f"wrapped against the rules at {wrap!r}"))
        if n.layer < top_layer:
            continue  # dimmed under a modal: not read, not compared
        fg = w.disabled_color if w.disabled else w.color
        bg = background(w, clear_rgba)
        ratio = contrast_ratio(blend(fg, bg), bg)
        if ratio < min_ratio:
            out.findings.append(Finding("contrast", name_of(w), f"{ratio:.1f}:1, under {min_ratio:g}:1"))
    out.findings.extend(_overlaps(texts, buttons, top_layer))
    out.checks += len(texts) + len(buttons)
    return out


def _overlaps(texts: list[tuple[_Node, Box]], buttons: list[tuple[_Node, Box]], top: int) -> list[Finding]:
    found: list[Finding] = []

    def related(a: _Node, b: _Node) -> bool:
        return id(a.widget) in b.ancestors or id(b.widget) in a.ancestors or a.widget is b.widget

    items = [(n, box, "text") for n, box in texts] + [(n, box, "button") for n, box in buttons]
    items = [i for i in items if i[0].layer == top]
    for i, (a, abox, akind) in enumerate(items):
        for b, bbox, bkind in items[i + 1:]:
            if related(a, b) or not intersects(abox, bbox):
                continue
            if akind == "button" and bkind == "text" and b.widget is a.widget:
                continue
            found.append(Finding("overlap", name_of(a.widget), f"{akind} over {bkind} {name_of(b.widget)}"))
    return found
