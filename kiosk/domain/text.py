"""Text from outside (the central, a device) made safe to show: no control or bidi-format
characters (a U+202E could reverse what the citizen reads), and a bounded length."""

from __future__ import annotations

import unicodedata


def safe_display_text(text: str, max_len: int = 200) -> str:
    cleaned = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in text)
    return " ".join(cleaned.split())[:max_len]
