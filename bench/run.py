"""`make bench`: runs every bench/*_bench.py module and writes bench/results.{md,json}.

Each module exposes ``run(results: dict[str, float], report: list[str]) -> None``: it adds
flat keys to ``results`` and markdown lines to ``report``. Every figure is reported beside
a baseline measured in the same run.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    only = set(argv if argv is not None else sys.argv[1:])
    results_path = HERE / "results.json"
    results: dict[str, float] = {}
    if results_path.exists():
        results.update(json.loads(results_path.read_text(encoding="utf-8")))
    report: list[str] = [f"# Benchmark results ({time.strftime('%Y-%m-%d %H:%M')})", ""]
    for mod in sorted(m.name for m in pkgutil.iter_modules([str(HERE)]) if m.name.endswith("_bench")):
        if only and mod not in only:
            continue
        print(f"bench: {mod} …", flush=True)
        module = importlib.import_module(f"bench.{mod}")
        module.run(results, report)
        report.append("")
    results_path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    md = HERE / "results.md"
    text = "\n".join(report) + "\n"
    if only and md.exists():  # a partial run replaces its own sections and keeps the others
        text = merge_sections(md.read_text(encoding="utf-8"), text, ", ".join(sorted(only)))
    md.write_text(text, encoding="utf-8")
    print("\n".join(report))
    return 0


def _sections(text: str) -> tuple[str, list[tuple[str, str]]]:
    """The text before the first "## " heading, and each (heading, block) after it."""
    head, *parts = text.split("\n## ")
    return head, [(p.split("\n", 1)[0], "## " + p.rstrip("\n")) for p in parts]


def merge_sections(old: str, new: str, what: str) -> str:
    """``old`` with each section of ``new`` put in place of the section with the same heading (or
    appended), and the title saying which benchmarks were run when."""
    head, blocks = _sections(old)
    _, fresh = _sections(new)
    by_heading = dict(fresh)
    merged = [by_heading.pop(h, b) for h, b in blocks] + list(by_heading.values())
    kept = [line for line in head.rstrip("\n").split("\n") if not line.startswith(f"_{what}: re-run")]
    title = "\n".join(kept).rstrip("\n") + f"\n\n_{what}: re-run {time.strftime('%Y-%m-%d %H:%M')}_"
    return "\n\n".join([title, *merged]) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
