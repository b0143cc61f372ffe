"""scripts/lint_tests.py: finds the test code that cannot fail, and nothing else."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from scripts.lint_tests import check_source, main


def lines_flagged(source: str) -> list[int]:
    return [f.line for f in check_source(textwrap.dedent(source), Path("t.py"))]


@pytest.mark.parametrize("source", [
    "assert True\n",
    "assert 1\n",
    "assert 'always'\n",
    "assert (x == 1, 'message')\n",
    "assert any(v for v in xs) or True\n",
    "assert x or 'text'\n",
    "ok = check() or True\n",
    "try:\n    f()\nexcept:\n    pass\n",
    "try:\n    f()\nexcept Exception:\n    pass\n",
    "try:\n    f()\nexcept BaseException:\n    ...\n",
    "try:\n    f()\nexcept (ValueError, Exception):\n    'ignored'\n",
    "import builtins\ntry:\n    f()\nexcept builtins.Exception:\n    pass\n",
])
def test_flags_what_cannot_fail(source: str) -> None:
    assert len(lines_flagged(source)) == 1


@pytest.mark.parametrize("source", [
    "assert x\n",
    "assert x or y\n",
    "assert x is not None, 'message'\n",
    "mobile = given or '13900000000'\n",  # a default value, not an assertion
    "note = 'assert True or True'\n",  # only code counts, not text about it
    "try:\n    f()\nexcept ValueError:\n    pass\n",  # a named, expected error
    "try:\n    f()\nexcept Exception:\n    log(); raise\n",
    "try:\n    f()\nexcept Exception as exc:\n    errors.append(exc)\n",
])
def test_leaves_real_checks_alone(source: str) -> None:
    assert lines_flagged(source) == []


def test_reports_file_and_line_and_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "test_bad.py"
    bad.write_text("def test_x() -> None:\n    x = 1\n    assert x == 2 or True\n")
    good = tmp_path / "test_good.py"
    good.write_text("def test_x() -> None:\n    assert 1 + 1 == 2\n")
    assert main([str(tmp_path)]) == 1
    assert f"{bad}:3:" in capsys.readouterr().out
    bad.unlink()
    assert main([str(tmp_path)]) == 0
