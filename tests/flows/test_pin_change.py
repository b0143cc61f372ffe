"""Service 6, 修改密码 (art. 32): old PIN with tries left, lock → PIN reset, new PIN twice,
trivial/initial refused, works offline with the PIN event queued."""

from __future__ import annotations

from central_sim.server import ServerHandle
from kiosk.domain.services import ServiceId
from kiosk.flows.base import End
from kiosk.runtime import Runtime
from tests.flows.conftest import Driver, assert_ended, central_count, chip, go_offline, person


def start(runtime: Runtime, pin: str = "888888", tries_left: int = 6) -> Driver:
    d = Driver(runtime, ServiceId.PIN_CHANGE)
    d.wait("insert_card")
    d.card_reader.insert(chip(person("adult_active_card"), pin=pin, tries_left=tries_left))
    return d


def test_pin_changed_and_event_delivered(runtime: Runtime, central: ServerHandle) -> None:
    d = start(runtime)
    first = d.type_pin("old_pin", "888888")
    assert first.params["digits"] == "0" and first.params["length"] == "6"
    d.type_pin("new_pin", "135790")
    d.type_pin("new_pin_again", "135790")
    view, result = d.end()
    assert_ended(view, result, End.DONE)
    assert view.message == "prompt.pin_changed"
    assert d.taken_chip is not None and d.taken_chip.pin == "135790"
    assert runtime.forwarder.flush(timeout=5)
    assert central_count(central, "pin_events", "event = 'changed'") == 1
    digits = [v.params["digits"] for v in d.seen if v.screen == "old_pin"]
    assert digits[:2] == ["0", "1"] and "6" in digits


def test_wrong_old_pin_shows_tries_left_then_right(runtime: Runtime) -> None:
    d = start(runtime)
    d.type_pin("old_pin", "000000")
    retry = d.prompt("old_pin")
    assert retry.params["tries_left"] == "5" and "reason.pin_wrong" in retry.reasons
    d.pin_pad.type_pin("888888")
    d.type_pin("new_pin", "246802")
    d.type_pin("new_pin_again", "246802")
    _view, result = d.end()
    assert result.end is End.DONE


def test_locked_card_is_sent_to_pin_reset(runtime: Runtime, central: ServerHandle) -> None:
    d = start(runtime, tries_left=1)
    d.type_pin("old_pin", "000000")
    view, result = d.end()
    assert_ended(view, result, End.REFUSED, "reason.pin_locked")
    assert runtime.forwarder.flush(timeout=5)
    assert central_count(central, "pin_events", "event = 'locked'") == 1


def test_trivial_and_mismatched_new_pins_are_refused_then_accepted(runtime: Runtime) -> None:
    d = start(runtime)
    d.type_pin("old_pin", "888888")
    d.type_pin("new_pin", "111111")
    again = d.prompt("new_pin")
    assert again.reasons == ("reason.pin_trivial",)
    d.pin_pad.type_pin("159357")
    d.type_pin("new_pin_again", "159358")
    assert d.prompt("new_pin").reasons == ("reason.pin_mismatch",)
    d.pin_pad.type_pin("159357")
    d.type_pin("new_pin_again", "159357")
    _, result = d.end()
    assert result.end is End.DONE


def test_three_bad_new_pins_refuse(runtime: Runtime) -> None:
    d = start(runtime)
    d.type_pin("old_pin", "888888")
    for pin in ("123456", "654321", "888888"):
        d.type_pin("new_pin", pin)
    view, result = d.end()
    assert_ended(view, result, End.REFUSED, "reason.pin_is_initial")
    assert d.taken_chip is not None and d.taken_chip.pin == "888888"


def test_offline_change_is_card_local_and_event_queued(runtime: Runtime, central: ServerHandle) -> None:
    go_offline(runtime, central)
    d = start(runtime)
    d.type_pin("old_pin", "888888")
    d.type_pin("new_pin", "135790")
    d.type_pin("new_pin_again", "135790")
    _, result = d.end()
    assert result.end is End.DONE
    assert [i.path for i in runtime.outbox.list_items() if "pin-events" in i.path] == ["/v1/cards/pin-events"]
    central.faults.clear()
    runtime.link.report_success()
    assert runtime.forwarder.flush(timeout=10)
    assert central_count(central, "pin_events", "event = 'changed'") == 1


def test_card_removed_mid_entry_ends_and_wipes(runtime: Runtime) -> None:
    d = start(runtime)
    d.wait("old_pin")
    d.card_reader.remove()
    view, result = d.end()
    assert_ended(view, result, End.CARD_REMOVED)


def test_pin_pad_cancel_key_and_screen_cancel(runtime: Runtime) -> None:
    d = start(runtime)
    d.wait("old_pin")
    d.pin_pad.press("cancel")
    _, result = d.end()
    assert result.end is End.CANCELLED


def test_pin_entry_idle_timeout(runtime: Runtime) -> None:
    d = start(runtime)
    d.wait("old_pin")
    view, result = d.end(timeout=10)
    assert_ended(view, result, End.TIMED_OUT)


def test_no_card_inserted_times_out(runtime: Runtime) -> None:
    d = Driver(runtime, ServiceId.PIN_CHANGE)
    view, result = d.end(timeout=10)
    assert_ended(view, result, End.TIMED_OUT)


def test_card_reader_fault_is_a_device_fault(runtime: Runtime) -> None:
    d = start(runtime)
    d.card_reader.steer("fail", op="verify", code="reader_mute")
    d.type_pin("old_pin", "888888")
    view, result = d.end()
    assert_ended(view, result, End.FAULT)
    assert result.code == "device.reader_mute"


def test_sessions_share_one_removal_listener_per_reader(runtime: Runtime) -> None:
    for _ in range(3):
        d = start(runtime)
        d.wait("old_pin")
        d.card_reader.remove()
        d.end()
    assert len(d.card_reader._listeners) == 1  # no listener (and no wiped context) kept per session
