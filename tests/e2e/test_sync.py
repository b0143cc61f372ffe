"""Heartbeat and remote commands, in process and through `kiosk sync` as its own process."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from central_sim.server import ServerHandle
from kiosk.config import Config
from kiosk.runtime import Mode, Runtime
from tests.e2e.conftest import central_rows, kiosk_config

ROOT = Path(__file__).resolve().parents[2]


def wait_for(pred: Callable[[], bool], timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < end, "condition not met in time"
        time.sleep(0.05)


def kiosk_state(db: Path, kiosk_id: str) -> dict[str, object] | None:
    rows = central_rows(db, "SELECT state FROM kiosks WHERE kiosk_id = ?", kiosk_id)
    return json.loads(rows[0][0]) if rows else None


def with_interval(cfg: Config, interval: float, **central: object) -> Config:
    return dataclasses.replace(cfg, central=dataclasses.replace(cfg.central, heartbeat_interval_s=interval,
                                                                **central))


def test_heartbeat_reports_state_and_remote_set_mode_takes_effect(tmp_path: Path, central: ServerHandle) -> None:
    cfg = with_interval(kiosk_config(tmp_path, central.url), 0.5)
    rt = Runtime(cfg)
    rt.start()
    db = tmp_path / "central.sqlite"
    try:
        wait_for(lambda: kiosk_state(db, cfg.kiosk.id) is not None)
        state = kiosk_state(db, cfg.kiosk.id)
        assert state is not None and state["mode"] == "in_service"
        assert set(state["devices"]) >= {"id_reader", "issuer", "receipt_printer"}  # type: ignore[arg-type]
        assert state["queue"]["depth"] == 0  # type: ignore[index]
        seq1 = central_rows(db, "SELECT last_seq FROM kiosks")[0][0]
        httpx.post(f"{central.url}/_admin/kiosks/{cfg.kiosk.id}/commands",
                   json={"type": "set_mode", "mode": "out_of_service", "message": "网点装修 / renovation"})
        wait_for(lambda: rt.mode is Mode.OUT_OF_SERVICE)
        assert rt.out_of_service_reason() == "remote" and "renovation" in rt.mode_message
        wait_for(lambda: (kiosk_state(db, cfg.kiosk.id) or {}).get("mode") == "out_of_service")
        assert central_rows(db, "SELECT last_seq FROM kiosks")[0][0] > seq1
    finally:
        rt.stop()
    # seq survives a restart: the next kiosk process continues from the stored value
    last = central_rows(db, "SELECT last_seq FROM kiosks")[0][0]
    rt2 = Runtime(cfg)
    rt2.start()
    try:
        wait_for(lambda: central_rows(db, "SELECT last_seq FROM kiosks")[0][0] > last)
    finally:
        rt2.stop()


def test_external_sync_process_drains_the_queue_and_heartbeats_while_the_ui_is_down(
    tmp_path: Path, central: ServerHandle
) -> None:
    cfg = with_interval(kiosk_config(tmp_path, central.url), 0.5, sync="external")
    cfg_file = tmp_path / "kiosk.toml"
    cfg_file.write_text(
        f'[kiosk]\nid = "{cfg.kiosk.id}"\ndata_dir = "{cfg.kiosk.data_dir}"\n'
        f'[central]\nurl = "{central.url}"\nheartbeat_interval_s = 0.5\nsync = "external"\n',
        encoding="utf-8",
    )
    db = tmp_path / "central.sqlite"
    rt = Runtime(cfg)  # the UI process: no forwarder, no heartbeat of its own
    rt.start()
    rt.outbox.enqueue("POST", "/v1/_test/echo", b'{"n":1}', service="test", ordering_key="k")
    assert rt.heartbeat is None
    proc = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "sync", "--config", str(cfg_file)], cwd=ROOT,
                            env={**os.environ}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: (kiosk_state(db, cfg.kiosk.id) or {}).get("mode") == "in_service", 20)
        wait_for(lambda: rt.outbox.status().depth == 0, 20)  # drained by the other process
        rt.events.alarm("paper_out", "receipt paper is out", device="receipt_printer")  # raised in the UI process
        wait_for(lambda: bool(central_rows(db, "SELECT 1 FROM kiosk_events WHERE code = 'paper_out'")), 20)
        httpx.post(f"{central.url}/_admin/kiosks/{cfg.kiosk.id}/commands",
                   json={"type": "set_mode", "mode": "out_of_service", "message": "test"})
        wait_for(lambda: rt.mode is Mode.OUT_OF_SERVICE, 20)  # handed to the UI through the spool
        rt.stop()  # the UI goes away (a restart): the sync process keeps heartbeating
        time.sleep(11)  # longer than the UI-state staleness limit
        wait_for(lambda: (kiosk_state(db, cfg.kiosk.id) or {}).get("mode") == "starting", 10)
        before = central_rows(db, "SELECT last_seq FROM kiosks")[0][0]
        wait_for(lambda: central_rows(db, "SELECT last_seq FROM kiosks")[0][0] > before, 10)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        rt.stop() if rt.heartbeat is not None else None
    assert proc.returncode == 0, proc.stderr.read().decode()[-2000:] if proc.stderr else ""


def test_old_masked_receipts_are_pruned_hourly(tmp_path: Path, central: ServerHandle) -> None:
    from kiosk.queue_setup import open_queue
    from kiosk.sync import LEDGER_KEEP_S, prune_ledger
    from offline_queue.link import LinkMonitor

    cfg = kiosk_config(tmp_path, central.url)
    outbox, forwarder, transport, _ = open_queue(cfg, LinkMonitor(), None)
    try:
        for n in range(3):
            outbox.enqueue("POST", "/v1/_test/echo", f'{{"n":{n}}}'.encode(), service="test")
        forwarder.start()
        assert forwarder.flush(10)
        forwarder.stop()
        assert len(outbox.ledger()) == 3
        last = prune_ledger(outbox, 0.0)
        assert len(outbox.ledger()) == 3  # nothing is old yet
        outbox._clock = lambda: time.time() + LEDGER_KEEP_S + 60  # the store clock, moved on
        assert prune_ledger(outbox, last) == last  # within the hour: not again
        prune_ledger(outbox, 0.0)
        assert len(outbox.ledger()) == 1  # the newest row stays: ids are never reused
    finally:
        outbox.close()
        transport.close()
