"""The short soak (100 transactions of `make soak`): every transaction ends in a defined way, the
queue drains to the central after the link outages with nothing set aside and every accepted
transaction is at the central, and fds and threads stay flat after warm-up."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.soak import SoakResult, soak


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SoakResult]:
    logging.disable(logging.WARNING)  # 100 transactions of INFO lines say nothing here
    try:
        yield soak(100, work=Path(tmp_path_factory.mktemp("soak")))
    finally:
        logging.disable(logging.NOTSET)


@pytest.mark.timeout(120)
def test_every_transaction_reached_a_defined_end(result: SoakResult) -> None:
    assert result.undefined == []
    assert sum(result.ends.values()) == 100
    assert result.outages == 1 and result.device_faults == 4  # the faults really were sprinkled in
    assert sum(v for k, v in result.ends.items() if k.endswith(":done")) >= 70


def test_nothing_lost_after_the_outage(result: SoakResult) -> None:
    assert result.drained
    assert result.queue["depth"] == 0 and result.queue["dead_letters"] == 0
    assert result.lost() == {}
    assert result.expected_counts.get("applications", 0) > 0 and result.expected_counts.get("contact_changes", 0) > 0


def test_fds_and_threads_flat_and_memory_bounded(result: SoakResult) -> None:
    assert result.fd_growth <= 0, result.samples
    assert result.thread_growth <= 0, result.samples
    assert result.rss_growth_mb < 40, result.samples  # generous: 100 transactions; `make soak` has the goal
