"""The import contracts in pyproject.toml: they catch what they are written for.

Each contract is run by import-linter (the real tool, as `make lint` runs it) over a small
tree in a temporary directory that has the project's package names, once with the import
the contract forbids and once without, so a contract that could never break would fail here.
"""

from __future__ import annotations

import os
import pkgutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import hal
from scripts import lint_imports

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def importlinter_section() -> str:
    """The [tool.importlinter] tables of pyproject.toml, verbatim."""
    out: list[str] = []
    inside = False
    for line in (ROOT / "pyproject.toml").read_text(encoding="utf-8").splitlines():
        if line.startswith("["):
            inside = line.lstrip("[").startswith("tool.importlinter")
        if inside:
            out.append(line)
    return "\n".join(out) + "\n"


def make_tree(root: Path, modules: dict[str, str]) -> None:
    """Packages for every root package the config names, plus `modules` (dotted name -> source)."""
    for pkg in ("screens", "kiosk", "offline_queue", "hal", "central_sim"):
        (root / pkg).mkdir(exist_ok=True)
        (root / pkg / "__init__.py").touch()
    for name, source in modules.items():
        parts = name.split(".")
        for i in range(1, len(parts)):
            d = root.joinpath(*parts[:i])
            d.mkdir(exist_ok=True)
            (d / "__init__.py").touch()
        root.joinpath(*parts[:-1], parts[-1] + ".py").write_text(source)
    (root / "pyproject.toml").write_text(importlinter_section())


def check(root: Path, contract: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-logo", "--no-cache", "--contract", contract], cwd=root, text=True,
        capture_output=True, timeout=60, env={**os.environ, "PYTHONPATH": str(root)}, check=False)


CASES = {
    # contract: (modules that break it, the import that breaks it)
    "acyclic-kiosk": ({"kiosk.runtime": "import kiosk.maintenance\n",
                       "kiosk.maintenance.service": "x = 1\n"},
                      {"kiosk.maintenance.service": "from kiosk import runtime\n"}),
    "acyclic-screens": ({"screens.app": "import screens.home\n", "screens.home": "x = 1\n"},
                        {"screens.home": "from screens import app\n"}),
    "acyclic-central-sim": ({"central_sim.storage": "import central_sim.pg_storage\n",
                             "central_sim.pg_storage": "x = 1\n"},
                            {"central_sim.pg_storage": "import central_sim.storage\n"}),
    "no-central-sim": ({"kiosk.demo": "import kiosk.dev_central\n", "kiosk.dev_central": "x = 1\n"},
                       {"kiosk.demo": "import central_sim.seed\n", "central_sim.seed": "x = 1\n"}),
    "layers": ({"screens.app": "import kiosk.runtime\n", "screens.bootstrap": "", "hal.types": "",
                "kiosk.runtime": "import hal.types\n",
                # the composition root's two imports of the UI are the contract's declared exceptions
                "kiosk.app_main": "import screens.app\nimport screens.bootstrap\n"},
               {"hal.types": "import kiosk.runtime\n"}),
    "queue-knows-no-kiosk": ({"offline_queue.store": "import sqlite3\n"},
                             {"offline_queue.store": "import kivy.clock\n"}),
}


@pytest.mark.parametrize("contract", sorted(CASES))
def test_contract_is_kept_without_and_broken_with_the_import(tmp_path: Path, contract: str) -> None:
    clean, breaking = CASES[contract]
    make_tree(tmp_path, clean)
    kept = check(tmp_path, contract)
    assert kept.returncode == 0, kept.stdout + kept.stderr
    assert "KEPT" in kept.stdout
    make_tree(tmp_path, breaking)
    broken = check(tmp_path, contract)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "BROKEN" in broken.stdout


def test_no_emulators_covers_every_hal_module_but_the_emulators() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    (contract,) = [c for c in config["contracts"] if c["id"] == "no-emulators"]
    hal_children = {f"hal.{m.name}" for m in pkgutil.iter_modules(hal.__path__)} - {"hal.emulators"}
    assert hal_children <= set(contract["source_modules"])


def test_pending_contracts_are_left_out_and_checkable_alone() -> None:
    ids = lint_imports.contract_ids()
    enforced = lint_imports.selected(ids, pending=False)
    pending = lint_imports.selected(ids, pending=True)
    assert set(pending) == set(lint_imports.PENDING)
    assert set(enforced) | set(pending) == set(ids)
    assert not set(enforced) & set(pending)
    assert {"layers", "no-central-sim", "no-emulators", "queue-knows-no-kiosk", "acyclic-central-sim",
            "acyclic-kiosk", "acyclic-screens"} <= set(enforced)


def test_a_pending_id_that_names_no_contract_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(lint_imports.PENDING, "acyclic-nowhere", "a contract deleted from pyproject.toml")
    with pytest.raises(SystemExit, match="acyclic-nowhere"):
        lint_imports.selected(lint_imports.contract_ids(), pending=False)
