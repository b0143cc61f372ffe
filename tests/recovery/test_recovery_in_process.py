"""Crash recovery cases that need no process kill: a PIN change/reset half done, recovery while the
link is down (the failed 回盘 waits in the queue), a card that cannot be rejected, and the sim
printer's state surviving a restart. A "crash" here is a runtime that is dropped without stop()
after its journals were left open, then a new runtime on the same data directory."""

from __future__ import annotations

from pathlib import Path

from central_sim.faults import FaultRule
from central_sim.server import ServerHandle
from hal.sim.card_reader import SimCardReader
from hal.sim.issuer import CardPosition, SimCardIssuer
from kiosk.issuance_journal import Step
from kiosk.pin_journal import PinJournal
from kiosk.recovery import recover
from kiosk.runtime import Runtime
from kiosk.stock_ledger import CardRecord
from tests.flows.conftest import central_one, make_runtime, person

CARD_NO = "A20000001"


def _half_made_card(rt: Runtime, central: ServerHandle) -> str:
    """An application the central accepted and a card left at the print head by a 'crash'."""
    app_id = "APP-CRASH-1"
    p = person("adult_active_card")
    with central.central.db.transaction() as tx:
        tx.execute("INSERT INTO applications (application_id, id_number, kind, status, card_no, delivery,"
                   " bank_code, kiosk_id, created_at) VALUES (?,?,?,?,?,?,?,?,?)",
                   (app_id, p["id_number"], "new", "account_opened", CARD_NO, "instant", "FZB",
                    rt.cfg.kiosk.id, "2026-01-01T00:00:00+08:00"))
    rt.recovery_store.keep(app_id, CardRecord(p["name"], p["id_number"], CARD_NO, "6200000000000001"))
    jid = rt.journal.start(app_id, 1, "A*****001")
    rt.journal.mark(jid, Step.FED)
    rt.journal._write(jid, Step.PRINTED, "before")  # the process dies at the print head
    issuer = rt.devices.issuer
    assert isinstance(issuer, SimCardIssuer)
    issuer.position = CardPosition.PRINT
    issuer._persist()
    return app_id


def test_half_done_pin_change_raises_an_alarm_and_claims_nothing(tmp_path: Path, central: ServerHandle) -> None:
    rt = make_runtime(tmp_path, central)
    rt.pin_journal.begin("change", "A12345678")  # the card command went out; the process died
    rt.stop()
    raw = b"".join(f.read_bytes() for f in (tmp_path / "kiosk").glob("pin_journal.sqlite*"))
    assert b"A12345678" not in raw  # only a keyed hash of the card number is kept
    again = make_runtime(tmp_path, central)
    try:
        assert again.recovery is not None
        assert [op.kind for op in again.recovery.pin_operations] == ["change"]
        [alarm] = [e for e in again.events.recent if e.code == "pin_operation_interrupted"]
        assert "unknown" in alarm.message and "A12345678" not in alarm.message
        assert again.pin_journal.unfinished() == []
        assert again.forwarder.flush(timeout=10)
        with central.central.db.read() as tx:  # no pin-event: the outcome is unknown
            assert tx.one("SELECT COUNT(*) AS n FROM pin_events", ())["n"] == 0  # type: ignore[index]
        assert again.pin_journal.outcome(again.recovery.pin_operations[0].op_id) == "unknown_after_crash"
        assert recover(again).nothing_to_do
    finally:
        again.stop()


def test_pin_journal_records_the_end_of_a_card_command(tmp_path: Path) -> None:
    pj = PinJournal(tmp_path / "pj.sqlite", b"k" * 32)
    with pj.operation("reset", "A1"):
        pass
    try:
        with pj.operation("change", "A2"):
            raise TimeoutError
    except TimeoutError:
        pass
    assert pj.unfinished() == [] and pj.outcome(1) == "returned" and pj.outcome(2) == "error:TimeoutError"
    assert pj.card_hash("A1") != pj.card_hash("A2") and "A1" not in pj.card_hash("A1")


def test_recovery_with_the_link_down_queues_the_failed_result_for_later(tmp_path: Path,
                                                                        central: ServerHandle) -> None:
    rt = make_runtime(tmp_path, central)
    app_id = _half_made_card(rt, central)
    rt.stop()
    central.faults.add(FaultRule.from_dict({"path": "*", "down_for_s": 3600}))
    again = make_runtime(tmp_path, central)
    try:
        assert again.recovery is not None
        [done] = again.recovery.issuances
        assert done.fate.value == "rejected" and done.result_queued and done.closed
        issuer = again.devices.issuer
        assert isinstance(issuer, SimCardIssuer) and issuer.rejected == 1
        assert issuer.position is CardPosition.NONE
        assert central_one(central, "SELECT status FROM applications WHERE application_id = ?",
                           app_id) == "account_opened"  # not yet: the link is down
        central.faults.clear()
        assert again.forwarder.flush(timeout=15)
        assert central_one(central, "SELECT status FROM applications WHERE application_id = ?",
                           app_id) == "production_failed"
        [row] = again.stock_ledger.rows(again.clock.today())
        assert (row.kind.value, row.reason, row.application_id) == ("spoiled", "crash_recovery", app_id)
    finally:
        again.stop()


def test_a_card_that_cannot_be_rejected_keeps_the_entry_open_for_the_next_start(
        tmp_path: Path, central: ServerHandle) -> None:
    rt = make_runtime(tmp_path, central)
    _half_made_card(rt, central)
    rt.stop()
    state = tmp_path / "kiosk" / "sim_issuer.json"
    issuer = SimCardIssuer(SimCardReader("encoder"), state_path=state)
    issuer.rejected = issuer.reject_capacity  # the reject box is full
    issuer._persist()
    again = make_runtime(tmp_path, central)
    try:
        assert again.recovery is not None
        [first] = again.recovery.issuances
        assert first.fate.value == "reject_failed" and first.result_queued and not first.closed
        assert any(e.code == "crash_recovery" and e.severity == "critical" for e in again.events.recent)
        assert len(again.journal.unfinished()) == 1
        box = again.devices.issuer
        assert isinstance(box, SimCardIssuer)
        box.steer("empty_reject_box")  # staff empty the box; the next start finishes the job
    finally:
        again.stop()
    third = make_runtime(tmp_path, central)
    try:
        assert third.recovery is not None
        [second] = third.recovery.issuances
        assert second.fate.value == "rejected" and second.closed
        assert third.journal.unfinished() == []
        assert [r.kind.value for r in third.stock_ledger.rows(third.clock.today())] == ["spoiled"]
        assert third.forwarder.flush(timeout=10)
        with central.central.db.read() as tx:  # the 回盘 was queued once, not once per start
            n = tx.one("SELECT COUNT(*) AS n FROM application_timeline WHERE status = 'production_failed'", ())
            assert n is not None and n["n"] == 1
    finally:
        third.stop()


def test_sim_printer_state_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "sim_issuer.json"
    a = SimCardIssuer(SimCardReader("encoder"), state_path=state, blanks=5)
    a.feed_to_contact()
    b = SimCardIssuer(SimCardReader("encoder"), state_path=state, blanks=5)
    assert b.position is CardPosition.CONTACT and b.blanks == 4 and b.encoder.chip is not None
    b.eject_to_reject()
    c = SimCardIssuer(SimCardReader("encoder"), state_path=state)
    assert (c.position, c.blanks, c.rejected) == (CardPosition.NONE, 4, 1)
    assert not state.with_name(state.name + ".tmp").exists()
    plain = SimCardIssuer(SimCardReader("encoder"))
    plain.feed_to_contact()  # no state_path: nothing written anywhere
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sim_issuer.json"]

