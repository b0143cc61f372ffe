"""A real reference central on loopback and a kiosk runtime on simulators, per test."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from central_sim.server import ServerHandle, run_in_thread
from kiosk.config import Config, load_config, simulated
from kiosk.runtime import Runtime


@pytest.fixture
def central(tmp_path: Path) -> Iterator[ServerHandle]:
    handle = run_in_thread(str(tmp_path / "central.sqlite"), port=0)
    yield handle
    handle.stop()


def kiosk_config(tmp_path: Path, central_url: str, **timeouts: float) -> Config:
    cfg = simulated(load_config(None))
    return dataclasses.replace(
        cfg,
        kiosk=dataclasses.replace(cfg.kiosk, data_dir=str(tmp_path / "kiosk")),
        central=dataclasses.replace(cfg.central, url=central_url, read_timeout_s=3.0, answer_wait_s=3.0,
                                    connect_timeout_s=1.0),
        timeouts=dataclasses.replace(cfg.timeouts, **timeouts),
    )


@pytest.fixture
def runtime(tmp_path: Path, central: ServerHandle) -> Iterator[Runtime]:
    rt = Runtime(kiosk_config(tmp_path, central.url, idle_s=5.0, idle_warning_s=1.0, id_card_read_s=5.0))
    rt.start()
    yield rt
    rt.stop()


def central_rows(db: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return list(conn.execute(sql, params))
