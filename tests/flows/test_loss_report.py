"""挂失 (art. 33) through the queued path: a refusal the central gives to the queued request reaches
the screen as reason keys (data), never as the queue's error text."""

from __future__ import annotations

from central_sim.server import ServerHandle
from kiosk.domain.services import ServiceId
from kiosk.flows.base import End
from kiosk.runtime import Runtime
from tests.flows.conftest import Driver, assert_ended, id_card, person


def start(runtime: Runtime, key: str = "adult_active_card") -> Driver:
    """A loss report begun by the seeded citizen ``key``: their ID card on the reader."""
    d = Driver(runtime, ServiceId.LOSS_REPORT)
    d.wait("read_id")
    d.id_reader.place(id_card(person(key)))
    return d


def test_queued_loss_report_refusal_shows_reason_keys_not_http_text(runtime: Runtime, central: ServerHandle) -> None:
    card_no = person("adult_active_card")["cards"][0]["card_no"]
    d = start(runtime)
    d.wait("confirm_card")
    # Between the lookup and the report the card is cancelled at the counter: the central refuses
    # the (queued) loss report with 409 card_cancelled.
    with central.central.db.transaction() as tx:
        tx.execute("UPDATE cards SET status = 'cancelled' WHERE card_no = ?", (card_no,))
    d.send("confirm")
    view, result = d.end()
    assert_ended(view, result, End.REFUSED, "reason.central_refused")
    assert result.code == "card_cancelled"
    assert all(r.startswith("reason.") and " " not in r and "HTTP" not in r for r in view.reasons), view.reasons
    dead = [i for i in runtime.outbox.list_items(["dead"]) if i.service == "loss_report"]
    assert len(dead) == 1 and dead[0].error_code == "card_cancelled"


def test_a_link_drop_at_the_lookup_reports_by_id_number_and_queues(runtime: Runtime, central: ServerHandle) -> None:
    """Art. 33: a loss report must not wait. The link monitor still says online, but the lookup fails:
    the flow goes on as offline (confirm by ID number), never ends as an internal error."""
    from central_sim.faults import FaultRule

    p = person("adult_active_card")
    central.faults.add(FaultRule.from_dict({"path": "/v1/persons/lookup", "error_rate": 1.0}))
    assert runtime.link.online
    d = start(runtime)
    d.wait("confirm_offline")
    d.send("confirm")
    view, result = d.end()
    assert result.end is End.DONE, (view, result)
    items = [i for i in runtime.outbox.list_items(["pending", "in_flight", "acked"]) if i.service == "loss_report"]
    assert len(items) == 1
    assert runtime.blocks.is_blocked(p["id_number"])  # blocked here at once, whatever the link does


def test_the_receipts_transaction_number_reaches_the_central_for_the_counter(runtime: Runtime,
                                                                             central: ServerHandle) -> None:
    # result.receipt: "柜台凭交易号可查询本次业务". The kiosk files each outcome under its 交易号 (the
    # transaction_outcome event), and the console finds it there (tests/fleet/test_transactions.py).
    d = start(runtime)
    d.answer("confirm_card", "confirm")
    view, result = d.end()
    assert result.end is End.DONE and result.transaction_no and view.params["txn"] == result.transaction_no
    assert d.printer.printed[-1].transaction_no == result.transaction_no  # the number on the paper
    runtime.heartbeat.events.flush()  # the next heartbeat would: events go out through the queue
    assert runtime.forwarder.flush(timeout=15)
    with central.central.db.read() as tx:
        row = tx.one("SELECT kiosk_id, outcome FROM kiosk_transactions WHERE transaction_no = ?",
                     (result.transaction_no,))
    assert row is not None and (row["kiosk_id"], row["outcome"]) == (runtime.cfg.kiosk.id, "loss_report.done")
