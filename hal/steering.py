"""What a tester can do to the simulators at run time (CLI, maintenance screen, tests)."""

from __future__ import annotations

from typing import Protocol


class Steerable(Protocol):
    def steer(self, action: str, **params: object) -> str:
        """Apply a named action (e.g. 'insert', 'remove', 'jam'); return a short result."""
        ...
