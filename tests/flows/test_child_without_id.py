"""A guardian applies for a child without an ID card (issue 21 §3; arts. 16, 51), end to end: a kiosk
Runtime on simulators, the reference central over HTTP. The guardian's own card and face, the child's
number from the 户口簿 (checksum, age under 16), the 户口簿 page on the document camera, the child's
photo, details, and — art. 16 — never made on the spot: delivered within 15 working days after the
central's review, or queued while the link is down."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import cv2
import pytest

from central_sim.server import ServerHandle
from kiosk.domain.idnumber import make_id_number
from kiosk.domain.services import ServiceId
from kiosk.flows.base import End, View
from kiosk.runtime import Runtime
from tests.flows.conftest import (
    TODAY,
    Driver,
    assert_ended,
    central_count,
    central_one,
    go_offline,
    id_card,
    make_runtime,
    person,
)
from tests.flows.faces import HolderFaceCamera, face_file
from tests.flows.payment_helpers import pay_shown_order
from tests.flows.test_apply import fill_details
from tests.flows.test_documents import capture, doccam, reviewed
from tests.photo.synth import kiosk_frame

GUARDIAN = "adult_active_card"
CHILD_NAME = "林𠮷宝"  # the register's name: a rare character no kiosk keyboard could type


def years_ago(years: int, days: int = 0) -> dt.date:
    return TODAY.replace(year=TODAY.year - years) - dt.timedelta(days=days)


def child_number(years: int, sequence: int = 88, days: int = 30) -> str:
    return make_id_number("350102", years_ago(years, days), sequence)


def registered_child(central: ServerHandle, years: int, sequence: int = 88, days: int = 30) -> str:
    """A child in the social security register by the 户口簿's number, with no ID card (no validity)."""
    born = years_ago(years, days)
    number = child_number(years, sequence, days)
    with central.central.db.transaction() as tx:
        tx.execute("INSERT INTO persons (id_number, name, sex, ethnicity, birth_date, insured, medical_insurance,"
                   " household_address, updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
                   (number, CHILD_NAME, "2" if sequence % 2 == 0 else "1", "01", born.isoformat(), 1, "resident",
                    "福建省福州市鼓楼区示范路1号", "2026-01-01T10:00:00+08:00"))
    return number


def bad_check(number: str) -> str:
    wrong = "0" if number[-1] != "0" else "1"
    return number[:-1] + wrong


def no_id_card(rt: Runtime) -> Driver:
    """The guardian taps 'the child has no ID card' on the first screen, then places their own card."""
    d = Driver(rt, ServiceId.APPLY)
    first = d.wait("read_id")
    assert "no_id_card" in first.actions
    d.send("no_id_card")
    view = d.wait("read_guardian_id")
    assert view.message == "prompt.place_guardian_own_id"
    d.id_reader.place(id_card(person(GUARDIAN)))
    return d


def enter_child(d: Driver, number: str, *, shown: bool = False) -> View:
    """Type the number and confirm (``shown``: the form is already on screen, already waited for)."""
    if not shown:
        d.wait("child_register")
    d.send("set_child_id_number", number)
    form = d.wait("child_register")
    d.send("confirm")
    return form


def child_before_camera(rt: Runtime) -> None:
    camera = rt.devices.camera
    assert isinstance(camera, HolderFaceCamera)
    camera.nobody()  # the guardian steps aside; the child sits before the camera for the card photo
    camera.present(kiosk_frame(cv2.imread(face_file("obama_portrait.jpg"))))  # type: ignore[arg-type]


def take_child_photo(d: Driver) -> None:
    child_before_camera(d.rt)
    d.answer("photo_confirm", "confirm")


def test_guardian_applies_with_the_household_register_and_the_card_follows_review(
        runtime: Runtime, central: ServerHandle) -> None:
    child = registered_child(central, 6)
    d = no_id_card(runtime)
    form = enter_child(d, child)
    assert form.params["child_birth_date"] == years_ago(6, 30).isoformat()
    assert form.params["child_sex"] == "female" and child not in form.params.values()  # masked on screen
    capture(d, "household_register")
    d.answer("more_proof", "add_birth_certificate")
    capture(d, "birth_certificate")
    take_child_photo(d)
    fill_details(d)
    later = d.wait("deliver_later")
    assert later.reasons == ("reason.child_register_review",) and later.params["working_days"] == "15"
    d.send("agree")
    d.answer("deliver_later_how", "choose", "pickup")
    view, result = d.end()
    assert_ended(view, result, End.DONE)
    assert result.code == "deliver_later_pickup" and view.message == "prompt.deliver_later_done"
    assert "take_card" not in d.screens and not d.issuer.printed_faces  # never made on the spot (art. 16)
    # the central: the child's application from the register, pending review, documents for review
    app_id = central_one(central, "SELECT application_id FROM applications WHERE id_number = ?", child)
    assert central_one(central, "SELECT delivery FROM applications WHERE id_number = ?", child) == "pickup"
    assert central_count(central, "application_timeline", "application_id = ? AND status = 'review_pending'",
                         app_id) == 1
    assert sorted(str(r["kind"]) for r in reviewed(central)) == ["birth_certificate", "household_register"]
    assert {r["presenter_id_number"] for r in reviewed(central)} == {person(GUARDIAN)["id_number"]}
    assert central_one(central, "SELECT photo_jpeg_b64 FROM persons WHERE id_number = ?", child)
    receipt = " ".join(line.text for line in d.printer.printed[-1].lines)
    assert "15" in receipt and "审核户口簿后制卡" in receipt and child not in receipt and CHILD_NAME not in receipt
    assert "姓名 Name: 以户口簿为准" in receipt  # the kiosk never had the child's name


def test_bad_check_character_is_told_beside_the_field_then_corrected(runtime: Runtime,
                                                                     central: ServerHandle) -> None:
    child = registered_child(central, 1)
    d = no_id_card(runtime)
    d.wait("child_register")
    d.send("set_child_id_number", bad_check(child))
    wrong = d.wait("child_register")
    assert wrong.reasons == ("reason.child_id_check_digit",)
    d.send("confirm")  # the form does not go on with a wrong number
    assert d.wait("child_register").reasons == ("reason.child_id_check_digit",)
    enter_child(d, child, shown=True)
    capture(d, "household_register")
    d.answer("more_proof", "no_birth_certificate")
    d.answer("photo_optional", "no_photo")  # under 2: the guardian's choice (arts. 16-17)
    fill_details(d)
    d.answer("deliver_later", "agree")
    d.answer("deliver_later_how", "choose", "courier")
    _, result = d.end()
    assert result.code == "deliver_later_courier"
    assert central_count(central, "applications", "id_number = ?", child) == 1


def test_a_child_of_16_is_too_old_for_this_path(runtime: Runtime, central: ServerHandle) -> None:
    child = registered_child(central, 16, days=1)
    d = no_id_card(runtime)
    form = enter_child(d, child)
    assert form.reasons == ("reason.child_too_old_for_register",)
    assert d.wait("child_register").reasons == ("reason.child_too_old_for_register",)
    d.send("cancel")
    view, result = d.end()
    assert_ended(view, result, End.CANCELLED)
    assert "document_place" not in d.screens
    assert central_count(central, "documents") == 0


def test_a_guardian_under_18_is_refused(runtime: Runtime, central: ServerHandle) -> None:
    d = Driver(runtime, ServiceId.APPLY)
    d.wait("read_id")
    d.send("no_id_card")
    d.wait("read_guardian_id")
    d.id_reader.place(id_card(person("child_under_14")))
    view, result = d.end()
    assert_ended(view, result, End.REFUSED, "reason.guardian_not_adult")
    assert "face_consent" not in d.screens and "child_register" not in d.screens


def test_the_guardian_failing_the_face_check_goes_to_the_counter(runtime: Runtime, central: ServerHandle) -> None:
    registered_child(central, 6)
    camera = runtime.devices.camera
    assert isinstance(camera, HolderFaceCamera)
    camera.impostor(face_file("biden_portrait.jpg"))  # someone else than the card's holder stands there
    d = no_id_card(runtime)
    for _ in range(2):
        d.answer("face_retry", "retry")
    view, result = d.end(timeout=30)
    assert_ended(view, result, End.REFUSED, "reason.face_mismatch", "reason.go_to_counter")
    assert "child_register" not in d.screens
    assert central_count(central, "applications", "kiosk_id = ?", runtime.cfg.kiosk.id) == 0


def child_with_card(central: ServerHandle, years: int, card_no: str) -> str:
    """A child in the register, with no ID card, holding a Fuzhou card from the partner bank."""
    number = registered_child(central, years)
    with central.central.db.transaction() as tx:
        tx.execute("INSERT INTO cards (card_no, id_number, city, status, bank_code, issued_at, status_changed_at)"
                   " VALUES (?,?,?,?,?,?,?)", (card_no, number, "350100", "normal", "FZB", "2024-01-01",
                                               "2024-01-01T10:00:00+08:00"))
    return number


def test_guardian_replaces_the_card_of_a_child_without_an_id_card(runtime: Runtime, central: ServerHandle) -> None:
    """The replace flow's first screen has "the child has no ID card" too. The child's cards are looked up
    by the guardian who presented the 户口簿 page (the kiosk never has the register's name), the fee is
    paid, and the new card is made after the central's review (art. 16): never on the spot."""
    child = child_with_card(central, 7, "A10000091")
    d = Driver(runtime, ServiceId.REPLACE)
    assert "no_id_card" in d.wait("read_id").actions
    d.send("no_id_card")
    assert d.wait("read_guardian_id").message == "prompt.place_guardian_own_id_replace"
    d.id_reader.place(id_card(person(GUARDIAN)))
    enter_child(d, child)
    capture(d, "household_register")
    d.answer("more_proof", "no_birth_certificate")
    reasons = d.wait("choose_reason")
    assert "damaged" in [c for c, _ in reasons.choices]
    d.send("choose", "damaged")
    assert d.answer("fee_statement", "confirm").message == "prompt.fee_due"
    d.answer("keep_account", "new_account")
    take_child_photo(d)  # no photo on file: the child before the camera
    fill_details(d)
    later = d.wait("deliver_later")
    assert later.reasons == ("reason.child_register_review",)
    d.send("agree")
    d.answer("deliver_later_how", "choose", "pickup")
    pay_shown_order(d, central)
    view, result = d.end()
    assert_ended(view, result, End.DONE)
    assert result.code == "deliver_later_pickup" and not d.issuer.printed_faces
    assert d.screens.count("face_consent") == 1  # the guardian's face, once, before the 户口簿 page
    app_id = central_one(central, "SELECT application_id FROM applications WHERE id_number = ?", child)
    assert central_one(central, "SELECT replaces_card_no FROM applications WHERE id_number = ?", child) == "A10000091"
    assert central_count(central, "application_timeline", "application_id = ? AND status = 'review_pending'",
                         app_id) == 1
    assert central_count(central, "payments", "application_id = ? AND status = 'paid'", app_id) == 1
    assert runtime.blocks.is_blocked("A10000091")  # art. 33: the old card lapses from acceptance
    receipt = " ".join(line.text for line in d.printer.printed[-1].lines)
    assert "审核户口簿后制卡" in receipt and "已缴 paid" in receipt and child not in receipt


def test_a_child_of_16_replaces_with_their_own_id_card_not_the_register(runtime: Runtime,
                                                                      central: ServerHandle) -> None:
    """A child of 16 or more has an ID card of their own: the form says so, before any lookup."""
    child = child_with_card(central, 16, "A10000092")
    d = Driver(runtime, ServiceId.REPLACE)
    d.wait("read_id")
    d.send("no_id_card")
    d.wait("read_guardian_id")
    d.id_reader.place(id_card(person(GUARDIAN)))
    assert enter_child(d, child).reasons == ("reason.child_too_old_for_register",)
    d.send("cancel")
    _, result = d.end()
    assert result.end is End.CANCELLED and "lookup" not in d.screens


@pytest.fixture
def accepting_runtime(tmp_path: Path, central: ServerHandle) -> Iterator[Runtime]:
    """A kiosk configured to accept applications for later while the link is down."""
    rt = make_runtime(tmp_path, central, offline={"accept_applications_for_later": True})
    yield rt
    rt.stop()


def test_offline_the_application_is_queued_behind_its_documents(accepting_runtime: Runtime,
                                                                 central: ServerHandle) -> None:
    child = registered_child(central, 6)
    rt = accepting_runtime
    go_offline(rt, central)
    d = no_id_card(rt)  # the chip photo is decoded here: the face check needs no link
    enter_child(d, child)
    capture(d, "household_register")
    d.answer("more_proof", "no_birth_certificate")
    take_child_photo(d)
    fill_details(d)
    d.answer("delivery_choice", "choose", "pickup")
    view, result = d.end()
    assert_ended(view, result, End.DONE)
    assert result.code == "accepted_for_later" and "deliver_later" not in d.screens
    assert central_count(central, "applications", "id_number = ?", child) == 0
    central.faults.clear()
    rt.link.report_success()
    assert rt.forwarder.flush(timeout=15)
    assert rt.outbox.undelivered() == 0
    assert central_one(central, "SELECT delivery FROM applications WHERE id_number = ?", child) == "pickup"
    receipt = " ".join(line.text for line in d.printer.printed[-1].lines)
    assert "审核户口簿后制卡" in receipt


def test_offline_without_accept_for_later_is_a_fault(runtime: Runtime, central: ServerHandle) -> None:
    child = registered_child(central, 6)
    go_offline(runtime, central)
    d = Driver(runtime, ServiceId.APPLY)
    d.wait("read_id")
    d.send("no_id_card")  # told at once, before the guardian does anything (central-api.md offline policy)
    view, result = d.end()
    assert_ended(view, result, End.FAULT)
    assert result.code == "link_down" and "read_guardian_id" not in d.screens
    assert central_count(central, "applications", "id_number = ?", child) == 0


def test_the_document_camera_missing_sends_the_guardian_to_the_counter(runtime: Runtime,
                                                                      central: ServerHandle) -> None:
    child = registered_child(central, 6)
    doccam(runtime).steer("unplug")
    d = no_id_card(runtime)
    enter_child(d, child)
    view, result = d.end()
    assert_ended(view, result, End.REFUSED, "reason.document_counter_referral")


def test_a_child_not_in_the_register_is_refused_with_the_centrals_reason(runtime: Runtime,
                                                                      central: ServerHandle) -> None:
    child = child_number(6)  # a valid number the social security register does not know
    d = no_id_card(runtime)
    enter_child(d, child)
    capture(d, "household_register")
    d.answer("more_proof", "no_birth_certificate")
    take_child_photo(d)
    fill_details(d)
    d.answer("deliver_later", "agree")
    d.answer("deliver_later_how", "choose", "pickup")
    view, result = d.end()
    assert_ended(view, result, End.REFUSED, "reason.not_in_register")
    assert central_count(central, "applications", "id_number = ?", child) == 0


def test_offline_a_childs_replacement_is_queued_behind_its_documents(accepting_runtime: Runtime,
                                                                     central: ServerHandle) -> None:
    """Offline the card list cannot be looked up: the replacement is accepted for later, its fee payable
    at pickup, and the central judges it (the 户口簿 page first) when the link is back."""
    child = child_with_card(central, 7, "A10000093")
    rt = accepting_runtime
    go_offline(rt, central)
    d = Driver(rt, ServiceId.REPLACE)
    d.wait("read_id")
    d.send("no_id_card")
    d.wait("read_guardian_id")
    d.id_reader.place(id_card(person(GUARDIAN)))
    enter_child(d, child)
    capture(d, "household_register")
    d.answer("more_proof", "no_birth_certificate")
    d.answer("choose_reason", "choose", "damaged")
    assert d.answer("fee_statement", "confirm").message == "prompt.fee_at_pickup"
    take_child_photo(d)
    fill_details(d)
    d.answer("delivery_choice", "choose", "pickup")
    view, result = d.end()
    assert_ended(view, result, End.DONE)
    assert result.code == "accepted_for_later" and d.screens.count("face_consent") == 1
    central.faults.clear()
    rt.link.report_success()
    assert rt.forwarder.flush(timeout=15)
    assert rt.outbox.undelivered() == 0 and rt.outbox.status().dead_letters == 0
    assert central_one(central, "SELECT replaces_card_no FROM applications WHERE id_number = ?", child) == "A10000093"
    receipt = " ".join(line.text for line in d.printer.printed[-1].lines)
    assert "审核户口簿后制卡" in receipt and "领卡时缴纳" in receipt
