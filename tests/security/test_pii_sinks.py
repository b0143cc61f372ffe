"""One PII rule set (hal/pii.py), and every sink applies it: a full ID number (X check digit),
mobile, card/account number and a tagged name go in; none comes out unmasked from a real log
record through the configured handlers (stream and file), an event through the EventLog to the
log file, the queue and the central, a heartbeat body to the central, or the queue's error texts."""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from central_sim.server import ServerHandle
from hal.pii import scrub, scrub_json
from kiosk.alarms import KioskEvent
from kiosk.central.heartbeat import HeartbeatSender
from kiosk.domain import masking
from kiosk.logs import LOG_FILE, add_log_file, setup_logging
from kiosk.runtime import Runtime
from offline_queue import BodyCipher, Bounds, Outbox, create_key_file, load_key_file
from tests.maintenance.conftest import central, central_rows, eventually, kiosk_config  # noqa: F401

ID = "35010219900307123X"
ID_LOWER_X = "11010119800101002x"
ID_15 = "350102900307123"
MOBILE = "13912345678"
MOBILE_SPACED = "139 1234 5678"
NAME = "欧阳娜娜"
CARD = "A10000002"
ACCOUNT = "6230910000100000025"
NEEDLES = (ID, ID.lower(), ID_LOWER_X, ID_15, MOBILE, MOBILE_SPACED, NAME, NAME[1:], CARD, ACCOUNT, "12345678")
TEXT = (f"申请人 姓名：{NAME} 证件 {ID} 旧证 {ID_15} 监护人 {ID_LOWER_X} 手机 {MOBILE} / {MOBILE_SPACED} "
        f"卡号 {CARD} 账户 {ACCOUNT} name={NAME} \"guardian_name\": \"{NAME}\"")


def leaks(blob: str) -> list[str]:
    return [n for n in NEEDLES if n in blob]


def test_the_rules_mask_each_kind_and_keep_the_rest() -> None:
    out = scrub(TEXT)
    assert leaks(out) == []
    assert "3501**********123X" in out and "1101**********002x" in out and "139****5678" in out
    assert "欧***" in out and "A*****002" in out and "6230***********0025" in out
    assert scrub("HTTP 422 invalid_field: bad value (2 fields)") == "HTTP 422 invalid_field: bad value (2 fields)"
    assert scrub_json({"name": NAME, ID: [MOBILE, 3], "n": 5}) == {"name": "欧***", "3501**********123X":
                                                                 ["139****5678", 3], "n": 5}
    assert masking.scrub is scrub  # the kiosk's maskers are the same rules, not a copy


def test_the_search_finds_what_it_looks_for() -> None:
    assert leaks(TEXT) == [n for n in NEEDLES if n != ID.lower()]  # every kind is in the input


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for h in list(root.handlers):
        if h not in handlers:
            root.removeHandler(h)
            h.close()
    for h in handlers:
        if h not in root.handlers:
            root.addHandler(h)
    root.setLevel(level)


def test_a_log_record_through_the_configured_handlers(tmp_path: Path, restore_logging: None) -> None:
    stream = io.StringIO()
    setup_logging("DEBUG", stream=stream)
    add_log_file(tmp_path / "kiosk.log")
    log = logging.getLogger("kiosk.flows.test")
    log.warning("lookup %s", TEXT)
    log.info("applicant", extra={"applicant": {"name": NAME, "id_number": ID, "mobiles": [MOBILE]},
                                 "note": TEXT, "card": CARD})
    try:
        raise ValueError(TEXT)
    except ValueError:
        log.exception("flow failed")
    for h in logging.getLogger().handlers:
        h.flush()
    written = stream.getvalue()
    in_file = (tmp_path / "kiosk.log").read_text(encoding="utf-8")
    assert written.count("\n") == 3 and in_file.count("\n") == 3  # all three records came out
    assert leaks(written) == [] and leaks(in_file) == []
    assert json.loads(written.splitlines()[1])["applicant"]["name"] == "欧***"


def test_an_event_through_the_event_log_to_the_log_file_the_queue_and_the_central(
        tmp_path: Path, central: ServerHandle) -> None:  # noqa: F811
    rt = Runtime(kiosk_config(tmp_path, central.url))
    rt.start()
    try:
        rt.events.alarm(f"card_error {ID}", TEXT, device="card_reader")
        rt.events.record(KioskEvent("technician_action", f"lookup {MOBILE}", "info", TEXT, f"dev {CARD}"))
        assert leaks(json.dumps([e.to_json() for e in rt.events.recent], ensure_ascii=False)) == []
        rows = eventually(lambda: central_rows(central, "SELECT * FROM kiosk_events WHERE kiosk_id = ?",
                                               rt.cfg.kiosk.id), timeout=15)
        assert len(rows) >= 2
        assert leaks(json.dumps(rows, ensure_ascii=False, default=str)) == []
        assert [r for r in rows if "3501**********123X" in json.dumps(r, ensure_ascii=False)]
    finally:
        rt.stop()
    log_file = rt.cfg.data_path(LOG_FILE).read_text(encoding="utf-8")
    assert "card_error" in log_file and leaks(log_file) == []


def test_events_queued_in_a_kiosk_without_its_own_heartbeat(tmp_path: Path, central: ServerHandle) -> None:  # noqa: F811
    import dataclasses

    cfg = kiosk_config(tmp_path, central.url)
    rt = Runtime(dataclasses.replace(cfg, central=dataclasses.replace(cfg.central, sync="external")))
    rt.start()
    try:
        rt.events.alarm(f"card_error {ID}", TEXT, device="card_reader")
        due = rt.outbox.claim_due(50)  # this process forwards nothing: the bodies wait in the queue
        bodies = [d.body.decode("utf-8") for d in due if d.path.endswith("/events")]
        assert bodies and all(leaks(b) == [] for b in bodies)
        assert any("3501**********123X" in b for b in bodies)
    finally:
        rt.stop()


def test_a_heartbeat_body_to_the_central(tmp_path: Path, central: ServerHandle) -> None:  # noqa: F811
    rt = Runtime(kiosk_config(tmp_path, central.url))
    rt.start()
    try:
        rt.heartbeat.stop()  # this sender alone talks to the central now
        issuer = {"state": "hardware_error", "supplies": {}, "counters": {}, "last_error": TEXT}
        sender = HeartbeatSender(rt.central, lambda: {**rt.heartbeat_state(), "devices": {"issuer": issuer}},
                                 rt.cfg.data_path("heartbeat.seq"))
        assert leaks(json.dumps(sender.body(), ensure_ascii=False)) == []
        assert sender.send_now()
        state = eventually(lambda: central_rows(central, "SELECT state FROM kiosks WHERE kiosk_id = ? AND state LIKE ?",
                                                rt.cfg.kiosk.id, "%hardware_error%"))  # the central batches writes
        assert "3501**********123X" in state[0]["state"] and leaks(state[0]["state"]) == []
    finally:
        rt.stop()


def test_the_queue_keeps_error_texts_masked(tmp_path: Path) -> None:
    key = tmp_path / "queue.key"
    create_key_file(key)
    ob = Outbox(tmp_path / "q.sqlite", BodyCipher(load_key_file(key)), Bounds(100, 10**7, 86400))
    try:
        a = ob.enqueue("POST", "/v1/x", b"{}", service="s", summary="s")
        b = ob.enqueue("POST", "/v1/y", b"{}", service="s", summary="s")
        ob.claim_due(10)
        ob.mark_retry([(a.id, time.time() + 60, f"HTTP 503 busy: {TEXT}")])
        ob.mark_dead(b.id, 422, f"HTTP 422 invalid: {TEXT}")
        stored = json.dumps([i.to_json() for i in ob.list_items()] + ob.export_dead(), ensure_ascii=False)
        assert "3501**********123X" in stored and leaks(stored) == []
    finally:
        ob.close()
