"""When Python's full garbage collections run: between citizens, not while one is served.

A full (generation-2) pass walks every tracked object while holding the interpreter lock.
Kivy's widgets are reference cycles, so a session leaves tens of thousands of objects for
that pass; here one pass took 63 ms on the UI thread in the middle of an issuance, a
dropped frame under the 100 ms bar. The young generations still collect on their own (a
few ms at most). The full pass is held while a session runs and done once it has ended,
on the attract screen; a session that outlasts ``held_passes`` young collections gets its
full pass anyway, so memory stays bounded however long a session runs.
"""

from __future__ import annotations

import gc
import time

# Young (generation-1) passes a session may hold back: an issuance, the longest flow,
# makes about 15 (measured), so this is several issuances' worth.
HELD_PASSES = 100


class FullCollectionPacer:
    def __init__(self, held_passes: int = HELD_PASSES) -> None:
        self.held_passes = held_passes
        self._normal: tuple[int, int, int] | None = None
        self.last_pass_s = 0.0

    @property
    def holding(self) -> bool:
        return self._normal is not None

    def hold(self) -> None:
        """A session starts: full passes wait (up to ``held_passes``)."""
        if self._normal is None:
            self._normal = gc.get_threshold()
            young, middle, _full = self._normal
            gc.set_threshold(young, middle, self.held_passes)

    def release(self) -> None:
        """Between sessions: the normal thresholds again, and the held pass now."""
        if self._normal is not None:
            gc.set_threshold(*self._normal)
            self._normal = None
        started = time.perf_counter()
        gc.collect()
        self.last_pass_s = time.perf_counter() - started
