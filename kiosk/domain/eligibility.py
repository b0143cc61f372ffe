"""Business rules of the card services, each in exactly one place (Fuzhou regulation 2021).

Every ``*_problems`` function returns *all* reason keys at once (art. 16: 一次性告知);
an empty tuple means "go ahead". Keys are string-table keys (``reason.*``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from kiosk.domain.idnumber import InvalidIdNumber, age_on, parse_id_number

HOME_CITY = "350100"  # 福州市
PROVINCE_PREFIX = "35"  # 福建省: only a card of another Fujian city can be stopped over the network
GUARDIAN_AGE = 14  # arts. 16, 51: under 14 a guardian applies on the child's behalf
GUARDIAN_MIN_AGE = 18
# Art. 16 names "无二代居民身份证的学生儿童" as a case the card is not made on the spot for; from 16 a
# resident must hold a 居民身份证 (居民身份证法 art. 2), so a child from 16 applies with their own card.
# Below it a guardian applies with the 户口簿 (art. 51: minors lack full civil capacity).
NO_ID_CARD_MAX_AGE = 16
PHOTO_AGE = 2  # arts. 16-17, 30: under 2 the card may carry no photo
ISSUANCE_LIMIT_S = 20 * 60  # art. 21: instant production within 20 minutes (config default)
HELD = ("normal", "loss_reported", "suspended", "in_production")  # a card the person still holds
STOPPABLE = ("normal", "suspended", "loss_reported")
# A card is still to be made: being made, or its instant production failed and the counter or a
# courier delivers it (art. 34: while it stands, no loss cancellation and no second replacement).
OPEN_APPLICATION = ("approved", "account_opened", "production_failed")
UNINSURED = "none"  # the medical insurance of a voluntary applicant (art. 3): nothing to link (art. 16 (二))
DELIVERY_WORKING_DAYS = 15  # arts. 16, 17: a card not made on the spot is delivered within 15 working days


class CardLike(Protocol):
    @property
    def card_no(self) -> str: ...
    @property
    def city(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def collected_at(self) -> str | None: ...


class ApplicationLike(Protocol):
    @property
    def status(self) -> str: ...
    @property
    def kind(self) -> str | None: ...


# --- age bands --------------------------------------------------------------------------------
def needs_guardian(age: int) -> bool:
    return age < GUARDIAN_AGE


def photo_required(age: int) -> bool:
    return age >= PHOTO_AGE


def guardian_problems(guardian_age: int, guardian_id: str, child_id: str) -> tuple[str, ...]:
    reasons = []
    if guardian_id == child_id:
        reasons.append("reason.guardian_same_person")
    if guardian_age < GUARDIAN_MIN_AGE:
        reasons.append("reason.guardian_not_adult")
    return tuple(reasons)


def household_child_problems(child_id: str, today: dt.date, guardian_id: str) -> tuple[str, ...]:
    """The child's citizen ID number as the guardian typed it from the 户口簿 (issue 21 §3): the check
    character, a real birth date not in the future, under ``NO_ID_CARD_MAX_AGE``, not the guardian."""
    try:
        info = parse_id_number(child_id)
    except InvalidIdNumber as exc:
        return (f"reason.child_{exc.problem.value}",)
    reasons = []
    if info.birth_date > today:
        reasons.append("reason.child_id_birth_date")
    elif age_on(info.birth_date, today) >= NO_ID_CARD_MAX_AGE:
        reasons.append("reason.child_too_old_for_register")
    if child_id == guardian_id:
        reasons.append("reason.guardian_same_person")
    return tuple(reasons)


# --- another Fujian city's card (art. 16) --------------------------------------------------------
def other_city_card(cards: Iterable[CardLike]) -> CardLike | None:
    return next((c for c in cards if c.city != HOME_CITY and c.city.startswith(PROVINCE_PREFIX)
                 and c.status in STOPPABLE), None)


def stop_other_card_problems(medical_insurance: str, transfer_pending: bool, consent: bool) -> tuple[str, ...]:
    """Stop it only with consent, and never while an employee medical insurance transfer is pending."""
    reasons = []
    if medical_insurance == "employee" and transfer_pending:
        reasons.append("reason.insurance_transfer_pending")
    if not consent:
        reasons.append("reason.other_city_card_no_consent")
    return tuple(reasons)


# --- new application (arts. 3, 15, 16) ---------------------------------------------------------
def open_applications(applications: Iterable[ApplicationLike]) -> list[ApplicationLike]:
    return [a for a in applications if a.status in OPEN_APPLICATION]


def new_application_problems(cards: Sequence[CardLike], applications: Sequence[ApplicationLike],
                             *, medical_insurance: str, transfer_pending: bool) -> tuple[str, ...]:
    """Art. 3: the insured *and* those who wish a card (有个人意愿需求的人员) may apply, so being
    uninsured is no reason; see ``voluntary_applicant``."""
    reasons = []
    if any(c.city == HOME_CITY and c.status in HELD for c in cards):
        reasons.append("reason.has_card_use_replace")
    if open_applications(applications):
        reasons.append("reason.application_in_progress")
    if other_city_card(cards) is not None and medical_insurance == "employee" and transfer_pending:
        reasons.append("reason.insurance_transfer_pending")
    return tuple(reasons)


# --- replacement (arts. 29, 30, 33) ------------------------------------------------------------
REPLACEMENT_REASONS = ("lost", "damaged", "key_info_changed", "photo_changed", "child_turned_2", "quality_defect")
REPLACEABLE = ("normal", "loss_reported", "suspended")


def one_month_after(d: dt.date) -> dt.date:
    month, year = d.month % 12 + 1, d.year + (d.month == 12)
    for day in (d.day, 30, 29, 28):
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def quality_defect_free(collected_at: dt.date | None, today: dt.date) -> bool:
    """Art. 33: a defective card is replaced free within one month of collection."""
    return collected_at is not None and today <= one_month_after(collected_at)


def voluntary_applicant(insured: bool) -> bool:
    """Art. 3: an uninsured applicant applies of their own wish; the card carries no medical
    insurance link (art. 16 (二): linked only for those insured in Fuzhou)."""
    return not insured


def application_insurance(insured: bool, chosen: str) -> str:
    """The medical insurance an application states: the citizen's choice, or none when uninsured."""
    return chosen if insured else UNINSURED


def replacement_problems(reason: str, card: CardLike, applications: Sequence[ApplicationLike], *,
                         age: int, today: dt.date) -> tuple[str, ...]:
    reasons = []
    if reason not in REPLACEMENT_REASONS:
        reasons.append("reason.replacement_reason_unknown")
    if card.status not in REPLACEABLE:
        reasons.append("reason.card_not_replaceable")
    if any(a.kind == "replacement" for a in open_applications(applications)):
        reasons.append("reason.replacement_in_progress")
    if reason == "child_turned_2" and age < PHOTO_AGE:
        reasons.append("reason.child_not_yet_2")
    if reason == "quality_defect" and not quality_defect_free(_date(card.collected_at), today):
        reasons.append("reason.quality_defect_period_over")
    return tuple(reasons)


def must_report_loss_first(reason: str, card: CardLike | None) -> bool:
    """Art. 33: a lost card not yet reported is reported (frozen) before it is replaced; offline its
    status is unknown (``card`` None), so it is reported."""
    return reason == "lost" and (card is None or card.status != "loss_reported")


# --- loss cancellation (art. 34) ---------------------------------------------------------------
def loss_cancel_problems(card: CardLike | None, applications: Sequence[ApplicationLike]) -> tuple[str, ...]:
    reasons = []
    if card is None:
        reasons.append("reason.card_not_on_record")
    elif card.status != "loss_reported":
        reasons.append("reason.card_not_loss_reported")
    if any(a.kind == "replacement" for a in open_applications(applications)):
        reasons.append("reason.replacement_in_progress")
    return tuple(reasons)


# --- when the card cannot be made on the spot (arts. 16, 26) ---------------------------------------
def account_can_be_kept(card_bank: str, kiosk_bank: str) -> bool:
    """A replacement may keep the old card's bank account number only at the bank that holds it."""
    return bool(card_bank) and card_bank == kiosk_bank


def instant_issue_blockers(*, keep_account: bool, blank_cards: bool) -> tuple[str, ...]:
    """Art. 16: a replacement that keeps the bank account number, or a kiosk without blank cards, cannot
    make the card now: the kiosk says why and asks consent to deliver within 15 working days."""
    reasons = []
    if keep_account:
        reasons.append("reason.keep_account_not_instant")
    if not blank_cards:
        reasons.append("reason.no_blank_cards")
    return tuple(reasons)


# --- instant production time limit (art. 21) ------------------------------------------------------
@dataclass(frozen=True)
class IssuanceProgress:
    elapsed_s: float
    limit_s: float

    @property
    def remaining_s(self) -> float:
        return max(0.0, self.limit_s - self.elapsed_s)

    @property
    def overdue(self) -> bool:
        return self.elapsed_s > self.limit_s

    def params(self) -> dict[str, str]:
        return {"elapsed_s": f"{self.elapsed_s:.0f}", "limit_s": f"{self.limit_s:.0f}",
                "remaining_min": f"{self.remaining_s / 60:.0f}",
                "percent": f"{min(100.0, 100.0 * self.elapsed_s / self.limit_s) if self.limit_s else 100.0:.0f}"}


def _date(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None
