"""Recovery tests reuse the flows engineer's fixtures: a reference central per test (fresh SQLite)."""

from tests.flows.conftest import central  # noqa: F401  (a fixture)
