"""docs/threat-model.md names the test behind each control: every test it names must exist, so the
table cannot drift from the suite (a renamed or deleted test fails here)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "threat-model.md"
REF = re.compile(r"`([\w/]+\.py)?(?:::(\w+))?")


def references(text: str) -> list[tuple[str, str | None]]:
    """(test file, test name or None) for each backticked reference in a table row's last column (the
    test); ``::name`` alone means the file named last in the same cell."""
    out: list[tuple[str, str | None]] = []
    for line in text.splitlines():
        cells = line.strip().split("|")
        for cell in cells[-2:-1] if len(cells) > 2 else []:
            last: str | None = None
            for m in REF.finditer(cell):
                path, name = m.group(1), m.group(2)
                if path:
                    last = path
                if last and (path or name):
                    out.append((last, name))
    return out


def test_every_test_the_threat_model_names_exists() -> None:
    refs = references(DOC.read_text(encoding="utf-8"))
    assert len(refs) > 40
    missing = []
    for path, name in refs:
        file = ROOT / "tests" / path
        if not file.is_file():
            missing.append(path)
        elif name and not re.search(rf"^(async )?def {name}\(", file.read_text(encoding="utf-8"), re.MULTILINE):
            missing.append(f"{path}::{name}")
    assert missing == []


def test_the_reader_resolves_shorthand_to_the_last_file() -> None:
    refs = references("| `hal/pii.py` | `a/x.py::t1`, `::t2`, `b/y.py` |")
    assert refs == [("a/x.py", "t1"), ("a/x.py", "t2"), ("b/y.py", None)]
