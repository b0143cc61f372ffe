"""The screens package has no import circle: screens reach the app through screens.ports.AppPort,
never by importing screens.app back. Computed from the source with ast (every import counts:
module level, inside functions and under TYPE_CHECKING)."""

from __future__ import annotations

import ast
from pathlib import Path

import screens

PACKAGE_DIR = Path(screens.__file__).resolve().parent


def module_name(root: Path, path: Path) -> str:
    parts = [root.name, *path.relative_to(root).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module → the modules of the same package it imports."""
    files = {module_name(root, p): p for p in root.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                # ``from pkg import mod`` imports the submodule when there is one
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in files else base for a in node.names]
            for target in targets:
                while target and target not in files:  # ``import screens.x.y`` → the deepest known module
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), each as a sorted list."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_screens_package_has_no_import_cycle() -> None:
    graph = import_graph(PACKAGE_DIR)
    assert "screens.panels" in graph and "screens.ports" in graph["screens.panels"]  # the graph is real
    assert cycles(graph) == []


def test_no_screen_imports_the_app() -> None:
    """Only the app's own composition (the screenshot tool) may import screens.app."""
    graph = import_graph(PACKAGE_DIR)
    importers = sorted(m for m, targets in graph.items() if "screens.app" in targets)
    assert importers == ["screens.screenshots"]


def test_the_check_finds_a_circle_through_a_type_checking_import(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "app.py").write_text("from pkg.sub import panel\n")
    (pkg / "sub" / "panel.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                          "    from ..app import App\n")
    (pkg / "leaf.py").write_text("import pkg.sub.panel\n")
    assert cycles(import_graph(pkg)) == [["pkg.app", "pkg.sub.panel"]]


def external_imports(root: Path) -> dict[str, set[str]]:
    """Module → every absolute module name it imports (any depth, any place in the file)."""
    out: dict[str, set[str]] = {}
    for path in root.rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module)
        out[module_name(root, path)] = names
    return out


# The composition: the app is built on the runtime; the screenshot tool builds both.
COMPOSITION = {"screens.app", "screens.screenshots", "screens.shots.index"}
# Known debt: the ledger upload goes through kiosk.runtime.Services until the maintenance
# service offers it (the runtime split does: then this set is empty).
RUNTIME_DEBT: set[str] = set()


def test_screens_reach_neither_the_runtime_nor_a_driver() -> None:
    """Screens get what they show through AppPort (and the maintenance service); device access
    goes through the flows or the maintenance service, never a hal import."""
    reach = {m: sorted(n for n in names if n == "kiosk.runtime" or n == "hal" or n.startswith("hal."))
             for m, names in external_imports(PACKAGE_DIR).items() if m not in COMPOSITION}
    offenders = {m: names for m, names in reach.items() if names and m not in RUNTIME_DEBT}
    assert offenders == {}
