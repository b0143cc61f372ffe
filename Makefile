# The two commands a maintainer needs: `make run` and `make test`.
# Each installs whatever is missing first (apt packages, the virtualenv, pinned pip packages).
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup run test e2e stress lint typecheck bench soak screenshots prompts clean deb mutation

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

# Booted end-to-end runs of several minutes each (signed update and rollback under systemd-nspawn).
e2e: $(STAMP)
	KIVY_NO_ARGS=1 $(PY) -m pytest -q -p no:cacheprovider -m e2e_long

# The queue's crash and chaos tests at full size: 200 SIGKILLs, 2,000 items under faults (a few minutes).
stress: $(STAMP)
	QUEUE_KILLS_PER_CHAIN=50 QUEUE_CHAOS_ITEMS=2000 KIVY_NO_ARGS=1 $(PY) -m pytest -q -p no:cacheprovider tests/queue/test_crash.py tests/queue/test_chaos.py

bench: $(STAMP)
	$(PY) -m bench.run

soak: $(STAMP)
	$(PY) -m bench.soak

# Contract fuzzing: schemathesis against a live central_sim (the suite runs a bounded pass of the same test),
# then every property test with fresh random examples (the suite's are fixed: tests/conftest.py).
fuzz: $(STAMP)
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-400} FUZZ_CASES=$${FUZZ_CASES:-10000} KIVY_NO_ARGS=1 $(PY) -m pytest -q -p no:cacheprovider --timeout=3600 tests/central/test_openapi.py tests/security/test_fuzz_inputs.py -k fuzz
	HYPOTHESIS_PROFILE=explore KIVY_NO_ARGS=1 $(PY) -m pytest -q -p no:cacheprovider -n 2 $$(grep -rl "from hypothesis" tests --include='test_*.py')

# Mutation check of the domain rules (kiosk/domain): writes docs/mutation.md, fails above 5 % survivors.
mutation: $(STAMP)
	KIVY_NO_ARGS=1 KIVY_NO_CONSOLELOG=1 $(PY) scripts/mutate.py --out docs/mutation.md

# Voice prompts: re-render the missing or stale clips from the string tables, delete orphans.
prompts: $(STAMP)
	$(PY) -m kiosk.voice.build

screenshots: $(STAMP)
	$(PY) -m screens.screenshots docs/screens

deb: $(STAMP)
	$(PY) packaging/build_deb.py --out dist --dev-repo build/dev-release-repo

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
