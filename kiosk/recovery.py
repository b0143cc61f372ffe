"""Crash recovery at start: resolve what a crash or power cut left half done, before citizens are served.

Card production (from kiosk.issuance_journal), for every production without an end:
* the card still inside the printer goes to the reject box and is ledgered as spoiled (art. 27,
  reason ``crash_recovery``); a card already presented in the bezel cannot be pulled back: it is
  ledgered as undelivered and staff are alarmed to collect it; a feed that never moved a card
  leaves nothing to reject;
* the 回盘 is queued as failed with a reason that sends the application to counter delivery (the
  central marks it ``production_failed``, which the counter works from);
* a masked alarm is raised and the journal entry is ended as ``abandoned``.
Each action is recorded once done (kiosk.recovery_store), so a second run, or a run after a
crash during recovery, repeats nothing already done.

PIN change/reset (from kiosk.pin_journal) started but never ended: whether the chip took the new
PIN is unknown. Staff are alarmed; no pin-event is queued, because the contract's events
(changed/reset/locked) would claim an outcome nobody knows, and the journal keeps only a keyed
hash of the card number, which the central cannot match.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from hal.status import DeviceError, Media
from kiosk.alarms import EventLog
from kiosk.central.bodies import ProductionResultBody
from kiosk.central.outcomes import DeliveryRefused
from kiosk.central.port import Central
from kiosk.clock import Clock, stamp
from kiosk.domain.services import ServiceId
from kiosk.issuance_journal import IssuanceJournal, OpenIssuance, Outcome, Step
from kiosk.pin_journal import PinJournal
from kiosk.recovery_store import RecoveryStore
from kiosk.stock_ledger import CardRecord, Kind, StockLedger

log = logging.getLogger("kiosk.recovery")
REASON = "crash_recovery"
ALARM = "crash_recovery"
_INSIDE_MEDIA = frozenset({Media.PRESENT, Media.JAMMED, Media.ENTERING, Media.UNKNOWN, Media.NOT_SUPPORTED})


class CardFate(StrEnum):
    NONE_FED = "none_fed"  # the feed never moved a card
    REJECTED = "rejected"  # sent to the reject box now (or it was on its way there)
    UNCOLLECTED = "uncollected"  # presented in the bezel (or already gone from it): staff collect it
    REJECT_FAILED = "reject_failed"  # still inside; retried at the next start


@dataclass(frozen=True)
class ResolvedIssuance:
    issue_id: int
    application_id: str
    last_step: str
    completed: bool
    fate: CardFate
    result_queued: bool
    closed: bool


@dataclass(frozen=True)
class ResolvedPinOperation:
    op_id: int
    kind: str


@dataclass
class RecoveryReport:
    issuances: list[ResolvedIssuance] = field(default_factory=list)
    pin_operations: list[ResolvedPinOperation] = field(default_factory=list)

    @property
    def nothing_to_do(self) -> bool:
        return not self.issuances and not self.pin_operations

    def to_json(self) -> dict[str, Any]:
        return {"issuances": [{"issue_id": r.issue_id, "application_id": r.application_id,
                               "last_step": r.last_step, "completed": r.completed, "fate": r.fate.value,
                               "result_queued": r.result_queued, "closed": r.closed} for r in self.issuances],
                "pin_operations": [{"op_id": p.op_id, "kind": p.kind} for p in self.pin_operations]}


class RecoverableRuntime(Protocol):
    """What recovery uses of kiosk.runtime.Runtime."""

    journal: IssuanceJournal
    pin_journal: PinJournal
    recovery_store: RecoveryStore
    stock_ledger: StockLedger
    events: EventLog
    clock: Clock
    devices: Any
    cfg: Any

    @property
    def gateway(self) -> Central: ...


def recover(rt: RecoverableRuntime) -> RecoveryReport:
    report = RecoveryReport()
    for open_issuance in rt.journal.unfinished():
        report.issuances.append(_resolve_issuance(rt, open_issuance))
    for op in rt.pin_journal.unfinished():
        rt.events.alarm("pin_operation_interrupted",
                        f"PIN {op.kind} interrupted by a crash (started {op.started_at}): outcome unknown, "
                        "the citizen's card may have the old or the new PIN; no pin-event sent",
                        device="card_reader", severity="warning")
        rt.pin_journal.end(op.op_id, "unknown_after_crash")
        report.pin_operations.append(ResolvedPinOperation(op.op_id, op.kind))
    if not report.nothing_to_do:
        log.warning("crash recovery", extra={"issuances": len(report.issuances),
                                             "pin_operations": len(report.pin_operations)})
    return report


def _where(issuer: Any, oi: OpenIssuance) -> CardFate:
    """Where the interrupted production's card is, from its last journalled step and the printer."""
    if oi.last_step is None:
        return CardFate.NONE_FED
    in_bezel = not issuer.card_taken()
    media = issuer.status().media
    if oi.last_step is Step.FED and not oi.completed:
        return CardFate.REJECTED if media in _INSIDE_MEDIA else CardFate.NONE_FED
    if oi.last_step in (Step.EJECTED, Step.TAKEN):
        if in_bezel:
            return CardFate.UNCOLLECTED
        if oi.last_step is Step.EJECTED and not oi.completed and media in _INSIDE_MEDIA:
            return CardFate.REJECTED  # the eject never moved it
        return CardFate.UNCOLLECTED  # presented, then gone from the bezel while the kiosk was down
    return CardFate.REJECTED  # fed, personalised, verified, printed or on its way to the box


def _resolve_issuance(rt: RecoverableRuntime, oi: OpenIssuance) -> ResolvedIssuance:
    issuer = rt.devices.issuer
    store, jid = rt.recovery_store, oi.issue_id
    step = f"{oi.last_step.value if oi.last_step else 'start'}/{'done' if oi.completed else 'in progress'}"
    record = store.record_for(oi.application_id)
    fate = _where(issuer, oi) if issuer is not None else CardFate.REJECT_FAILED
    if store.done(jid, "fate_uncollected"):
        fate = CardFate.UNCOLLECTED  # decided by an earlier run that did not finish
    result_queued = store.done(jid, "result")
    if not result_queued:
        result_queued = _queue_failed_result(rt, oi, record, fate)
        if result_queued:
            store.mark(jid, "result")
    if fate is CardFate.REJECTED:
        try:
            with rt.journal.step(jid, Step.REJECTED):
                issuer.eject_to_reject()
        except DeviceError as exc:
            log.warning("crash recovery could not reject the card", extra={"code": exc.code})
            fate = CardFate.REJECT_FAILED
    if fate is CardFate.UNCOLLECTED:
        store.mark(jid, "fate_uncollected")
    if fate in (CardFate.REJECTED, CardFate.UNCOLLECTED) and not store.done(jid, "ledger"):
        kind = Kind.SPOILED if fate is CardFate.REJECTED else Kind.UNDELIVERED
        rt.stock_ledger.record(kind, rt.clock.now(), oi.application_id, record or CardRecord(), REASON)
        store.mark(jid, "ledger")
    if not store.done(jid, "alarm"):
        rt.events.alarm(ALARM, _alarm_text(oi, step, fate, result_queued, record is not None), device="issuer",
                        severity="critical" if fate in (CardFate.UNCOLLECTED, CardFate.REJECT_FAILED) else "warning")
        store.mark(jid, "alarm")
    closed = fate is not CardFate.REJECT_FAILED and result_queued
    if closed:
        rt.journal.finish(jid, Outcome.ABANDONED)
        if not any(o.application_id == oi.application_id for o in rt.journal.unfinished()):
            store.forget(oi.application_id)
    return ResolvedIssuance(jid, oi.application_id, step, oi.completed, fate, result_queued, closed)


def _queue_failed_result(rt: RecoverableRuntime, oi: OpenIssuance, record: CardRecord | None,
                         fate: CardFate) -> bool:
    """The 回盘 as failed, sending the application to counter delivery; False if it could not be queued."""
    if record is None:
        return False  # no card number to report: the alarm says so, staff resolve it at the central
    where = "a card was presented in the bezel and not collected (staff collect it)" \
        if fate is CardFate.UNCOLLECTED else "the card was rejected"
    result = ProductionResultBody(
        result="failed",
        failure_reason=f"kiosk interrupted during card production ({REASON}, "
                       f"{oi.last_step.value if oi.last_step else 'start'}); {where}; "
                       "deliver at the counter (网点领取)",
        card_no=record.card_no, produced_at=stamp(rt.clock), kiosk_id=rt.cfg.kiosk.id)
    try:
        rt.gateway.report_production_result(service=ServiceId.APPLY, application_id=oi.application_id,
                                            ordering_key=record.ssn or oi.application_id, result=result)
    except DeliveryRefused as exc:
        log.warning("crash recovery could not queue the production result", extra={"code": exc.code})
        return False
    return True


def _alarm_text(oi: OpenIssuance, step: str, fate: CardFate, queued: bool, known: bool) -> str:
    card = {CardFate.NONE_FED: "no card had been fed",
            CardFate.REJECTED: "card sent to the reject box and ledgered as spoiled",
            CardFate.UNCOLLECTED: "card was presented in the bezel: staff must collect it (ledgered undelivered)",
            CardFate.REJECT_FAILED: "card could NOT be rejected: clear the printer"}[fate]
    result = "failed production result queued (counter delivery)" if queued else \
        "production result NOT queued" + ("" if known else " (card record lost): report it at the central")
    return (f"card production interrupted at {step} (application {oi.application_id}, card {oi.card_no_masked}, "
            f"attempt {oi.attempt}): {card}; {result}")
