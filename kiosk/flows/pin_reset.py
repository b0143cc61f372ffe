"""重置密码: reset a forgotten or locked PIN (art. 32). Online only (needs the central HSM).

ID card + the card (holder check) → the identity check of kiosk.flows.face_check (consent,
liveness, face match against the chip photo or by the central; limited per session and per
card per day) → GET CHALLENGE → the new PIN twice → central authorisation with the check's
score → the HSM-built APDU to the card → pin-event "reset" through the queue.

Screens: read_id → insert_card → face_consent → liveness (params.hint = photo message code) →
verifying → [face_retry (reasons)] → new_pin → new_pin_again → authorising → done.
"""

from __future__ import annotations

from hal.types import ApduOutcome, PinOutcome
from kiosk.central.bodies import FaceMatchBody
from kiosk.domain.masking import mask_card_no
from kiosk.domain.services import ServiceId
from kiosk.flows.base import CardRemoved, End, Flow, FlowContext, FlowResult, Refused, new_transaction_no
from kiosk.flows.check_answers import confirm_summary, holder_rows
from kiosk.flows.common import central, holder_matches, insert_sscard, require_online
from kiosk.flows.face_check import verify_identity
from kiosk.flows.identity import read_id_card
from kiosk.flows.pin import enter_new_pin
from kiosk.flows.pin_events import queue_pin_event


class PinResetFlow(Flow):
    service = ServiceId.PIN_RESET
    total_steps = 6

    def steps(self, ctx: FlowContext) -> FlowResult:
        require_online(ctx)
        idc = read_id_card(ctx, self.view("read_id", 1, "prompt.place_id_card", actions=("cancel",)))
        card = insert_sscard(ctx, self.view("insert_card", 2, "prompt.insert_card", actions=("cancel",)))
        holder_matches(card, idc.id_number)
        evidence = verify_identity(ctx, self, idc, 3)
        confirm_summary(ctx, self, "confirm", 4, "check.title", holder_rows(self, idc, card.card_no),
                        "check.next.pin_reset")

        reader = ctx.devices.card_reader
        challenge = reader.get_challenge()
        if challenge.outcome in (ApduOutcome.NO_CARD, ApduOutcome.CARD_REMOVED):
            raise CardRemoved("card_removed")
        if challenge.outcome is not ApduOutcome.OK:
            raise Refused("card_challenge_failed", ("reason.card_unreadable",))
        new = enter_new_pin(ctx, self, 4, card.card_no)
        ctx.working(self.view("authorising", 5, "prompt.authorising"))
        match = FaceMatchBody(score=evidence.score, threshold=evidence.threshold, liveness_passed=True,
                              method=evidence.method)
        # Simulator mode: the clear PIN goes to the central (contract); otherwise the pad's block.
        clear = new.clear_pin if ctx.config.kiosk.simulator_mode else None
        block = bytes.fromhex(new.encrypted_hex) if new.encrypted_hex else None
        if clear is None and block is None:
            raise Refused("pin_block_unavailable", ("reason.pin_pad_insecure",))
        auth = central(ctx, lambda: ctx.central.authorize_pin_reset(
            card.card_no, idc.id_number, challenge.data, match, new_pin=clear, pin_block=block))
        with ctx.services.pin_journal.operation("reset", card.card_no):  # kiosk/recovery.py
            result = reader.send_authorised_apdu(auth.apdu_hex)
        if result.outcome in (PinOutcome.NO_CARD, PinOutcome.CARD_REMOVED):
            raise CardRemoved("card_removed")
        if result.outcome is not PinOutcome.OK:
            raise Refused("pin_reset_refused_by_card", ("reason.pin_change_refused",))
        queue_pin_event(ctx, self.service, card.card_no, "reset")
        ctx.unwatch_removal(reader)
        txn = new_transaction_no(ctx.clock, ctx.config.kiosk.id)
        ctx.finish(self.view("done", 6, "prompt.pin_reset_done",
                             params={"txn": txn, "card_no": mask_card_no(card.card_no)}, actions=("home",),
                             end=End.DONE))
        return FlowResult(End.DONE, "reset", transaction_no=txn)
