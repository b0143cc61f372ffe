"""Issue 17 §3: a card that is not taken is retracted, and the records say so (art. 27).

Instant issuance at the real reference central over HTTP, on the simulated printer, with a short
configured card-take time (2 s, tests/flows/conftest.py): a card left in the bezel is retracted into the retain bin, the
production result says ``retained`` (the application stays open for pickup at the counter), the
stock ledger has a ``retained`` row, and the screen and receipt say the card is at the counter.
A card taken in time is still collected; a card the printer could not retract is never said
to be retained."""

from __future__ import annotations

import json
from pathlib import Path

from central_sim.server import ServerHandle
from hal.status import Media
from kiosk.runtime import Runtime
from kiosk.stock_ledger import Kind
from tests.flows.conftest import central_one
from tests.flows.test_apply import begin, take_and_skip_pin, to_production

STRINGS = Path(__file__).resolve().parents[2] / "assets" / "strings"


def text(lang: str, key: str) -> str:
    value: str = json.loads((STRINGS / f"{lang}.json").read_text("utf-8"))[key]
    return value


def app_row(central: ServerHandle, runtime: Runtime, column: str) -> object:
    return central_one(central, f"SELECT a.{column} FROM applications a WHERE a.kiosk_id = ?", runtime.cfg.kiosk.id)


def card_collected_at(central: ServerHandle, runtime: Runtime) -> object:
    return central_one(central, "SELECT c.collected_at FROM cards c JOIN applications a ON a.card_no = c.card_no"
                                " WHERE a.kiosk_id = ?", runtime.cfg.kiosk.id)


def test_card_not_taken_is_retracted_and_recorded_as_retained(runtime: Runtime, central: ServerHandle) -> None:
    d = begin(runtime)
    to_production(d)
    d.wait("take_card")  # nobody takes it
    view, result = d.end()
    assert result.code == "card_retained"
    assert d.issuer.status().media == Media.RETAINED and d.issuer.retained == 1
    # the screen and the receipt say where the card is
    assert view.message == "prompt.card_retained" and view.params["card_at"] == "counter"
    assert "counter" in text("en", view.message) and "柜台" in text("zh", view.message)
    receipt = " ".join(line.text for line in d.printer.printed[-1].lines)
    assert "已回收" in receipt and "柜台" in receipt and "counter" in receipt
    # art. 27: the ledger row
    rows = runtime.stock_ledger.rows(runtime.clock.today())
    assert [(r.kind, r.reason) for r in rows] == [(Kind.RETAINED, "not_taken")]
    # the central: production result retained, not collected, open for pickup at the counter
    assert runtime.forwarder.flush(timeout=10)
    assert app_row(central, runtime, "status") == "retained_for_pickup"
    assert card_collected_at(central, runtime) is None


def test_card_taken_in_time_is_still_collected(runtime: Runtime, central: ServerHandle) -> None:
    d = begin(runtime)
    to_production(d)
    take_and_skip_pin(d)
    view, result = d.end()
    assert result.code == "issued" and view.message == "prompt.issued"
    assert d.issuer.retained == 0
    assert [r.kind for r in runtime.stock_ledger.rows(runtime.clock.today())] == [Kind.ISSUED]
    assert runtime.forwarder.flush(timeout=10)
    assert app_row(central, runtime, "status") == "produced"
    assert card_collected_at(central, runtime) is not None


def test_a_card_not_retracted_is_never_said_to_be_retained(runtime: Runtime, central: ServerHandle) -> None:
    d = begin(runtime)
    to_production(d)
    d.wait("take_card")
    d.issuer.steer("fail", op="retract", code="retain_bin_full")  # the retract fails
    view, result = d.end()
    assert result.code == "card_not_taken"
    assert d.issuer.retained == 0 and not d.issuer.card_taken()  # still in the bezel
    assert view.message == "prompt.card_not_taken"
    assert "retained" not in text("en", view.message) and "收回" not in text("zh", view.message)
    receipt = " ".join(line.text for line in d.printer.printed[-1].lines)
    assert "已回收" not in receipt
    assert [r.kind for r in runtime.stock_ledger.rows(runtime.clock.today())] == [Kind.UNDELIVERED]
    assert runtime.forwarder.flush(timeout=10)
    assert app_row(central, runtime, "status") == "produced"


def test_emptying_the_retain_bin_lists_the_cards_for_the_counter_and_resets_its_level(
        runtime: Runtime, central: ServerHandle) -> None:
    d = begin(runtime)
    to_production(d)
    d.wait("take_card")
    _, result = d.end()
    assert result.code == "card_retained" and d.issuer.status().supplies["retain_bin"] is not None
    app_id = runtime.stock_ledger.rows(runtime.clock.today())[0].application_id
    consumables = runtime.maintenance.consumables
    pickup = consumables.empty_retain_bin(1, "T001")
    assert [r.application_id for r in pickup.cards] == [app_id] and not pickup.mismatch
    assert pickup.lines()[0].startswith("回收卡交接清单") and app_id in pickup.lines()[2]
    assert d.issuer.retained == 0  # the printer's bin level is back to empty
    assert consumables.records()[-1]["action"] == "empty_retain_bin"
    again = consumables.empty_retain_bin(0, "T001")  # nothing retracted since
    assert again.cards == () and not again.mismatch
