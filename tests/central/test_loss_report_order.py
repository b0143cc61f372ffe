"""A loss report delivered late (queued at an offline kiosk) acts on the cards as they were when the
citizen made it, and never undoes a later act of the citizen's.

- A citizen reports a loss at a kiosk whose link is down, has the card frozen meanwhile (12333, or
  another kiosk), finds the card and cancels the loss. The queued report then arrives: it must not
  freeze the card again, and the citizen is told why it did not take effect.
- A report by ID number (the offline kiosk knows no card number) must not freeze a card that did not
  exist when it was made: a replacement applied for afterwards is not the card that was lost.
"""

from __future__ import annotations

import datetime as dt
import uuid

from central_sim.clock import CST, rfc3339
from central_sim.server import ServerHandle
from kiosk.central.client import CentralClient
from kiosk.demo import citizen
from tests.central.pg_fixtures import BOTH_BACKENDS
from tests.central.test_refusal_notices import beat, texts
from tests.central.test_refusals_kept import post, refused

ACTIVE = citizen("adult_active_card")
REPLACING = citizen("replacement_in_progress")  # old card lost 5 days ago; its replacement applied for 3 days ago


def ago(**delta: float) -> str:
    return rfc3339(dt.datetime.now(CST) - dt.timedelta(**delta))


def statuses(client: CentralClient, person: dict[str, object]) -> dict[str, str]:
    found = client.lookup_person(str(person["id_number"]), str(person["name"]))
    return {c.card_no: c.status for c in found.cards}


def report(central: ServerHandle, body: dict[str, str]) -> tuple[int, dict[str, object]]:
    r = post(central, "/v1/cards/loss-report", body, str(uuid.uuid4()))
    return r.status_code, r.json()


@BOTH_BACKENDS
def test_a_loss_report_made_before_the_citizen_cancelled_the_loss_does_not_freeze_the_card_again(
        client: CentralClient, central: ServerHandle) -> None:
    [card] = ACTIVE["cards"]
    card_no, id_no = card["card_no"], ACTIVE["id_number"]
    assert report(central, {"card_no": card_no, "reported_at": ago(minutes=50)})[0] == 200  # by phone
    cancel = post(central, "/v1/cards/loss-cancel", {"card_no": card_no, "id_number": id_no}, str(uuid.uuid4()))
    assert cancel.status_code == 200
    # the report made at an offline kiosk 40 minutes ago, delivered now the link is back
    status, answer = report(central, {"card_no": card_no, "id_number": id_no, "reported_at": ago(minutes=40)})
    assert status == 409 and answer["error"]["code"] == "superseded_by_loss_cancel", answer
    assert statuses(client, ACTIVE)[card_no] == "normal"
    [kept] = refused(client, ACTIVE)
    assert kept.code == "superseded_by_loss_cancel"
    [sms] = [t for t in texts(central, ACTIVE["mobile"]) if t["reference"] == kept.request_id]
    assert "已于" in sms["body"] and "解除该卡挂失" in sms["body"] and "挂失已生效" not in sms["body"]
    # a loss reported after the cancel is a new loss: it freezes
    status, answer = report(central, {"card_no": card_no, "id_number": id_no, "reported_at": ago(seconds=0)})
    assert status == 200 and statuses(client, ACTIVE)[card_no] == "loss_reported"


@BOTH_BACKENDS
def test_a_loss_report_by_id_number_leaves_a_card_applied_for_after_it_was_made(
        client: CentralClient, central: ServerHandle) -> None:
    old, new = (c["card_no"] for c in REPLACING["cards"])
    before = statuses(client, REPLACING)
    assert before == {old: "loss_reported", new: "in_production"}
    # made 6 days ago at an offline kiosk, before the replacement (3 days ago) existed
    status, answer = report(central, {"id_number": REPLACING["id_number"], "reported_at": ago(days=6)})
    assert status == 200, answer
    assert [c["card_no"] for c in answer["cards"]] == [old]  # type: ignore[union-attr]
    assert statuses(client, REPLACING) == before  # the card being made is not frozen
    # reported today, after the replacement was applied for: the citizen means every card they have
    status, answer = report(central, {"id_number": REPLACING["id_number"], "reported_at": ago(seconds=5)})
    assert status == 200 and statuses(client, REPLACING)[new] == "loss_reported"


@BOTH_BACKENDS
def test_a_report_made_just_after_a_cancel_on_a_kiosk_whose_clock_runs_behind_freezes(
        client: CentralClient, central: ServerHandle) -> None:
    [card] = ACTIVE["cards"]
    card_no, id_no = card["card_no"], ACTIVE["id_number"]
    behind = dt.timedelta(minutes=5)  # as this kiosk's heartbeat shows it
    beat(central, dt.datetime.now(CST) - behind)
    assert report(central, {"card_no": card_no, "reported_at": ago(minutes=30)})[0] == 200
    cancel = post(central, "/v1/cards/loss-cancel", {"card_no": card_no, "id_number": id_no}, str(uuid.uuid4()))
    assert cancel.status_code == 200
    # the citizen changes their mind at once: stamped 5 minutes "before" the cancel by the slow clock
    status, answer = report(central, {"card_no": card_no, "id_number": id_no,
                                      "reported_at": rfc3339(dt.datetime.now(CST) - behind)})
    assert status == 200, answer
    assert statuses(client, ACTIVE)[card_no] == "loss_reported"
