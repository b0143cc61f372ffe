"""The receipt printer fails at the end of a service: the citizen is not told to take a receipt that
was never printed. The end page says what was done without it (the result page adds how to do without
one: note the transaction number, photograph the QR code)."""

from __future__ import annotations

from central_sim.server import ServerHandle
from kiosk.domain.services import ServiceId
from kiosk.flows.base import End, View
from kiosk.runtime import Runtime
from kiosk.strings import LANGUAGES, t
from screens.design.outcome import pending_note
from tests.flows.conftest import Driver, assert_ended, central_one, chip, id_card, person
from tests.flows.test_apply import begin, take_and_skip_pin, to_production
from tests.flows.test_loss_report import start as start_loss_report

RECEIPT_WORDS = {"zh": "回执", "en": "receipt"}


def no_paper(runtime: Runtime) -> None:
    runtime.devices.receipt_printer.steer("paper", count=0)  # type: ignore[union-attr]


def assert_no_receipt_promised(view: View) -> None:
    assert view.params["receipt"] == "failed"
    for lang in LANGUAGES:
        shown = t(lang, view.message, **view.params)
        assert RECEIPT_WORDS[lang] not in shown.lower(), (lang, view.message, shown)
        assert "{" not in shown, shown  # the variant has every parameter it names


def test_a_loss_report_without_paper_does_not_say_take_your_receipt(runtime: Runtime,
                                                                   central: ServerHandle) -> None:
    no_paper(runtime)
    d = start_loss_report(runtime)
    d.answer("confirm_card", "confirm")
    view, result = d.end()
    assert_ended(view, result, End.DONE)
    assert_no_receipt_promised(view)  # was prompt.loss_done: "…已冻结。请取走回执。"
    assert "冻结" in t("zh", view.message, **view.params)  # still says what was done
    assert central_one(central, "SELECT status FROM cards WHERE card_no = 'A10000002'") == "loss_reported"


def test_a_loss_report_with_paper_still_says_take_your_receipt(runtime: Runtime) -> None:
    d = start_loss_report(runtime)
    d.answer("confirm_card", "confirm")
    view, _ = d.end()
    assert view.params["receipt"] == "ok" and view.message == "prompt.loss_done"
    assert "请取走回执" in t("zh", view.message, **view.params)


def test_a_loss_cancel_without_paper_does_not_say_take_your_receipt(runtime: Runtime) -> None:
    no_paper(runtime)
    d = Driver(runtime, ServiceId.LOSS_CANCEL)
    d.wait("read_id")
    d.id_reader.place(id_card(person("card_lost")))
    d.wait("insert_card")
    d.card_reader.insert(chip(person("card_lost")))
    d.answer("confirm", "confirm")
    view, result = d.end()
    assert_ended(view, result, End.DONE)
    assert_no_receipt_promised(view)


def test_an_issued_card_without_paper_does_not_say_keep_the_receipt(runtime: Runtime) -> None:
    no_paper(runtime)
    d = begin(runtime)
    to_production(d)
    take_and_skip_pin(d)
    view, result = d.end()
    assert result.code == "issued"
    assert_no_receipt_promised(view)  # was prompt.issued: "…请妥善保管社保卡和回执。"


def test_a_deferred_card_without_paper_does_not_say_take_your_receipt(runtime: Runtime) -> None:
    no_paper(runtime)
    runtime.devices.issuer.steer("fail", op="feed", code="feeder_empty")  # type: ignore[union-attr]
    d = begin(runtime)
    to_production(d)
    d.answer("production_failed", "choose", "pickup")
    view, result = d.end()
    assert result.code == "deferred_pickup"
    assert_no_receipt_promised(view)
    assert pending_note(view) == "result.later.what"  # still a card the centre makes later
