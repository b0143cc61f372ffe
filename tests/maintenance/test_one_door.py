"""The maintenance screens reach the kiosk through the maintenance service's public methods only.

MaintenanceService keeps its host (the runtime, behind the MaintenanceHost protocol) private, so a
screen reading `svc.rt.cfg` or `svc._host.outbox` is a rule bypassed (no permission check, no
audit, no single place to change). mypy catches the old `svc.rt`; this scan catches reaching for
the private name or any `.rt` in the screens.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {"rt", "_host"}  # the runtime's old public name, and the service's private one


def reaches_past_the_service(source: str) -> list[tuple[int, str]]:
    return [(node.lineno, node.attr) for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Attribute) and node.attr in FORBIDDEN]


def test_the_scan_finds_a_reach_into_the_runtime() -> None:
    bad = "def f(svc):\n    return svc.rt.cfg.kiosk.data_dir, svc._host.outbox\n"
    assert sorted(reaches_past_the_service(bad)) == [(2, "_host"), (2, "rt")]


def test_maintenance_screens_use_only_the_service() -> None:
    found = {str(p.relative_to(ROOT)): hits for p in sorted((ROOT / "screens").rglob("*.py"))
             # the screenshot tool and its tours compose a runtime of their own
             if p.name != "screenshots.py" and not p.stem.endswith(("_shots", "_tour")) and p.parent.name != "shots"
             and (hits := reaches_past_the_service(p.read_text(encoding="utf-8")))}
    assert found == {}
