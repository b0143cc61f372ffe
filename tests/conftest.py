pytest_plugins = ["tests.hal.pcsc_fixtures"]
