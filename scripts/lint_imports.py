"""Check the import contracts in pyproject.toml ([tool.importlinter]) with import-linter.

Every contract is enforced except those listed in PENDING: contracts written and tested but
not yet kept by the tree, because the branches that break those circles are still being
merged. `--pending` checks only those (to see whether one can be turned on).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# PENDING: turn each on (delete its line) once the tree keeps it; `scripts/lint_imports.py --pending` shows which do.
PENDING: dict[str, str] = {
}


def contract_ids(pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    config = tomllib.loads(pyproject.read_text(encoding="utf-8"))["tool"]["importlinter"]
    return [str(c["id"]) for c in config["contracts"]]


def selected(ids: list[str], *, pending: bool) -> list[str]:
    unknown = sorted(set(PENDING) - set(ids))
    if unknown:
        raise SystemExit(f"lint_imports: pending contracts not in pyproject.toml: {', '.join(unknown)}")
    return [i for i in ids if (i in PENDING) == pending]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--pending", action="store_true", help="check only the pending contracts")
    args = ap.parse_args(argv)
    ids = selected(contract_ids(), pending=args.pending)
    if not ids:
        print("lint_imports: no contracts selected")
        return 0
    lint_imports = Path(sys.executable).with_name("lint-imports")
    cmd = [str(lint_imports), "--no-logo", "--no-cache", *(a for i in ids for a in ("--contract", i))]
    return subprocess.run(cmd, cwd=ROOT, check=False).returncode


if __name__ == "__main__":
    raise SystemExit(main())
