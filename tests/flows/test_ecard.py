"""电子社保卡扫码登录 end to end: the simulated scanner, the kiosk Runtime and the real reference
central over HTTP, online and offline; the e-card identity standing in for the ID card only in
the services the policy table allows."""

from __future__ import annotations

import datetime as dt

from central_sim.clock import system_clock
from central_sim.ecard import CODE_VALIDITY_S, issue_code
from central_sim.server import ServerHandle
from hal.sim.scanner import SimScanner
from kiosk.domain.services import ECARD_SERVICES, SERVICES, Availability, Device, ServiceId
from kiosk.flows.base import End
from kiosk.flows.ecard_sign_in import KIOSK_QR_PREFIX
from kiosk.runtime import Runtime
from tests.flows.conftest import Driver, assert_ended, central_count, central_one, chip, go_offline, person
from tests.flows.faces import citizen_before_camera
from tests.flows.payment_helpers import enter_code


def mint(central: ServerHandle, runtime: Runtime, key: str = "adult_active_card", *, kiosk_id: str | None = None,
         age_s: float = 0.0) -> str:
    """The citizen's e-card app: a code for this kiosk (or another), issued ``age_s`` ago."""
    now = system_clock() - dt.timedelta(seconds=age_s)
    with central.central.db.transaction() as tx:
        code, _ = issue_code(tx, person(key)["id_number"], kiosk_id or runtime.cfg.kiosk.id, now)
    return code


def scanner(runtime: Runtime) -> SimScanner:
    dev = runtime.devices.scanner
    assert isinstance(dev, SimScanner)
    return dev


def signed_in(runtime: Runtime, central: ServerHandle, service: ServiceId, key: str = "adult_active_card") -> Driver:
    d = Driver(runtime, ServiceId.ECARD_SIGN_IN)
    scan = d.wait("scan_ecard")
    assert scan.params["kiosk_qr"] == KIOSK_QR_PREFIX + runtime.cfg.kiosk.id
    assert scan.message == "prompt.scan_ecard"
    scanner(runtime).show(mint(central, runtime, key))
    citizen_before_camera(runtime, person(key)["id_number"])  # for the services with a face check
    menu = d.wait("ecard_services")
    assert [v for v, _ in menu.choices] == [s.value for s in ECARD_SERVICES]
    assert menu.params["name"] != person(key)["name"] and menu.params["name"][0] == person(key)["name"][0]
    d.send("choose", service.value)
    return d


def test_policy_keeps_issuance_and_card_security_on_the_id_card() -> None:
    assert set(ECARD_SERVICES) == {ServiceId.PROGRESS_QUERY, ServiceId.CONTACT_CHANGE, ServiceId.ACTIVATE}
    for needs_id in (ServiceId.APPLY, ServiceId.REPLACE, ServiceId.LOSS_CANCEL, ServiceId.PIN_RESET):
        assert needs_id not in ECARD_SERVICES
    assert SERVICES[ServiceId.ECARD_SIGN_IN].devices == frozenset({Device.SCANNER})


def test_progress_query_with_the_e_card(runtime: Runtime, central: ServerHandle) -> None:
    d = signed_in(runtime, central, ServiceId.PROGRESS_QUERY, "replacement_in_progress")
    apps = d.wait("applications")
    assert int(apps.params["count"]) >= 1
    d.send("home")
    view, result = d.end()
    assert_ended(view, result, End.DONE)
    assert "read_id" not in d.screens  # the ID card was never asked for
    assert not scanner(runtime).armed  # the scanner is off once the code is read


def test_contact_change_with_the_e_card_applies(runtime: Runtime, central: ServerHandle) -> None:
    d = signed_in(runtime, central, ServiceId.CONTACT_CHANGE)
    d.wait("contact_form")
    d.send("set_mobile", "13912345678")
    d.wait("contact_form")
    d.send("confirm")
    enter_code(d, central, "13912345678")  # the new mobile, confirmed by SMS (art. 16)
    view, result = d.end()
    assert_ended(view, result, End.DONE)
    assert central_one(central, "SELECT mobile FROM persons WHERE name = '林小明'") == "13912345678"
    assert "read_id" not in d.screens


def test_activation_with_the_e_card_still_checks_the_card_holder(runtime: Runtime, central: ServerHandle) -> None:
    d = signed_in(runtime, central, ServiceId.ACTIVATE, "recent_card_quality")
    d.wait("insert_card")
    d.card_reader.insert(chip(person("adult_active_card")))  # someone else's card
    view, result = d.end()
    assert_ended(view, result, End.REFUSED, "reason.card_holder_mismatch")


def test_activation_with_the_e_card(runtime: Runtime, central: ServerHandle) -> None:
    d = signed_in(runtime, central, ServiceId.ACTIVATE, "recent_card_quality")
    d.wait("insert_card")
    d.card_reader.insert(chip(person("recent_card_quality")))
    d.answer("confirm", "confirm")
    view, result = d.end()
    assert_ended(view, result, End.DONE)
    assert view.message == "prompt.activated"


def test_offline_the_sign_in_is_unavailable_with_a_clear_reason(runtime: Runtime, central: ServerHandle) -> None:
    go_offline(runtime, central)
    assert runtime.availability()[ServiceId.ECARD_SIGN_IN][0] is Availability.NEEDS_LINK
    d = Driver(runtime, ServiceId.ECARD_SIGN_IN)
    view, result = d.end()
    assert_ended(view, result, End.REFUSED, "reason.ecard_needs_link")
    assert "scan_ecard" not in d.screens


def test_an_expired_code_asks_for_a_fresh_one(runtime: Runtime, central: ServerHandle) -> None:
    d = Driver(runtime, ServiceId.ECARD_SIGN_IN)
    d.wait("scan_ecard")
    scanner(runtime).show(mint(central, runtime, age_s=CODE_VALIDITY_S + 1))
    again = d.wait("scan_ecard", where=lambda v: v.message != "prompt.scan_ecard")
    assert again.message == "prompt.ecard_code_expired"
    scanner(runtime).show(mint(central, runtime))
    d.wait("ecard_services")
    d.send("cancel")
    _, result = d.end()
    assert result.end is End.CANCELLED


def test_a_code_for_another_kiosk_and_a_used_one_then_the_tries_run_out(runtime: Runtime,
                                                                         central: ServerHandle) -> None:
    used = mint(central, runtime)
    d = signed_in_with(runtime, used)
    d.send("cancel")
    d.end()
    d = Driver(runtime, ServiceId.ECARD_SIGN_IN)
    d.wait("scan_ecard")
    scanner(runtime).show(mint(central, runtime, kiosk_id="FZ-OTHER-0009"))
    assert d.wait("scan_ecard", where=lambda v: v.message != "prompt.scan_ecard").message == \
        "prompt.ecard_code_other_kiosk"
    scanner(runtime).show(used)
    assert d.wait("scan_ecard", where=lambda v: v.message == "prompt.ecard_code_used")
    scanner(runtime).show("ESSC1.made-up")
    view, result = d.end()
    assert_ended(view, result, End.REFUSED, "reason.ecard_code_unknown")


def signed_in_with(runtime: Runtime, code: str) -> Driver:
    d = Driver(runtime, ServiceId.ECARD_SIGN_IN)
    d.wait("scan_ecard")
    scanner(runtime).show(code)
    d.wait("ecard_services")
    return d


def test_an_unreadable_code_says_what_to_do_and_keeps_waiting(runtime: Runtime, central: ServerHandle) -> None:
    d = Driver(runtime, ServiceId.ECARD_SIGN_IN)
    d.wait("scan_ecard")
    scanner(runtime).show_unreadable()
    assert d.wait("scan_ecard", where=lambda v: v.message == "prompt.ecard_unreadable")
    scanner(runtime).show(mint(central, runtime))
    d.wait("ecard_services")
    d.send("cancel")
    assert d.end()[1].end is End.CANCELLED


def test_a_refused_code_still_held_up_is_not_sent_again(runtime: Runtime, central: ServerHandle) -> None:
    stale = mint(central, runtime, age_s=CODE_VALIDITY_S + 5)
    d = Driver(runtime, ServiceId.ECARD_SIGN_IN)
    d.wait("scan_ecard")
    scanner(runtime).show(stale)
    d.wait("scan_ecard", where=lambda v: v.message == "prompt.ecard_code_expired")
    scanner(runtime).show(stale)  # the phone still shows the old code
    scanner(runtime).show(mint(central, runtime))
    d.wait("ecard_services")
    d.send("cancel")
    d.end()
    assert central_count(central, "ecard_codes", "used_at IS NOT NULL") == 1


def test_no_scanner_takes_the_sign_in_off_the_lobby(runtime: Runtime) -> None:
    scanner(runtime).steer("unplug")
    runtime.poll_devices()
    state, missing = runtime.availability()[ServiceId.ECARD_SIGN_IN]
    assert state is Availability.DEVICE_DOWN and missing == frozenset({Device.SCANNER})


def test_a_scanner_fault_mid_scan_ends_with_a_device_fault(runtime: Runtime) -> None:
    scanner(runtime).steer("fail", op="read", code="scanner_mute")
    d = Driver(runtime, ServiceId.ECARD_SIGN_IN)
    view, result = d.end()
    assert_ended(view, result, End.FAULT)
    assert result.code == "device.scanner_mute"


def test_nobody_scanning_times_out(runtime: Runtime) -> None:
    d = Driver(runtime, ServiceId.ECARD_SIGN_IN)
    d.wait("scan_ecard")
    _, result = d.end()
    assert result.end is End.TIMED_OUT
