#!/usr/bin/env bash
# Every static check: ruff, mypy --strict, the import contracts (layers, no circles) and the
# tests that cannot fail. Used by `make lint` and scripts/test.sh (before pytest).
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check .
.venv/bin/mypy kiosk hal offline_queue central_sim screens
.venv/bin/python scripts/lint_imports.py
.venv/bin/python scripts/lint_tests.py
