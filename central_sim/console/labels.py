"""Human labels (zh/en) for fleet codes, from assets/labels/fleet_labels.json — the one table the kiosk
reads too (the kiosk reads the file; it never imports central_sim)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

LABELS_FILE = Path(__file__).resolve().parents[2] / "assets" / "labels" / "fleet_labels.json"
LANGS = ("zh", "en")


@cache
def table() -> dict[str, dict[str, dict[str, str]]]:
    data = json.loads(LABELS_FILE.read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if not k.startswith("_")}


def label(kind: str, code: str, lang: str) -> str:
    """The label for ``code`` in table ``kind``; an unknown code is shown as it is (never hidden)."""
    entry = table().get(kind, {}).get(code)
    return entry.get(lang if lang in LANGS else "zh", code) if entry else code
