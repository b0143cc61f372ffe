"""`make screenshots` of the SMS code and the fee (called once from screens/screenshots.py): the code
entry with its resend countdown, the fee statement (due and free), the payment QR code with the
amount and the time left, and the end of a cancelled payment. The reference central's loopback pay
hook stands in for the citizen's phone."""

from __future__ import annotations

from typing import Any

import httpx

from screens import face_shots
from screens.shots.forms import fill_details, submit_details, type_field

MOBILE = "13912340000"


def shoot(walk: Any) -> None:
    """``walk``: the screenshot run's walker (screens.screenshots), in the normal look."""
    otp(walk)
    paid_replacement(walk)
    cancelled_payment(walk)
    free_replacement(walk)


def otp(walk: Any) -> None:
    s = walk.s
    walk.start("contact_change")
    s.view("read_id")
    walk.place_id("adult_active_card")
    face_shots.through(walk, "adult_active_card", "contact_form")
    type_field(walk, "mobile", MOBILE)
    s.tap("button.confirm")
    s.tap("button.confirm")  # check your answers, then send
    s.view("otp")

    def typed() -> None:
        for d in "382":
            s.tap(f"key.{d}")

    typed()
    s.shot("otp_entry", redo=typed)
    s.tap("button.cancel")
    s.end_home()


def _to_payment(walk: Any, shoot_statement: bool) -> None:
    s = walk.s
    walk.start("replace")
    s.view("read_id")
    walk.place_id("adult_active_card")
    s.view("choose_reason")
    s.tap("choice.damaged")
    face_shots.through(walk, "adult_active_card", "fee_statement")
    if shoot_statement:
        s.shot("fee_statement")
    s.tap("button.confirm")
    s.view("keep_account")  # at the bank that holds the account (art. 16)
    s.tap("button.new_account")
    s.view("photo_choice")
    s.tap("button.use_on_file")
    s.view("details")
    fill_details(walk)  # each replacement its own mobile: one SMS code a minute per number
    submit_details(walk)
    s.view("payment_qr")


def paid_replacement(walk: Any) -> None:
    s = walk.s
    _to_payment(walk, shoot_statement=True)
    s.shot("payment_qr")
    order = s.view_now().params["payment_id"]
    httpx.post(f"{s.rt.cfg.central.url}/_admin/payments/{order}/pay", json={}, timeout=5)  # the citizen pays
    s.view("take_card")
    s.dev.issuer.take_card()
    s.view("pin_offer")
    s.tap("button.skip")
    s.view("done")
    s.end_home()


def cancelled_payment(walk: Any) -> None:
    s = walk.s
    _to_payment(walk, shoot_statement=False)
    s.tap("button.cancel")
    s.until(lambda: s.view_now() is not None and s.view_now().end is not None, "end")
    s.pump(0.2)
    s.shot("payment_cancelled")
    s.end_home()


def free_replacement(walk: Any) -> None:
    s = walk.s
    walk.start("replace")
    s.view("read_id")
    walk.place_id("recent_card_quality")
    s.view("choose_reason")
    s.tap("choice.quality_defect")
    face_shots.through(walk, "recent_card_quality", "fee_statement")
    s.shot("fee_free")
    s.tap("button.cancel")
    s.end_home()
