"""补换卡 with its fee (工本费; arts. 33, 50; issue 17 §4, issue 21 §4), end to end with the real
reference central: the fee is stated before the citizen commits; the card is made only once the QR
payment is confirmed, and the receipt carries the e-receipt number (电子非税票据号); cancel or the
countdown voids the order (nothing made, nothing charged, the old card still valid, nothing left to
dead-letter) and a payment after that is refunded and shown on the monitor; a free replacement
says "free" on the screen and the receipt."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from central_sim.server import ServerHandle
from kiosk.domain.services import ServiceId
from kiosk.flows.base import End
from kiosk.runtime import Runtime
from tests.flows.conftest import Driver, assert_ended, central_count, central_one, id_card, make_runtime, person
from tests.flows.payment_helpers import pay_order, pay_shown_order
from tests.flows.test_apply import fill_details, take_and_skip_pin

OLD_CARD = "A10000002"


def to_payment(runtime: Runtime, reason: str = "damaged") -> Driver:
    """A damaged card, through the fee statement, photo and details, to the payment QR code."""
    d = Driver(runtime, ServiceId.REPLACE)
    d.wait("read_id")
    d.id_reader.place(id_card(person("adult_active_card")))
    d.answer("choose_reason", "choose", reason)
    statement = d.answer("fee_statement", "confirm")
    assert (statement.message, statement.params["yuan"], statement.params["fee"]) == ("prompt.fee_due", "20", "due")
    assert "fee_statement" in d.screens and "submitting" not in d.screens  # stated before committing
    d.answer("keep_account", "new_account")
    d.answer("photo_choice", "use_on_file")
    fill_details(d)
    return d


def to_made_later(runtime: Runtime) -> Driver:
    """A damaged card, keeping the old bank account: made later, with the citizen's consent."""
    d = Driver(runtime, ServiceId.REPLACE)
    d.wait("read_id")
    d.id_reader.place(id_card(person("adult_active_card")))
    d.answer("choose_reason", "choose", "damaged")
    assert d.answer("fee_statement", "confirm").message == "prompt.fee_due"
    d.answer("keep_account", "keep_account")
    d.answer("photo_choice", "use_on_file")
    fill_details(d)
    d.answer("deliver_later", "agree")
    d.answer("deliver_later_how", "choose", "pickup")
    return d


def receipt_text(d: Driver) -> str:
    return "\n".join(line.text for line in d.printer.printed[-1].lines)


def nothing_left_behind(runtime: Runtime) -> None:
    assert runtime.forwarder.flush(timeout=10)
    assert runtime.outbox.status().dead_letters == 0


def test_the_card_is_made_only_after_payment_and_the_receipt_has_the_e_receipt_number(
        runtime: Runtime, central: ServerHandle) -> None:
    blanks = runtime.devices.issuer.blanks  # type: ignore[union-attr]
    d = to_payment(runtime)
    qr = d.wait("payment_qr")
    assert qr.message == "prompt.payment_qr" and qr.params["yuan"] == "20"
    assert qr.params["qr"].endswith(qr.params["payment_id"])
    assert qr.timeout_s == runtime.cfg.timeouts.payment_s and qr.actions == ("cancel",)  # the countdown
    assert central_count(central, "accounts", "card_no LIKE 'A2%'") == 0  # nothing made yet
    assert d.issuer.position.value == "none" and d.issuer.blanks == blanks  # no card fed
    paid = pay_order(central, qr.params["payment_id"])
    done = d.wait("payment_done")
    assert done.params["receipt_no"] == paid["receipt_no"]
    take_and_skip_pin(d)
    view, result = d.end()
    assert_ended(view, result, End.DONE)
    text = receipt_text(d)
    assert "工本费 Card fee: ¥20.00 已缴 paid" in text and f"电子非税票据号 E-receipt No.: {paid['receipt_no']}" in text
    assert "按规定收费" not in text  # the generic line gave way to the precise one
    assert central_count(central, "payments", "status = 'paid'") == 1
    assert runtime.blocks.is_blocked(OLD_CARD)
    nothing_left_behind(runtime)


def test_cancel_voids_the_order_and_a_late_payment_is_refunded(runtime: Runtime, central: ServerHandle) -> None:
    d = to_payment(runtime)
    qr = d.wait("payment_qr")
    d.send("cancel")
    view, result = d.end()
    assert_ended(view, result, End.CANCELLED, "reason.payment_cancelled")
    assert central_one(central, "SELECT void_reason FROM payments") == "cancelled"
    assert central_one(central, "SELECT status FROM applications WHERE kind = 'replacement' AND kiosk_id = ?",
                       runtime.cfg.kiosk.id) == "withdrawn"
    assert central_one(central, "SELECT status FROM cards WHERE card_no = ?", OLD_CARD) == "normal"
    assert not runtime.blocks.is_blocked(OLD_CARD)  # the old card is still the citizen's
    assert central_count(central, "accounts", "card_no LIKE 'A2%'") == 0 and d.issuer.rejected == 0
    nothing_left_behind(runtime)
    late = pay_order(central, qr.params["payment_id"])  # the citizen paid anyway, after the cancel
    assert (late["status"], late["refund_fen"], late["charged"]) == ("refunded", 2000, False)
    page = httpx.get(f"{central.url}/monitor", timeout=5).text
    assert qr.params["payment_id"] in page and "退款 Refunds" in page


def test_the_countdown_voids_the_order(tmp_path: Path, central: ServerHandle) -> None:
    rt = make_runtime(tmp_path, central, payment_s=1.5)
    try:
        d = to_payment(rt)
        assert d.wait("payment_qr").timeout_s == 1.5
        view, result = d.end()
        assert_ended(view, result, End.CANCELLED, "reason.payment_timed_out")
        assert central_one(central, "SELECT void_reason FROM payments") == "timed_out"
        assert central_one(central, "SELECT status FROM cards WHERE card_no = ?", OLD_CARD) == "normal"
        nothing_left_behind(rt)
    finally:
        rt.stop()


def test_a_free_replacement_says_free_on_the_screen_and_the_receipt(runtime: Runtime,
                                                                   central: ServerHandle) -> None:
    d = Driver(runtime, ServiceId.REPLACE)
    d.wait("read_id")
    d.id_reader.place(id_card(person("recent_card_quality")))
    d.answer("choose_reason", "choose", "quality_defect")
    statement = d.answer("fee_statement", "confirm")
    assert (statement.message, statement.params["fee"]) == ("prompt.fee_free_quality_defect", "free")
    d.answer("keep_account", "new_account")
    d.answer("photo_choice", "use_on_file")
    fill_details(d)
    take_and_skip_pin(d)
    _, result = d.end()
    assert result.code == "issued" and "payment_qr" not in d.screens
    assert "工本费 Card fee: 免费 free（质量问题一个月内免费更换" in receipt_text(d)
    assert central_count(central, "payments") == 0


def test_a_payment_before_the_qr_is_shown_is_not_asked_twice(runtime: Runtime, central: ServerHandle) -> None:
    """The order is one per application: the kiosk asking again (a retry) gets the same order, and a
    paid order goes straight on without a second QR code or a second charge."""
    d = to_payment(runtime)
    first = pay_shown_order(d, central)
    take_and_skip_pin(d)
    d.end()
    app_id = central_one(central, "SELECT application_id FROM payments")
    again = runtime.central.create_payment(app_id, 2000)  # a retry replays the first answer: the same order
    assert again.payment_id == first.params["payment_id"]
    assert runtime.central.payment_status(again.payment_id).status == "paid"
    assert central_count(central, "payments") == 1


def test_a_replacement_made_later_is_paid_for_before_it_goes_to_the_card_centre(
        runtime: Runtime, central: ServerHandle) -> None:
    """Keeping the old bank account (art. 16) means the card is made later, not here. The statement
    said "pay by QR once you confirm": the fee is paid at the kiosk all the same, and the receipt
    says so (the kiosk once sent the application and never asked for the fee)."""
    d = to_made_later(runtime)
    qr = d.wait("payment_qr")
    assert qr.message == "prompt.payment_qr_later"  # not "the card is made as soon as the payment arrives"
    paid = pay_order(central, qr.params["payment_id"])
    assert d.wait("payment_done").message == "prompt.payment_done_later"
    view, result = d.end()
    assert_ended(view, result, End.DONE)
    assert result.code == "deliver_later_pickup"
    text = receipt_text(d)
    assert "工本费 Card fee: ¥20.00 已缴 paid" in text and paid["receipt_no"] in text
    assert central_count(central, "payments", "status = 'paid'") == 1
    assert central_one(central, "SELECT status FROM applications WHERE kind = 'replacement' AND kiosk_id = ?",
                       runtime.cfg.kiosk.id) == "approved"
    nothing_left_behind(runtime)


def test_a_replacement_made_later_whose_payment_is_cancelled_is_withdrawn(
        runtime: Runtime, central: ServerHandle) -> None:
    d = to_made_later(runtime)
    d.wait("payment_qr")
    d.send("cancel")
    view, result = d.end()
    assert_ended(view, result, End.CANCELLED, "reason.payment_cancelled")
    assert central_one(central, "SELECT status FROM applications WHERE kind = 'replacement' AND kiosk_id = ?",
                       runtime.cfg.kiosk.id) == "withdrawn"
    assert central_one(central, "SELECT status FROM cards WHERE card_no = ?", OLD_CARD) == "normal"
    assert not runtime.blocks.is_blocked(OLD_CARD)
    # withdrawn with its order, never reported as a failed production
    assert central_count(central, "application_timeline", "status = 'production_failed'") == 0
    nothing_left_behind(runtime)


@pytest.fixture
def runtime(tmp_path: Path, central: ServerHandle) -> Iterator[Runtime]:
    rt = make_runtime(tmp_path, central)
    yield rt
    rt.stop()
