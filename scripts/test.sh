#!/usr/bin/env bash
# The whole suite: lint (types, import contracts included), then pytest. Used by `make test` and CI.
set -euo pipefail
cd "$(dirname "$0")/.."
export KIVY_NO_ARGS=1 KIVY_NO_CONSOLELOG=1
bash scripts/lint.sh  # ruff, mypy, import contracts, tests that cannot fail
# two workers; tests/conftest.py sends each module, and all the pcscd modules, to one worker
.venv/bin/python -m pytest -q -p no:cacheprovider -m "not e2e_long" -n "${TEST_WORKERS:-2}" --dist loadscope "$@"
