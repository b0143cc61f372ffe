"""Fixtures for the offline queue tests: key files, outboxes, a real HTTP central on loopback."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from central_sim.server import run_in_thread
from offline_queue import BodyCipher, Bounds, Outbox, QueueEvent, create_key_file, load_key_file


def central_runner() -> Callable[..., Any]:
    """The reference central (central_sim), served over real HTTP on loopback."""

    def run(db_path: str, host: str = "127.0.0.1", port: int = 0) -> Any:
        return run_in_thread(db_path, host=host, port=port, seed=False)

    return run


@pytest.fixture
def key_path(tmp_path: Path) -> Path:
    p = tmp_path / "queue.key"
    create_key_file(p)
    return p


@pytest.fixture
def cipher(key_path: Path) -> BodyCipher:
    return BodyCipher(load_key_file(key_path))


@pytest.fixture
def events() -> list[QueueEvent]:
    return []


@pytest.fixture
def make_outbox(tmp_path: Path, cipher: BodyCipher, events: list[QueueEvent]) -> Iterator[Callable[..., Outbox]]:
    opened: list[Outbox] = []

    def make(name: str = "queue.sqlite", bounds: Bounds | None = None, **kw: Any) -> Outbox:
        kw.setdefault("on_event", events.append)
        ob = Outbox(tmp_path / name, kw.pop("cipher", cipher), bounds, **kw)
        opened.append(ob)
        return ob

    yield make
    for ob in opened:
        with contextlib.suppress(Exception):
            ob.close()


class Central:
    def __init__(self, handle: Any) -> None:
        self.handle = handle
        self.url: str = handle.url
        self.admin = httpx.Client(base_url=self.url, timeout=10)

    def faults(self, **spec: Any) -> None:
        self.admin.post("/_admin/faults", json=spec).raise_for_status()

    def clear_faults(self) -> None:
        self.admin.delete("/_admin/faults").raise_for_status()

    def effects(self) -> tuple[dict[str, int], int]:
        d = self.admin.get("/_admin/effects").json()
        return {k: int(v) for k, v in d["effects"].items()}, int(d["replays"])


@pytest.fixture
def central(tmp_path: Path) -> Iterator[Central]:
    handle = central_runner()(str(tmp_path / "central.sqlite"), host="127.0.0.1", port=0)
    c = Central(handle)
    yield c
    c.admin.close()
    handle.stop()
