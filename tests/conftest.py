import pytest

pytest_plugins = ["tests.hal.pcsc_fixtures"]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """make test runs two pytest-xdist workers. A module's tests stay on one worker, so its
    module-scoped fixtures (a booted container, a walk of every screen) are built once; every test
    that needs the machine's one pcscd runs on the same worker, as the session fixture holds it."""
    for item in items:
        group = "pcscd" if "pcscd" in getattr(item, "fixturenames", ()) else item.nodeid.split("::")[0]
        item.add_marker(pytest.mark.xdist_group(group))
