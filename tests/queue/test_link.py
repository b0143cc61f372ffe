from __future__ import annotations

import threading

import pytest

from offline_queue import LinkMonitor, LinkState


def test_down_after_n_failures_up_on_first_success() -> None:
    clock = [100.0]
    seen: list[LinkState] = []
    link = LinkMonitor(clock=lambda: clock[0])
    link.add_observer(seen.append)
    assert link.down_after == 3 and link.online and link.last_success_at is None
    link.report_failure()
    link.report_failure()
    assert link.online and link.consecutive_failures == 2 and seen == []
    link.report_failure()
    assert not link.online and seen == [LinkState(False, None, 3)]
    link.report_failure()
    assert len(seen) == 1  # observers hear changes only
    clock[0] = 200.0
    link.report_success()
    assert link.online and link.consecutive_failures == 0 and link.last_success_at == 200.0
    assert seen[-1] == LinkState(True, 200.0, 0)


def test_a_success_resets_the_count() -> None:
    link = LinkMonitor(down_after=2)
    link.report_failure()
    link.report_success()
    link.report_failure()
    assert link.online
    link.report_failure()
    assert not link.online


def test_threads_and_broken_observers() -> None:
    link = LinkMonitor(down_after=1000)
    calls: list[bool] = []

    def broken(_: LinkState) -> None:
        raise RuntimeError("observer bug")

    link.add_observer(broken)
    link.add_observer(lambda s: calls.append(s.online))
    def hammer() -> None:
        for _ in range(500):
            link.report_failure()

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert link.consecutive_failures == 2000 and not link.online and calls == [False]


def test_threshold_must_be_positive() -> None:
    with pytest.raises(ValueError):
        LinkMonitor(down_after=0)
