"""Find test code that cannot fail: `assert True`, `... or True`, errors swallowed whole.

Run by `make lint` over tests/ (and the conftest fixtures in it). It reads the syntax tree,
so strings and comments that merely mention these patterns are not flagged. Findings:

- an assert whose condition is a truthy constant (`assert True`, `assert 1`, `assert "x"`)
  or a non-empty tuple (`assert (cond, "message")`, always true);
- `x or True` anywhere in a test, and `or` with any truthy constant inside an assert;
- `except:`, `except Exception:` or `except BaseException:` (alone or in a tuple) whose body
  only passes (`pass`, `...`, a bare string): the error vanishes and nothing is checked.

There is no allowlist: fix the test.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BROAD = {"Exception", "BaseException"}


@dataclass(frozen=True)
class Finding:
    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        try:
            shown = self.path.relative_to(ROOT)
        except ValueError:
            shown = self.path
        return f"{shown}:{self.line}: {self.message}"


def _truthy_constant(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return bool(node.value)
    return isinstance(node, ast.Tuple) and len(node.elts) > 0


def _broad(handler: ast.ExceptHandler) -> bool:
    kind = handler.type
    if kind is None:
        return True
    names = kind.elts if isinstance(kind, ast.Tuple) else [kind]
    return any((isinstance(n, ast.Name) and n.id in BROAD) or (isinstance(n, ast.Attribute) and n.attr in BROAD)
               for n in names)


def _only_passes(body: list[ast.stmt]) -> bool:
    return all(isinstance(s, ast.Pass) or (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
               for s in body)


def _always_true_or(node: ast.AST, *, in_assert: bool) -> bool:
    """`x or True`; inside an assert also `x or 1`, `x or "text"` (outside one, `name or "default"` is fine)."""
    if not (isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or)):
        return False
    return any(isinstance(v, ast.Constant) and (v.value is True or (in_assert and bool(v.value)))
               for v in node.values)


def check_source(source: str, path: Path) -> Iterator[Finding]:
    tree = ast.parse(source, filename=str(path))
    in_asserts = {id(n) for a in ast.walk(tree) if isinstance(a, ast.Assert) for n in ast.walk(a.test)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert) and _truthy_constant(node.test):
            yield Finding(path, node.lineno, "assert on a constant that is always true")
        elif _always_true_or(node, in_assert=id(node) in in_asserts):
            yield Finding(path, getattr(node, "lineno", 0),
                          "`or` with a truthy constant: the expression is always true")
        elif isinstance(node, ast.ExceptHandler) and _broad(node) and _only_passes(node.body):
            yield Finding(path, node.lineno, "broad except that only passes: the error is swallowed unchecked")


def python_files(paths: list[Path]) -> Iterator[Path]:
    for p in paths:
        if p.is_dir():
            yield from sorted(f for f in p.rglob("*.py") if "__pycache__" not in f.parts)
        else:
            yield p


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("paths", nargs="*", type=Path, default=[ROOT / "tests"])
    args = ap.parse_args(argv)
    findings = [f for path in python_files(args.paths)
                for f in check_source(path.read_text(encoding="utf-8"), path)]
    for f in findings:
        print(f)
    if findings:
        print(f"lint_tests: {len(findings)} assertion(s) that cannot fail", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
