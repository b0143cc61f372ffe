"""Card production at the kiosk's card printer (art. 21): feed a blank → personalise the chip at
the encoder → read it back and verify → print the face → eject to the bezel.

A spoiled card goes to the reject box and into the stock ledger (art. 27), and production
retries once with a fresh blank. Every physical step is journalled before and after
(kiosk.issuance_journal), so a crash leaves a record of where the card is. Cancel is not
honoured while a card is in the printer: a card is never left half-made without a decision.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from hal.status import DeviceError
from hal.types import ApduOutcome, CardFace, CardPersonalisation
from kiosk.domain.masking import mask_card_no
from kiosk.flows.base import Flow, FlowContext, View
from kiosk.issuance_journal import Outcome, Step
from kiosk.stock_ledger import CardRecord, Kind

log = logging.getLogger("kiosk.production")
ATTEMPTS = 2  # the first card and one fresh blank
NO_RETRY = frozenset({"feeder_empty", "reject_box_full", "unplugged", "ribbon_out"})  # a new blank won't help
NOTHING_FED = frozenset({"feeder_empty", "unplugged"})  # the feed failed before a card moved


@dataclass(frozen=True)
class Produced:
    chip_atr: str
    card_id_code: str
    issue_id: int
    attempts: int


class ProductionFailed(Exception):
    def __init__(self, code: str, attempts: int) -> None:
        super().__init__(code)
        self.code = code
        self.attempts = attempts


class _Spoiled(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class CardProduction:
    """One production run for one application. ``in_printer`` is True while a card is inside."""

    def __init__(self, ctx: FlowContext, flow: Flow, step: int, application_id: str,
                 progress: Callable[[], dict[str, str]]) -> None:
        self.ctx = ctx
        self.flow = flow
        self.step = step
        self.application_id = application_id
        self.progress = progress
        self.in_printer = False
        self.issue_id = 0
        self.record = CardRecord()

    def _show(self, message: str) -> None:
        view: View = self.flow.view("producing", self.step, message, params=self.progress(), busy=True)
        self.ctx.channel.show(view)

    def run(self, perso: CardPersonalisation, face: CardFace, bank_account: str) -> Produced:
        self.record = CardRecord(perso.name, perso.ssn, perso.card_no, bank_account)
        self.ctx.services.keep_for_recovery(self.application_id, self.record)  # kiosk/recovery.py
        journal = self.ctx.services.journal
        code = "unknown"
        for attempt in range(1, ATTEMPTS + 1):
            self.issue_id = journal.start(self.application_id, attempt, mask_card_no(perso.card_no))
            try:
                atr = self._one_card(perso, face)
            except (DeviceError, _Spoiled) as exc:
                code = exc.code
                log.warning("card production step failed", extra={"code": code, "attempt": attempt})
                self.ctx.services.alarm(code, f"card production attempt {attempt} failed", device="issuer")
                if self.in_printer:
                    if not self.spoil(code):
                        break
                else:
                    journal.finish(self.issue_id, Outcome.FAILED)
                if code in NO_RETRY:
                    break
                continue
            journal.finish(self.issue_id, Outcome.DONE)
            return Produced(atr, perso.card_id_code, self.issue_id, attempt)
        raise ProductionFailed(code, attempt)

    def _one_card(self, perso: CardPersonalisation, face: CardFace) -> str:
        issuer = self.ctx.devices.issuer
        encoder = self.ctx.devices.encoder
        journal = self.ctx.services.journal
        self._show("prompt.producing_feed")
        with journal.step(self.issue_id, Step.FED):
            try:
                issuer.feed_to_contact()
            except DeviceError as exc:
                self.in_printer = exc.code not in NOTHING_FED  # a jam may leave a card in the transport
                raise
            self.in_printer = True
        self._show("prompt.producing_chip")
        if not encoder.wait_for_card(5.0):
            raise _Spoiled("encoder_no_card")
        with journal.step(self.issue_id, Step.PERSONALISED):
            result = encoder.personalise(perso)
            if result.outcome is not ApduOutcome.OK:
                raise _Spoiled(f"personalise_{result.outcome.value}")
        with journal.step(self.issue_id, Step.VERIFIED):
            back = encoder.read_card()
            if back is None or (back.card_no, back.ssn, back.name) != (perso.card_no, perso.ssn, perso.name):
                raise _Spoiled("verify_mismatch")
            atr: str = back.atr
        self._show("prompt.producing_print")
        with journal.step(self.issue_id, Step.PRINTED):
            issuer.print_face(face)
        with journal.step(self.issue_id, Step.EJECTED):
            issuer.eject_to_bezel()
        self.in_printer = False
        return atr

    def spoil(self, code: str) -> bool:
        """Send the card in the printer to the reject box and ledger it; False if that failed too."""
        journal = self.ctx.services.journal
        issuer = self.ctx.devices.issuer
        was_inside = self.in_printer
        try:
            with journal.step(self.issue_id, Step.REJECTED):
                issuer.eject_to_reject()
        except DeviceError as exc:
            self.ctx.services.alarm(exc.code, "spoiled card could not be rejected", device="issuer",
                                    severity="critical")
            journal.finish(self.issue_id, Outcome.FAILED)
            return False
        self.in_printer = False
        journal.finish(self.issue_id, Outcome.SPOILED)
        if was_inside:
            self.ctx.services.stock_ledger.record(Kind.SPOILED, self.ctx.clock.now(), self.application_id,
                                                  self.record, code)
        return True
