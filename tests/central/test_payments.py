"""The replacement fee at the reference central (arts. 33, 50; issue 21 §4): one order per application
(never charged twice, retries included), nothing made before it is paid, cancel/timeout void it and
withdraw the application, a late payment is refunded and shown on /monitor, the long poll answers as
soon as the order is paid, and the pay hook is off in production mode."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from central_sim.faults import FaultRule
from central_sim.payments import TARIFF_FEN
from central_sim.seed import citizen
from central_sim.server import ServerHandle, run_in_thread
from kiosk.central import requests as rq
from kiosk.central.bodies import PaymentBody
from kiosk.central.client import CentralClient
from kiosk.central.errors import CentralRejected, CentralUnavailable
from tests.central.test_rules import application
from tests.central.test_sms import StepClock
from tests.central.tls_fixtures import KIOSK_ID


@pytest.fixture
def clock() -> StepClock:
    return StepClock()


@pytest.fixture
def central(tmp_path: Path, clock: StepClock) -> Iterator[ServerHandle]:
    handle = run_in_thread(str(tmp_path / "central.sqlite"), clock=clock)
    yield handle
    handle.stop()


@pytest.fixture
def client(central: ServerHandle) -> Iterator[CentralClient]:
    with CentralClient(central.url, KIOSK_ID) as c:
        yield c


def pay(central: ServerHandle, payment_id: str) -> dict[str, Any]:
    """The citizen scans the QR code and pays (the payment platform's notice, through the test hook)."""
    r = httpx.post(f"{central.url}/_admin/payments/{payment_id}/pay", json={}, timeout=5)
    assert r.status_code == 200, r.text
    return dict(r.json())


def one(central: ServerHandle, sql: str, *params: Any) -> Any:
    with central.central.db.read() as tx:
        return tx.scalar(sql, params)


def damaged(client: CentralClient) -> tuple[str, str, str]:
    """A replacement of a damaged card: (application id, new card no, id number)."""
    created = client.apply(application("adult_active_card", kind="replacement", reason="damaged"))
    assert not created.free_of_charge
    return created.application_id, created.card_no, citizen("adult_active_card")["id_number"]


def test_one_order_per_application_and_the_stated_amount_only(client: CentralClient) -> None:
    app_id, _, _ = damaged(client)
    with pytest.raises(CentralRejected) as err:
        client.create_payment(app_id, TARIFF_FEN - 100)
    assert (err.value.status, err.value.code) == (422, "fee_amount_mismatch")
    order = client.create_payment(app_id, TARIFF_FEN)
    assert (order.status, order.amount_fen, order.receipt_no) == ("pending", 2000, None)
    assert order.qr_payload.endswith(order.payment_id)
    with CentralClient(client.base_url, KIOSK_ID) as again:  # a restarted kiosk asks again: the same order
        assert again.create_payment(app_id, TARIFF_FEN).payment_id == order.payment_id


def test_free_replacements_have_no_order(client: CentralClient) -> None:
    created = client.apply(application("recent_card_quality", kind="replacement", reason="quality_defect"))
    assert created.free_of_charge
    with pytest.raises(CentralRejected) as err:
        client.create_payment(created.application_id, TARIFF_FEN)
    assert (err.value.status, err.value.code) == (409, "no_fee_due")


def test_nothing_is_made_before_payment(client: CentralClient, central: ServerHandle) -> None:
    app_id, card_no, id_no = damaged(client)
    order = client.create_payment(app_id, TARIFF_FEN)
    with pytest.raises(CentralRejected) as err:
        client.open_bank_account(app_id, id_no, card_no)
    assert err.value.code == "payment_required"
    paid = pay(central, order.payment_id)
    assert paid["status"] == "paid" and paid["charged"] and paid["receipt_no"].startswith("3501")
    assert client.payment_status(order.payment_id).receipt_no == paid["receipt_no"]
    assert client.open_bank_account(app_id, id_no, card_no).account_class == "I"
    timeline = [t.status for t in client.application_status(id_no).applications[0].timeline]
    assert timeline[-3:] == ["fee_ordered", "fee_paid", "account_opened"]


def test_no_double_charge_on_retry_after_a_lost_answer(client: CentralClient, central: ServerHandle) -> None:
    app_id, _, _ = damaged(client)
    central.faults.add(FaultRule.from_dict({"path": "/v1/payments", "lost_after_commit_rate": 1.0}))
    with pytest.raises(CentralUnavailable):  # created, but the answer was lost on the way
        client.create_payment(app_id, TARIFF_FEN)
    central.faults.clear()
    order = client.create_payment(app_id, TARIFF_FEN)
    assert one(central, "SELECT COUNT(*) FROM payments WHERE application_id = ?", app_id) == 1
    assert pay(central, order.payment_id)["charged"]
    second = pay(central, order.payment_id)  # the citizen scans twice: the second payment goes back
    assert (second["charged"], second["status"], second["refund_fen"]) == (False, "paid", TARIFF_FEN)
    assert client.create_payment(app_id, TARIFF_FEN).payment_id == order.payment_id  # a replay, not a new order
    assert client.payment_status(order.payment_id).status == "paid"


def test_cancel_voids_withdraws_and_a_late_payment_is_refunded(client: CentralClient, central: ServerHandle) -> None:
    app_id, card_no, id_no = damaged(client)
    assert one(central, "SELECT status FROM cards WHERE card_no = 'A10000002'") == "suspended"
    order = client.create_payment(app_id, TARIFF_FEN)
    voided = client.cancel_payment(order.payment_id, "cancelled")
    assert (voided.status, voided.void_reason) == ("voided", "cancelled")
    assert one(central, "SELECT status FROM applications WHERE application_id = ?", app_id) == "withdrawn"
    assert one(central, "SELECT status FROM cards WHERE card_no = ?", card_no) == "cancelled"
    assert one(central, "SELECT status FROM cards WHERE card_no = 'A10000002'") == "normal"  # the old card is back
    late = pay(central, order.payment_id)
    assert (late["charged"], late["status"], late["refund_fen"]) == (False, "refunded", TARIFF_FEN)
    page = httpx.get(f"{central.url}/monitor", timeout=5).text
    assert "退款 Refunds" in page and order.payment_id in page and "20.00" in page
    with pytest.raises(CentralRejected) as err:  # the order of a withdrawn application is not reopened
        client.call(rq.CREATE_PAYMENT, PaymentBody(application_id=app_id, amount_fen=TARIFF_FEN))  # a fresh key
    assert err.value.code == "payment_voided"
    with pytest.raises(CentralRejected):
        client.open_bank_account(app_id, id_no, card_no)
    assert client.apply(application("adult_active_card", kind="replacement", reason="damaged")).application_id


def test_an_unpaid_order_times_out_after_five_minutes(client: CentralClient, central: ServerHandle,
                                                      clock: StepClock) -> None:
    app_id, _, _ = damaged(client)
    order = client.create_payment(app_id, TARIFF_FEN)
    clock.advance(minutes=5)
    assert client.payment_status(order.payment_id).status == "pending"
    clock.advance(seconds=1)
    late = client.payment_status(order.payment_id)
    assert (late.status, late.void_reason) == ("voided", "timed_out")
    assert one(central, "SELECT status FROM applications WHERE application_id = ?", app_id) == "withdrawn"
    assert pay(central, order.payment_id)["status"] == "refunded"


def test_the_long_poll_answers_when_the_order_is_paid(client: CentralClient, central: ServerHandle) -> None:
    app_id, _, _ = damaged(client)
    order = client.create_payment(app_id, TARIFF_FEN)
    assert client.payment_status(order.payment_id, wait_s=0.3).status == "pending"  # held, then still pending
    threading.Timer(0.5, pay, (central, order.payment_id)).start()
    assert client.payment_status(order.payment_id, wait_s=5).status == "paid"  # held, and re-read until paid


def test_orders_are_the_kiosks_own_and_the_pay_hook_is_off_in_production(client: CentralClient,
                                                                          tmp_path: Path) -> None:
    app_id, _, _ = damaged(client)
    order = client.create_payment(app_id, TARIFF_FEN)
    with CentralClient(client.base_url, "FZ-OTHER-0002") as other, pytest.raises(CentralRejected) as err:
        other.payment_status(order.payment_id)
    assert err.value.status == 404
    prod = run_in_thread(str(tmp_path / "prod.sqlite"), test_hooks=False)
    try:
        r = httpx.post(f"{prod.url}/_admin/payments/{order.payment_id}/pay", json={}, timeout=5)
        assert r.status_code == 404
    finally:
        prod.stop()


def test_the_central_voids_an_expired_order_by_itself(client: CentralClient, central: ServerHandle,
                                                      clock: StepClock) -> None:
    """The kiosk lost its link during the payment: nobody asks again, the central's sweep voids the
    order and withdraws the application, so the citizen can apply again."""
    app_id, _, _ = damaged(client)
    client.create_payment(app_id, TARIFF_FEN)
    clock.advance(minutes=5, seconds=1)
    deadline = time.monotonic() + 5
    while one(central, "SELECT status FROM applications WHERE application_id = ?", app_id) != "withdrawn":
        assert time.monotonic() < deadline, "the sweep did not void the expired order"
        time.sleep(0.1)
    assert one(central, "SELECT void_reason FROM payments WHERE application_id = ?", app_id) == "timed_out"
