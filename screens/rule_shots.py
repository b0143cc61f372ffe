"""`make screenshots` for the screens of issue 17 §4 (the regulation's rules): counter guidance
(arts. 35, 51), consent to deliver later (arts. 16, 26), the voluntary applicant (art. 3), the
under-2 photo choice (art. 16) and keeping the bank account (art. 16). Called by
screens/screenshots.py's tour with itself (its Shooter as ``tour.s``)."""

from __future__ import annotations

from typing import Any

from kiosk.domain.counter_guidance import GUIDES
from screens import face_shots
from screens.shots.forms import fill_details, submit_details


def guidance_checklists(tour: Any) -> None:
    """Every case's checklist (the elderly pass: 1.5x type, the longest lists)."""
    s = tour.s
    for case in GUIDES:
        tour.start("counter_guidance")
        s.view("guide_choose")
        if case == next(iter(GUIDES)):
            s.shot("guide_choose")
        for _ in range(len(GUIDES)):  # the elderly look pages the cases
            if tour.shown(f"choice.{case}"):
                break
            s.tap("choice.next")
        s.tap(f"choice.{case}")
        s.view("guidance")
        s.shot(f"guide_{case}_checklist")
        if tour.elderly:  # one item a page: the first item, then on to the last where the buttons are
            s.tap("checklist.next")
            s.shot(f"guide_{case}_checklist_item_1")
            for _ in range(len(GUIDES[case].checklist) - 1):
                s.tap("checklist.next")
            if case == "proxy":  # the last item has the view's buttons; 返回 turns back a page
                s.shot("guide_proxy_checklist_last")
                s.tap("button.back")
                s.shot("guide_proxy_checklist_back")
                s.tap("checklist.next")
        s.tap("button.no_print")
        s.view("done")
        s.end_home()


def rule_screens(tour: Any) -> None:
    s = tour.s
    # 柜台业务指引: the cases, one checklist, printed
    tour.start("counter_guidance")
    s.view("guide_choose")
    s.shot("guide_choose")
    s.tap("choice.proxy")
    s.view("guidance")
    s.shot("guide_proxy_checklist")
    s.tap("button.print")
    s.view("done")
    s.shot("guide_printed")
    s.end_home()
    # art. 3: not insured, applying of one's own wish
    tour.start("apply")
    s.view("read_id")
    tour.place_id("not_insured")
    s.view("voluntary_apply")
    s.shot("voluntary_apply")
    s.tap("button.cancel")
    s.end_home()
    # art. 16: a child under 2, the photo is the guardian's choice
    tour.start("apply")
    s.view("read_id")
    tour.place_id("child_under_2")
    s.view("read_guardian_id")
    s.dev.id_reader.remove()
    tour.place_id("adult_active_card")
    s.view("document_choice")  # the proof of relationship on the document camera (高拍仪)
    s.dev.document_camera.steer("fault", kind="none")
    s.dev.document_camera.steer("document", kind="household_register")
    s.tap("choice.household_register")
    s.view("document_preview")
    s.tap("button.confirm")
    face_shots.through(tour, "adult_active_card", "photo_optional")  # the guardian's face
    s.view("photo_optional")
    s.shot("photo_optional")
    s.tap("button.cancel")
    s.end_home()
    # art. 16: keep the bank account number → the outlet makes the card
    tour.start("replace")
    s.view("read_id")
    tour.place_id("adult_active_card")
    s.view("choose_reason")
    s.tap("choice.damaged")
    face_shots.through(tour, "adult_active_card", "fee_statement")
    s.tap("button.confirm")  # the fee, stated before the citizen commits
    s.view("keep_account")
    s.shot("keep_account")
    s.tap("button.cancel")
    s.end_home()
    # arts. 16, 26: no blank cards → consent to deliver within 15 working days
    s.dev.issuer.steer("hopper", count=0)
    try:
        tour.start("apply")
        s.view("read_id")
        tour.place_id("rare_char_yan")  # not adult_never_applied: the tour's own apply comes next
        face_shots.through(tour, "rare_char_yan", "photo_choice")
        s.view("photo_choice")
        s.tap("button.use_on_file")
        s.view("details")
        fill_details(tour)
        submit_details(tour)
        s.view("deliver_later")
        s.shot("deliver_later_consent")
        s.tap("button.agree")
        s.view("deliver_later_how")
        s.shot("deliver_later_how")
        s.tap("choice.courier")
        s.view("done")
        s.shot("deliver_later_done")
        s.end_home()
    finally:
        s.dev.issuer.steer("hopper", count=100)
