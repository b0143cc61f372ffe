"""`make screenshots` of a guardian applying for a child without an ID card (issue 21 §3;
kiosk.flows.child_without_id): the first screen's "child has no ID card" action, the guardian's own
card, the child's number typed on the keypad with its X key (a wrong check character told beside the
field, then the right one), the 户口簿 page, the birth-certificate question, and the art. 16 notice
that the card is made after review. The child is under 2 (no photo); no real face is shot."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kiosk.domain.idnumber import make_id_number
from screens import face_shots
from screens.shots.forms import fill_details, submit_details

GUARDIAN = "adult_active_card"


def child_number(today: dt.date) -> str:
    """A made-up baby's number that ends in X (the keypad's extra key)."""
    born = today - dt.timedelta(days=200)
    return next(n for n in (make_id_number("350102", born - dt.timedelta(days=i), 17) for i in range(400))
                if n.endswith("X"))


def type_child_number(tour: Any, number: str) -> None:
    s = tour.s
    s.tap("form.edit.child_id_number")
    for c in number:
        s.tap(f"key.token.{c}" if c == "X" else f"key.{c}")
    s.tap("form.save")
    s.until(lambda: bool(s.view_now().params.get("child_id_number")), "child id number")


def shoot(tour: Any) -> None:
    """``tour``: screens.screenshots.Tour."""
    from kiosk.clock import CHINA_TZ

    s = tour.s
    number = child_number(dt.datetime.now(CHINA_TZ).date())
    wrong = number[:-1] + "0"
    s.dev.document_camera.steer("document", kind="none")
    tour.start("apply")
    s.view("read_id")
    s.shot("read_id_child_without_id_card")  # the first screen with its "child has no ID card" action
    s.tap("button.no_id_card")
    s.view("read_guardian_id")
    s.shot("child_read_guardian_own_id")
    tour.place_id(GUARDIAN)
    face_shots.through(tour, GUARDIAN, "child_register")
    s.view("child_register")
    s.shot("child_register")
    type_child_number(tour, wrong)
    s.until(lambda: "reason.child_id_check_digit" in s.view_now().reasons, "the wrong check character")
    s.pump(0.2)
    s.shot("child_register_check_digit")
    type_child_number(tour, number)
    s.until(lambda: not s.view_now().reasons, "a valid number")
    s.tap("button.confirm")
    s.tap("button.confirm")  # the form's check-your-answers page, then on
    s.view("document_place")
    s.dev.document_camera.steer("document", kind="household_register")
    s.view("document_preview")
    s.tap("button.confirm")
    tour.step("more_proof", shot="child_more_proof", tap="button.no_birth_certificate")
    tour.step("photo_optional", tap="button.no_photo")
    s.view("details")
    fill_details(tour)
    submit_details(tour)  # check your answers, send, the SMS code
    tour.step("deliver_later", shot="child_deliver_later_after_review", tap="button.cancel")
    s.end_home()
    # the replacement starts the same way: the guardian's own card, for the child's card this time
    tour.start("replace")
    s.view("read_id")
    s.tap("button.no_id_card")
    s.view("read_guardian_id")
    s.shot("child_replace_read_guardian_own_id")
    s.tap("button.cancel")
    s.end_home()
