#!/usr/bin/env bash
# The whole suite: lint, types, then pytest. Used by `make test` and CI.
set -euo pipefail
cd "$(dirname "$0")/.."
export KIVY_NO_ARGS=1 KIVY_NO_CONSOLELOG=1
.venv/bin/ruff check .
.venv/bin/mypy kiosk hal offline_queue central_sim screens
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
