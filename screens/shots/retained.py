"""`make screenshots` of a card nobody takes (issue 17 §3): after ``timeouts.card_take_s`` the printer
pulls it into the retain bin, and the result page says the card waits at the counter."""

from __future__ import annotations

from typing import Any

from screens import face_shots
from screens.shots.forms import fill_details, submit_details

CITIZEN = "rare_char_ji"  # never applied, and no other tour applies for this citizen


def shoot(tour: Any) -> None:
    s = tour.s
    tour.start("apply")
    s.view("read_id")
    tour.place_id(CITIZEN)
    face_shots.through(tour, CITIZEN, "photo_choice")
    s.tap("button.use_on_file")
    s.view("details")
    fill_details(tour)
    submit_details(tour)
    s.view("take_card")
    s.view("done")  # nobody took the card: retracted, the application stays open at the counter
    s.shot("card_retained")
    s.end_home()
