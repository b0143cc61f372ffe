"""重置密码: reset a forgotten or locked PIN (art. 32). Online only (needs the central HSM).

ID card + the card (holder check) → liveness challenge (blink) and face verification of the
same frames against the ID card photo, or the photo on record when the ID photo cannot be
used → GET CHALLENGE → the new PIN twice → central authorisation → the HSM-built APDU to the
card → pin-event "reset" through the queue. Face-match failures are limited per card per day
(kiosk.flows.face_limits, persisted).

Screens: read_id → insert_card → liveness (params.hint = photo message code) → verifying →
[face_retry (reasons)] → new_pin → new_pin_again → authorising → done.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hal.types import ApduOutcome, PinOutcome
from kiosk.central.bodies import FaceMatchBody
from kiosk.domain.masking import mask_card_no
from kiosk.domain.services import ServiceId
from kiosk.flows.base import CardRemoved, End, Flow, FlowContext, FlowResult, IdleTimeout, Refused, new_transaction_no
from kiosk.flows.common import central, holder_matches, insert_sscard, require_online
from kiosk.flows.identity import read_id_card
from kiosk.flows.pin import enter_new_pin
from kiosk.flows.pin_events import queue_pin_event

if TYPE_CHECKING:  # kiosk.photo loads the face models: imported when a reset actually runs
    from kiosk.photo.verify import Embedding

LIVENESS_MAX_FRAMES = 90


class PinResetFlow(Flow):
    service = ServiceId.PIN_RESET
    total_steps = 6

    def steps(self, ctx: FlowContext) -> FlowResult:
        require_online(ctx)
        idc = read_id_card(ctx, self.view("read_id", 1, "prompt.place_id_card", actions=("cancel",)))
        card = insert_sscard(ctx, self.view("insert_card", 2, "prompt.insert_card", actions=("cancel",)))
        holder_matches(card, idc.id_number)
        failures = ctx.services.face_failures
        today = ctx.clock.today()
        if failures.blocked(card.card_no, today):
            raise Refused("face_attempts_exhausted", ("reason.face_attempts_exhausted",))

        reference = self._reference(ctx, idc.photo_bmp, idc.id_number)
        score = self._face_check(ctx, reference, card.card_no)

        reader = ctx.devices.card_reader
        challenge = reader.get_challenge()
        if challenge.outcome in (ApduOutcome.NO_CARD, ApduOutcome.CARD_REMOVED):
            raise CardRemoved("card_removed")
        if challenge.outcome is not ApduOutcome.OK:
            raise Refused("card_challenge_failed", ("reason.card_unreadable",))
        new = enter_new_pin(ctx, self, 4, card.card_no)
        ctx.working(self.view("authorising", 5, "prompt.authorising"))
        match = FaceMatchBody(score=score, threshold=1.0 - ctx.config.photo.match_distance, liveness_passed=True,
                                 method=_method())
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

    def _reference(self, ctx: FlowContext, id_photo: bytes | None, id_number: str) -> Embedding:
        from kiosk.photo.verify import reference_embedding

        ctx.working(self.view("verifying", 3, "prompt.preparing_face_check"))
        ref = reference_embedding(id_photo) if id_photo else None
        if ref is None:  # the ID photo could not be decoded or holds no usable face
            photo = central(ctx, lambda: ctx.central.person_photo(id_number))
            ref = reference_embedding(photo)
        if ref is None:
            raise Refused("no_reference_photo", ("reason.no_reference_photo",))
        return ref

    def _face_check(self, ctx: FlowContext, reference: Embedding, card_no: str) -> float:
        """Liveness then face match on the challenge's best frame; failures counted per card per day."""
        from kiosk.photo.liveness import LivenessChallenge
        from kiosk.photo.verify import verify

        camera = ctx.devices.camera
        failures = ctx.services.face_failures
        reasons: tuple[str, ...] = ()
        while True:
            challenge = LivenessChallenge("blink", max_frames=LIVENESS_MAX_FRAMES)
            deadline = ctx.clock.monotonic() + ctx.idle_timeout(ctx.config.timeouts.idle_s)
            state = None
            while challenge.status == "pending":
                ctx.check()
                if ctx.clock.monotonic() > deadline:
                    raise IdleTimeout("liveness")
                frame = camera.read_frame()
                if frame is None:
                    continue
                state = challenge.feed(frame)
                ctx.channel.show(self.view("liveness", 3, f"photo.{state.code}", params={"hint": state.code},
                                           reasons=reasons, actions=("cancel",)))
            code = "reason.liveness_failed"
            if challenge.status == "passed" and challenge.best_frame is not None:
                ctx.working(self.view("verifying", 3, "prompt.verifying_face"))
                match = verify(challenge.best_frame, reference, ctx.config.photo.match_distance,
                               live_face=challenge.best_face)
                if match.matched and match.score is not None:
                    return match.score
                code = "reason.face_mismatch"
            left = failures.record_failure(card_no, ctx.clock.today())
            if left <= 0:
                raise Refused("face_attempts_exhausted", (code, "reason.face_attempts_exhausted"))
            reasons = (code,)
            ctx.ask(self.view("face_retry", 3, "prompt.face_retry", params={"attempts_left": str(left)},
                              reasons=reasons, actions=("retry", "cancel")))


def _method() -> str:
    from kiosk.photo.verify import METHOD

    return METHOD
