"""Fuzhou's 13 county-level districts as a schematic, offline SVG (no tile server): a polygon to draw and
an inner box where the district's sites are placed. Positions are schematic, not survey-accurate."""

from __future__ import annotations

import re

VIEWBOX = (0, 0, 780, 600)
# code: (polygon points, inner box x, y, w, h for sites)
SHAPES: dict[str, tuple[str, tuple[int, int, int, int]]] = {
    "LY": ("560,20 760,20 760,140 560,140", (575, 50, 170, 80)),
    "LJ": ("480,150 760,150 760,280 560,280 480,230", (565, 170, 180, 95)),
    "JA": ("330,60 550,60 550,140 470,230 420,230 330,200", (345, 90, 180, 100)),
    "MQ": ("20,120 180,120 180,300 20,300", (35, 150, 130, 135)),
    "MH": ("190,120 320,120 320,200 340,330 300,420 190,420", (200, 150, 105, 255)),
    "GL": ("330,210 400,210 400,270 330,270", (338, 228, 55, 35)),
    "TJ": ("405,240 460,240 460,290 405,290", (410, 256, 45, 28)),
    "MW": ("470,240 550,240 560,300 470,320", (478, 262, 70, 45)),
    "CS": ("345,280 400,280 470,300 470,360 345,360", (352, 302, 110, 50)),
    "CL": ("480,330 600,300 640,420 480,440", (490, 345, 125, 85)),
    "YT": ("20,310 180,310 180,520 20,520", (35, 340, 130, 170)),
    "FQ": ("190,430 560,450 540,580 190,580", (200, 470, 330, 100)),
    "PT": ("650,380 760,380 760,520 650,520", (660, 405, 90, 105)),
}
KIOSK_ID = re.compile(r"^FZ-([A-Z]{2})-")


def district_of(kiosk_id: str) -> str:
    """A kiosk id FZ-<district>-<n> names its district; an id outside the scheme has none ("")."""
    m = KIOSK_ID.match(kiosk_id)
    return m.group(1) if m and m.group(1) in SHAPES else ""


def site_point(district: str, index: int, count: int) -> tuple[float, float, float]:
    """Centre and radius of the ``index``-th of ``count`` sites in a district, on a grid inside its inner box
    (smaller dots where a small district has many sites)."""
    _, (x, y, w, h) = SHAPES[district]
    cols = max(1, round((count * w / max(h, 1)) ** 0.5))
    rows = max(1, -(-count // cols))
    col, row = index % cols, index // cols
    cell = min(w / cols, h / rows)
    return x + (col + 0.5) * w / cols, y + (row + 0.5) * h / rows, max(1.5, min(5.0, cell / 2.4))
