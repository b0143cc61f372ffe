"""HAL codec property tests with many examples (`make bench`): how many cases ran, and in what time.

The suite runs tests/hal/test_*_properties.py with a few examples per property (the
baseline, measured here in the same run); this entry runs the same tests with
HAL_PROPERTY_EXAMPLES raised and counts the cases hypothesis actually ran to a verdict (its
statistics: passing + failing, not the inputs an assume() rejected), per codec. A failing
property fails the bench.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FILES = {
    "idreader": "tests/hal/test_idreader_properties.py",
    "apdu": "tests/hal/test_apdu_properties.py",
    "pinpad": "tests/hal/test_pinpad_properties.py",
    "escpos": "tests/hal/test_receipt_properties.py",
}
# The other trust boundaries' property tests run at their suite settings; the bench records their cases.
BOUNDARY_FILES = {
    "config": "tests/domain/test_config.py",
    "queue rows, blobs, files, WALs": "tests/queue/test_properties.py",
    "heartbeat, event, audit head": "tests/central/test_heartbeat_event_properties.py",
}
SUITE_EXAMPLES = None  # the default of tests/hal/property_settings.py
MANY_EXAMPLES = int(os.environ.get("BENCH_PROPERTY_EXAMPLES", "5000"))
_CASES = re.compile(r"(\d+) passing, (\d+) failing, and (\d+) invalid test cases")


def count_cases(pytest_output: str) -> int:
    """Cases checked according to hypothesis' statistics (every phase of every property)."""
    return sum(int(passing) + int(failing) for passing, failing, _invalid in _CASES.findall(pytest_output))


def run_properties(path: str, examples: int | None) -> tuple[int, float]:
    env = {**os.environ, "KIVY_NO_ARGS": "1", "KIVY_NO_CONSOLELOG": "1"}
    if examples is not None:
        env["HAL_PROPERTY_EXAMPLES"] = str(examples)
    t0 = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--hypothesis-show-statistics", path],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - t0
    if proc.returncode != 0:  # show the failures (the statistics come after them)
        failures = proc.stdout[proc.stdout.find("= FAILURES =") :][:6000]
        raise SystemExit(f"hal properties: {path} failed with {examples} examples\n{failures}")
    return count_cases(proc.stdout), elapsed


def run(results: dict[str, float], report: list[str]) -> None:
    report += [f"## HAL codec properties (hypothesis, {MANY_EXAMPLES:,} examples per property)", "",
               "| codec | cases (suite default) | s | cases (bench) | s |", "|---|---|---|---|---|"]
    total_suite = total_many = 0
    for name, path in FILES.items():
        suite_cases, suite_s = run_properties(path, SUITE_EXAMPLES)
        many_cases, many_s = run_properties(path, MANY_EXAMPLES)
        total_suite += suite_cases
        total_many += many_cases
        results[f"hal_properties.{name}.cases"] = many_cases
        results[f"hal_properties.{name}.seconds"] = round(many_s, 1)
        results[f"hal_properties.{name}.suite_cases"] = suite_cases
        report.append(f"| {name} | {suite_cases:,} | {suite_s:.1f} | {many_cases:,} | {many_s:.1f} |")
    results["hal_properties.cases"] = total_many
    results["hal_properties.suite_cases"] = total_suite
    report += ["", f"{total_many:,} cases in the bench run against {total_suite:,} in the suite's "
               f"(ratio {total_many / max(total_suite, 1):.0f}x); every property held."]
    report += ["", "Other trust boundaries (hypothesis, the suite's own settings):", "",
               "| boundary | cases | s |", "|---|---|---|"]
    for name, path in BOUNDARY_FILES.items():
        cases, secs = run_properties(path, None)
        results[f"properties.{name.split(',')[0].replace(' ', '_')}.cases"] = cases
        report.append(f"| {name} | {cases:,} | {secs:.1f} |")
