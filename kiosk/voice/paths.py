"""Where the pre-rendered prompts live (assets/prompts/, written by ``make prompts``)."""

from __future__ import annotations

from pathlib import Path

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "assets" / "prompts"
MANIFEST = "manifest.json"
