"""The full GC pass is held while a citizen is served and runs between sessions (real gc)."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from typing import Any

import pytest

from screens.gc_pacing import FullCollectionPacer


class Node:
    """A reference cycle, as Kivy's widgets are: only the cyclic collector frees it."""

    def __init__(self) -> None:
        self.me = self


@pytest.fixture
def full_passes() -> Iterator[list[int]]:
    """The generation of every automatic collection that runs during the test."""
    seen: list[int] = []
    saved = gc.get_threshold()

    def record(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            seen.append(info["generation"])

    gc.collect()
    gc.callbacks.append(record)
    try:
        yield seen
    finally:
        gc.callbacks.remove(record)
        gc.set_threshold(*saved)


def churn(rounds: int) -> list[Node]:
    """A session's allocation pattern: widgets that live a while, then become cycles of garbage."""
    kept: list[Node] = []
    for i in range(rounds):
        batch = [Node() for _ in range(2_000)]
        kept.extend(batch[:200])  # some survive into the old generation
        if i % 5 == 4:
            kept = kept[-400:]
    return kept


def test_without_the_pacer_the_same_work_triggers_full_passes(full_passes: list[int]) -> None:
    churn(300)
    assert 2 in full_passes  # the control: this workload does reach generation 2 on its own


def test_a_held_session_makes_no_full_pass_and_the_release_frees_its_cycles(full_passes: list[int]) -> None:
    pacer = FullCollectionPacer()
    normal = gc.get_threshold()
    pacer.hold()
    assert pacer.holding
    churn(300)
    garbage = Node()
    ref = weakref.ref(garbage)
    del garbage
    assert 2 not in full_passes and 0 in full_passes  # the young generations still collect
    assert ref() is not None  # the cycle waits for the held pass
    pacer.release()
    assert ref() is None and not pacer.holding and pacer.last_pass_s > 0
    assert gc.get_threshold() == normal


def test_a_session_that_runs_too_long_gets_its_full_pass_anyway(full_passes: list[int]) -> None:
    pacer = FullCollectionPacer(held_passes=20)
    pacer.hold()
    churn(600)  # far more young passes than 20
    assert 2 in full_passes
    pacer.release()
