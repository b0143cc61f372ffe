"""Services 4 (解挂, art. 34), 5 (启用, art. 31), 8 (信息变更, art. 30), 9 (进度查询)."""

from __future__ import annotations

from central_sim.faults import FaultRule
from central_sim.server import ServerHandle
from kiosk.domain.services import ServiceId
from kiosk.flows.base import End
from kiosk.runtime import Runtime
from tests.flows.conftest import (
    Driver,
    assert_ended,
    central_count,
    central_one,
    chip,
    go_offline,
    id_card,
    link_back_later,
    person,
    texted,
)
from tests.flows.payment_helpers import enter_code


def start_with_cards(runtime: Runtime, service: ServiceId, key: str, card_key: str | None = None,
                     index: int = 0) -> Driver:
    d = Driver(runtime, service)
    d.wait("read_id")
    d.id_reader.place(id_card(person(key)))
    d.wait("insert_card")
    d.card_reader.insert(chip(person(card_key or key), index))
    return d


# ---- loss cancel (art. 34) -------------------------------------------------------------------
def test_loss_cancel_restores_the_card(runtime: Runtime, central: ServerHandle) -> None:
    d = start_with_cards(runtime, ServiceId.LOSS_CANCEL, "card_lost")
    confirm = d.wait("confirm")
    assert "王秀英" not in str(confirm.params)
    d.send("confirm")
    view, result = d.end()
    assert_ended(view, result, End.DONE)
    assert central_one(central, "SELECT status FROM cards WHERE card_no = 'A10000006'") == "normal"
    assert "已恢复" in " ".join(line.text for line in d.printer.printed[-1].lines)


def test_loss_cancel_lifts_this_kiosks_own_block_of_the_card(runtime: Runtime, central: ServerHandle) -> None:
    # An offline loss report blocks the card at this kiosk (offline PIN change refuses it) "until the
    # central confirms". Nothing ever lifted it: after the citizen cancelled the loss, this kiosk still
    # refused the card offline, for good.
    p = person("card_lost")
    runtime.blocks.block(p["cards"][0]["card_no"])
    runtime.blocks.block(p["id_number"])  # an offline report knows only the ID number
    d = start_with_cards(runtime, ServiceId.LOSS_CANCEL, "card_lost")
    d.answer("confirm", "confirm")
    assert d.end()[1].end is End.DONE
    assert not runtime.blocks.is_blocked(p["cards"][0]["card_no"])
    assert not runtime.blocks.is_blocked(p["id_number"])
    from kiosk.local_blocks import LocalBlocks

    reread = LocalBlocks(runtime.blocks.path, runtime.queue_key)  # gone from the file too
    assert not reread.is_blocked(p["cards"][0]["card_no"], p["id_number"])


def test_loss_cancel_refused_while_replacement_in_progress(runtime: Runtime, central: ServerHandle) -> None:
    d = start_with_cards(runtime, ServiceId.LOSS_CANCEL, "replacement_in_progress")
    view, result = d.end()
    assert_ended(view, result, End.REFUSED, "reason.replacement_in_progress")
    assert central_one(central, "SELECT status FROM cards WHERE card_no = 'A10000007'") == "loss_reported"


def test_loss_cancel_refuses_someone_elses_card(runtime: Runtime) -> None:
    d = start_with_cards(runtime, ServiceId.LOSS_CANCEL, "card_lost", card_key="adult_active_card")
    view, result = d.end()
    assert_ended(view, result, End.REFUSED, "reason.card_holder_mismatch")


def test_loss_cancel_of_a_card_not_reported(runtime: Runtime) -> None:
    d = start_with_cards(runtime, ServiceId.LOSS_CANCEL, "adult_active_card")
    view, result = d.end()
    assert_ended(view, result, End.REFUSED, "reason.card_not_loss_reported")


def test_loss_cancel_needs_the_link(runtime: Runtime, central: ServerHandle) -> None:
    go_offline(runtime, central)
    d = Driver(runtime, ServiceId.LOSS_CANCEL)
    view, result = d.end()
    assert_ended(view, result, End.FAULT)
    assert result.code == "link_down"


def test_loss_cancel_link_lost_mid_flow(runtime: Runtime, central: ServerHandle) -> None:
    d = start_with_cards(runtime, ServiceId.LOSS_CANCEL, "card_lost")
    d.wait("confirm")
    central.faults.add(FaultRule.from_dict({"path": "/v1/cards/loss-cancel", "error_rate": 1.0}))
    d.send("confirm")
    view, result = d.end()
    assert_ended(view, result, End.FAULT)
    assert result.code == "link_lost"


def test_loss_cancel_card_pulled_at_confirm(runtime: Runtime) -> None:
    d = start_with_cards(runtime, ServiceId.LOSS_CANCEL, "card_lost")
    d.wait("confirm")
    d.card_reader.remove()
    view, result = d.end()
    assert_ended(view, result, End.CARD_REMOVED)


def test_loss_cancel_cancelled_at_confirm(runtime: Runtime, central: ServerHandle) -> None:
    d = start_with_cards(runtime, ServiceId.LOSS_CANCEL, "card_lost")
    d.answer("confirm", "cancel")
    view, result = d.end()
    assert_ended(view, result, End.CANCELLED)
    assert central_one(central, "SELECT status FROM cards WHERE card_no = 'A10000006'") == "loss_reported"


# ---- activate (art. 31) ----------------------------------------------------------------------
def test_activate_online(runtime: Runtime, central: ServerHandle) -> None:
    d = start_with_cards(runtime, ServiceId.ACTIVATE, "recent_card_quality")
    d.answer("confirm", "confirm")
    view, result = d.end()
    assert_ended(view, result, End.DONE)
    assert view.message == "prompt.activated" and result.code == "applied"
    assert texted(central, "recent_card_quality") == []  # the screen told the citizen


def test_activate_offline_is_queued_then_applied(runtime: Runtime, central: ServerHandle) -> None:
    go_offline(runtime, central)
    d = start_with_cards(runtime, ServiceId.ACTIVATE, "recent_card_quality")
    d.answer("confirm", "confirm")
    view, result = d.end()
    assert view.message == "prompt.activate_pending" and result.code == "pending"
    link_back_later(central)
    central.faults.clear()
    runtime.link.report_success()
    assert runtime.forwarder.flush(timeout=10)
    assert runtime.outbox.status().depth == 0
    [sms] = texted(central, "recent_card_quality")  # the pending page's promise: "We'll text you the result"
    assert "社保卡启用已生效" in sms


def test_activate_refused_for_a_frozen_card(runtime: Runtime) -> None:
    d = start_with_cards(runtime, ServiceId.ACTIVATE, "card_lost")
    d.answer("confirm", "confirm")
    view, result = d.end()
    assert_ended(view, result, End.REFUSED, "reason.card_not_normal")


def test_activate_device_fault_reading_the_card(runtime: Runtime) -> None:
    d = Driver(runtime, ServiceId.ACTIVATE)
    d.wait("read_id")
    d.id_reader.place(id_card(person("adult_active_card")))
    d.wait("insert_card")
    d.card_reader.steer("fail", op="read", code="reader_mute")
    d.card_reader.insert(chip(person("adult_active_card")))
    view, result = d.end()
    assert_ended(view, result, End.FAULT)


def test_id_reader_fault_ends_with_a_fault(runtime: Runtime) -> None:
    runtime.devices.id_reader.steer("fail", op="read", code="sam_error")  # type: ignore[union-attr]
    d = Driver(runtime, ServiceId.ACTIVATE)
    view, result = d.end()
    assert_ended(view, result, End.FAULT)
    assert result.code == "device.sam_error"


# ---- contact change (art. 30) ----------------------------------------------------------------
def contact_start(runtime: Runtime) -> Driver:
    d = Driver(runtime, ServiceId.CONTACT_CHANGE)
    d.wait("read_id")
    d.id_reader.place(id_card(person("adult_active_card")))
    d.wait("contact_form")
    return d


def test_contact_change_validates_every_field_at_once_then_applies(runtime: Runtime, central: ServerHandle) -> None:
    d = contact_start(runtime)
    d.send("set_mobile", "12345")
    d.wait("contact_form")
    d.send("set_postal_code", "35001")
    d.wait("contact_form")
    d.send("set_phone", "abc")
    d.wait("contact_form")
    d.send("confirm")
    bad = d.wait("contact_form")
    assert set(bad.reasons) == {"reason.invalid_mobile", "reason.invalid_postal_code", "reason.invalid_phone"}
    d.send("set_address", "999999|x")
    assert set(d.wait("contact_form").reasons) == {"reason.address_district", "reason.address_detail"}
    for action, value in (("set_mobile", "13912345678"), ("set_postal_code", "350002"), ("set_phone", ""),
                          ("set_address", "350104|示范路99号")):
        d.send(action, value)
        form = d.wait("contact_form")
    assert form.params["mobile"] == "139****5678" and "13912345678" not in str(form.params)
    d.send("confirm")
    enter_code(d, central, "13912345678")  # a new mobile is confirmed by SMS first (art. 16)
    view, result = d.end()
    assert_ended(view, result, End.DONE)
    assert view.message == "prompt.contact_changed"
    mobile = central_one(central, "SELECT mobile FROM persons WHERE name = '林小明'")
    address = central_one(central, "SELECT residence_address FROM persons WHERE name = '林小明'")
    assert mobile == "13912345678" and address == "福建省福州市仓山区示范路99号"


def test_contact_change_needs_a_change(runtime: Runtime) -> None:
    d = contact_start(runtime)
    d.send("confirm")
    assert d.wait("contact_form").reasons == ("reason.nothing_to_change",)
    d.send("cancel")
    _, result = d.end()
    assert result.end is End.CANCELLED


def test_contact_change_offline_is_queued(runtime: Runtime, central: ServerHandle) -> None:
    go_offline(runtime, central)
    d = contact_start(runtime)
    d.send("set_mobile", "13700000000")
    d.wait("contact_form")
    d.send("confirm")
    view, result = d.end()
    assert view.message == "prompt.contact_pending_unverified" and result.code == "pending"
    central.faults.clear()
    runtime.link.report_success()
    assert runtime.forwarder.flush(timeout=10)
    assert central_count(central, "contact_changes") == 1


def test_contact_form_idle_timeout(runtime: Runtime) -> None:
    d = contact_start(runtime)
    view, result = d.end(timeout=10)
    assert_ended(view, result, End.TIMED_OUT)


# ---- progress query -------------------------------------------------------------------------
def test_progress_query_shows_the_timeline(runtime: Runtime) -> None:
    d = Driver(runtime, ServiceId.PROGRESS_QUERY)
    d.wait("read_id")
    d.id_reader.place(id_card(person("replacement_in_progress")))
    apps = d.wait("applications")
    assert apps.params["count"] == "1" and apps.choices[0][0] == "APP-SEED-0007"
    d.send("choose", "APP-SEED-0007")
    timeline = d.wait("timeline")
    assert timeline.params["status"] == "approved" and "approved@" in timeline.params["steps"]
    d.send("home")
    view = d.wait("done")
    assert view.end is End.DONE
    d.send("home")
    result = runtime.wait_idle(5)
    assert result is not None and result.end is End.DONE


def test_progress_query_none_and_offline(runtime: Runtime, central: ServerHandle) -> None:
    d = Driver(runtime, ServiceId.PROGRESS_QUERY)
    d.wait("read_id")
    d.id_reader.place(id_card(person("adult_never_applied")))
    apps = d.wait("applications")
    assert apps.message == "prompt.no_applications" and apps.actions == ("home",)
    d.send("home")
    d.wait("done")
    d.send("home")
    assert runtime.wait_idle(5) is not None
    go_offline(runtime, central)
    d2 = Driver(runtime, ServiceId.PROGRESS_QUERY)
    view, result = d2.end()
    assert_ended(view, result, End.FAULT)


def test_activate_confirm_is_spoken_as_surname_and_title_only(runtime: Runtime) -> None:
    """The view carries the ID card's sex so the voice can say 陈先生; nothing more of the name."""
    from kiosk.voice.catalogue import view_stems

    d = start_with_cards(runtime, ServiceId.ACTIVATE, "recent_card_quality")
    view = d.wait("confirm")
    assert view.params["sex"] == "1"
    zh, en = view_stems(view, "zh"), view_stems(view, "en")
    assert f"zh.surname.u{ord('陈'):04x}" in zh and "en.surname.chen" in en
    assert not any(f"u{ord(c):04x}" in s for s in zh for c in "晓东")
    d.send("cancel")
    d.end()


def test_a_flow_reaching_for_a_device_the_kiosk_lacks_ends_as_a_device_fault(runtime: Runtime) -> None:
    runtime.devices.card_reader = None  # e.g. a kiosk configured without a customer card slot
    d = Driver(runtime, ServiceId.ACTIVATE)
    d.wait("read_id")
    d.id_reader.place(id_card(person("recent_card_quality")))
    view, result = d.end()
    assert_ended(view, result, End.FAULT)
    assert result.code == "device.card_reader_missing"
