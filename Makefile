# The two commands a maintainer needs: `make run` and `make test`.
# Each installs whatever is missing first (apt packages, the virtualenv, pinned pip packages).
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup run test lint typecheck bench soak screenshots prompts clean deb

$(STAMP): requirements.lock pyproject.toml central_sim/pyproject.toml scripts/setup.sh
	bash scripts/setup.sh
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/kiosk run --config config/demo.toml

test: $(STAMP)
	bash scripts/test.sh

lint: $(STAMP)
	bash scripts/lint.sh

bench: $(STAMP)
	$(PY) -m bench.run

soak: $(STAMP)
	$(PY) -m bench.soak

# Voice prompts: re-render the missing or stale clips from the string tables, delete orphans.
prompts: $(STAMP)
	$(PY) -m kiosk.voice.build

screenshots: $(STAMP)
	$(PY) -m screens.screenshots docs/screens

deb: $(STAMP)
	$(PY) packaging/build_deb.py --out dist

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
