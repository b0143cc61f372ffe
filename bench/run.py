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
    (HERE / "results.md").write_text("\n".join(report) + "\n", encoding="utf-8")
    print("\n".join(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
