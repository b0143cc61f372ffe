import os
from collections.abc import Iterator

import pytest
from hypothesis import settings

from tests.quiet import shared

pytest_plugins = ["tests.hal.pcsc_fixtures"]

# Property tests draw the same examples on every `make test` run, so the suite's verdict on a
# commit is reproducible (CI once failed on a new example a property test found that run);
# `make fuzz` draws fresh ones (HYPOTHESIS_PROFILE=explore) to keep looking for new defects.
settings.register_profile("suite", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))

# make test runs two pytest-xdist workers (scripts/test.sh). The machine has one pcscd, which the
# session fixture holds for the whole session: every test that needs it runs on the same worker.
PCSCD_MODULES = "tests/hal/test_sscard"  # the modules whose tests use the pcscd fixture
PCSCD_SCOPE = "pcscd"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A pcscd test elsewhere would meet the other worker's pcscd: say where it must go."""
    stray = [i.nodeid for i in items if "pcscd" in getattr(i, "fixturenames", ())
             and not i.nodeid.startswith(PCSCD_MODULES)]
    if stray:
        raise pytest.UsageError(f"tests using pcscd must live in {PCSCD_MODULES}*.py (tests/conftest.py): {stray}")


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """Whole modules to a worker (their module fixtures, such as a booted container or a walk of
    every screen, are built once), and all the pcscd modules to the same one."""
    from xdist.scheduler import LoadScopeScheduling

    class ModuleScheduling(LoadScopeScheduling):  # type: ignore[misc]  # xdist ships no type hints
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return PCSCD_SCOPE if module.startswith(PCSCD_MODULES) else module

    return ModuleScheduling(config, log)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    """Each test, its fixtures' setup included, holds a share of the quiet lock (tests/quiet.py)."""
    with shared():
        yield
