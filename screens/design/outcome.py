"""Which result page an end View gets (no Kivy here): success, pending (accepted but not final:
queued offline, deferred), attention (done, but the card is not in the citizen's hand), refused,
fault, or ended (cancelled, timed out)."""

from __future__ import annotations

from kiosk.flows.base import End, View, printed_message

PENDING_MARKS = ("pending", "later", "deferred")
ATTENTION = ("prompt.card_retained", "prompt.card_not_taken")  # done, but the card is not in hand
# Pending because the card is made later, not because the link was down: the central has the application
# (consented to delivery later, or the kiosk failed to make it). Its text needs ``working_days``.
MADE_LATER = ("prompt.deliver_later_done", "prompt.production_deferred")


# End views that ask for a card back: a picture of taking it, not a result page again.
TAKE_BACK = {"take_id_card": "take_id_card", "take_sscard": "take_card"}


def pending_note(view: View) -> str:
    """What "pending" means on this page: queued in the kiosk until the link is back (the outcome is
    texted: central_sim/notices.py), or accepted by the central with the card to follow."""
    return "result.later.what" if printed_message(view.message) in MADE_LATER else "result.pending.what"


def shows_result(view: View) -> bool:
    return view.end is not None and view.screen not in TAKE_BACK


def result_kind(view: View) -> str:
    if view.end is End.DONE:
        if view.message in ATTENTION:
            return "attention"
        return "pending" if any(m in view.message for m in PENDING_MARKS) else "success"
    if view.end is End.REFUSED:
        return "refused"
    if view.end in (End.FAULT, End.CARD_REMOVED):
        return "fault"
    return "ended"


