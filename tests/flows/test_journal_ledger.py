"""The issuance journal (crash recovery finds a card left in the printer) and the art. 27 stock
ledger (personal fields only encrypted on disk; the day's ledger reaches the central)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag

from central_sim.server import ServerHandle
from hal.status import DeviceError
from kiosk.clock import CHINA_TZ
from kiosk.issuance_journal import IssuanceJournal, Outcome, Step
from kiosk.runtime import Runtime
from kiosk.stock_ledger import CardRecord, Kind, StockLedger
from tests.flows.conftest import central_count, central_one


def test_journal_finds_a_card_left_mid_step_after_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    j = IssuanceJournal(path)
    done = j.start("APP-1", 1, "A*****001")
    for step in (Step.FED, Step.PERSONALISED, Step.VERIFIED, Step.PRINTED, Step.EJECTED):
        with j.step(done, step):
            pass
    j.finish(done, Outcome.DONE)
    crashed = j.start("APP-2", 1, "A*****002")
    with j.step(crashed, Step.FED):
        pass
    j._write(crashed, Step.PERSONALISED, "before")  # the process dies inside the chip write
    j.close()

    again = IssuanceJournal(path)  # after the restart
    [left] = again.unfinished()
    assert (left.application_id, left.last_step, left.completed) == ("APP-2", Step.PERSONALISED, False)
    assert again.history(done)[-1] == ("ejected", "after") and again.outcome(done) == "done"
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_journal_records_a_failed_step(tmp_path: Path) -> None:
    j = IssuanceJournal(tmp_path / "j.sqlite")
    issue = j.start("APP-3", 2, "A*****003")
    with pytest.raises(DeviceError), j.step(issue, Step.PRINTED):
        raise DeviceError("jam", "jammed")
    assert j.history(issue) == [("printed", "before"), ("printed", "error")]
    [left] = j.unfinished()
    assert left.attempt == 2 and not left.completed


def test_stock_ledger_keeps_personal_fields_encrypted(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    ledger = StockLedger(path, os.urandom(32), "FZ-TEST-0001")
    at = dt.datetime(2026, 5, 1, 10, 0, tzinfo=CHINA_TZ)
    card = CardRecord("陈建华", "350102198804120315", "A20000001", "6230910000000000018")
    ledger.record(Kind.SPOILED, at, "APP-1", card, "chip_write_error")
    ledger.record(Kind.ISSUED, at, "APP-1", card)
    ledger.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    for secret in ("陈建华", "350102198804120315", "A20000001", "6230910000000000018"):
        assert secret.encode("utf-8") not in raw


def test_stock_ledger_rows_counts_and_upload_body(tmp_path: Path) -> None:
    key = os.urandom(32)
    ledger = StockLedger(tmp_path / "ledger.sqlite", key, "FZ-TEST-0001")
    at = dt.datetime(2026, 5, 1, 10, 0, tzinfo=CHINA_TZ)
    card = CardRecord("陈建华", "350102198804120315", "A20000001", "6230910000000000018")
    ledger.record(Kind.SPOILED, at, "APP-1", card, "chip_write_error")
    ledger.record(Kind.ISSUED, at, "APP-1", card)
    rows = ledger.rows(at.date())
    assert [r.kind for r in rows] == [Kind.SPOILED, Kind.ISSUED]
    assert rows[0].name == "陈**" and rows[0].ssn == "3501**********0315" and rows[0].reason == "chip_write_error"
    assert ledger.counts(at.date()) == {"issued": 1, "spoiled": 1, "undelivered": 0, "retained": 0}
    body = ledger.upload_body(at.date())
    assert body["date"] == "2026-05-01" and body["entries"][1]["ssn"] == "350102198804120315"
    assert ledger.rows(dt.date(2026, 5, 2)) == []
    with pytest.raises(InvalidTag):  # another key cannot read (or forge) the ledger
        StockLedger(tmp_path / "ledger.sqlite", os.urandom(32), "FZ-TEST-0001").upload_body(at.date())


def test_ledger_upload_through_the_queue(runtime: Runtime, central: ServerHandle) -> None:
    day = runtime.clock.today()
    card = CardRecord("陈建华", "350102198804120315", "A20000001", "6230910000000000018")
    runtime.stock_ledger.record(Kind.SPOILED, runtime.clock.now(), "APP-1", card, "jam")
    from kiosk.runtime import Services

    Services(runtime).submit_stock_ledger(day)
    assert runtime.forwarder.flush(timeout=10)
    assert central_count(central, "stock_ledgers") == 1
    assert '"spoiled"' in str(central_one(central, "SELECT entries FROM stock_ledgers"))
