"""kiosk/domain/eligibility.py: every rule's edge, so that a rule changed by one comparison, one
constant or one branch fails here (make mutation, docs/mutation.md)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from kiosk.domain import eligibility as el


@dataclass(frozen=True)
class Card:
    card_no: str
    city: str
    status: str
    collected_at: str | None = None


@dataclass(frozen=True)
class App:
    status: str
    kind: str | None


FUZHOU, XIAMEN, BEIJING = "350100", "350200", "110100"
TODAY = dt.date(2026, 6, 15)


def test_constants_are_the_regulations() -> None:
    assert (el.GUARDIAN_AGE, el.GUARDIAN_MIN_AGE, el.PHOTO_AGE) == (14, 18, 2)  # arts. 16, 51
    assert el.ISSUANCE_LIMIT_S == 1200  # art. 21
    assert el.DELIVERY_WORKING_DAYS == 15  # arts. 16, 17
    assert el.HOME_CITY == FUZHOU and el.PROVINCE_PREFIX == "35"


@pytest.mark.parametrize(("age", "guardian", "photo"), [(0, True, False), (1, True, False), (2, True, True),
                                                        (13, True, True), (14, False, True), (40, False, True)])
def test_age_bands(age: int, guardian: bool, photo: bool) -> None:
    assert el.needs_guardian(age) is guardian
    assert el.photo_required(age) is photo


@pytest.mark.parametrize(("age", "same", "reasons"), [
    (17, False, ("reason.guardian_not_adult",)), (18, False, ()), (40, True, ("reason.guardian_same_person",)),
    (16, True, ("reason.guardian_same_person", "reason.guardian_not_adult")),
])
def test_guardian_problems(age: int, same: bool, reasons: tuple[str, ...]) -> None:
    assert el.guardian_problems(age, "C" if same else "G", "C") == reasons


@pytest.mark.parametrize(("cards", "expected"), [
    ([Card("A", FUZHOU, "normal")], None),  # the home city's card is no other city's
    ([Card("B", XIAMEN, "normal")], "B"),
    ([Card("B", XIAMEN, "suspended")], "B"),
    ([Card("B", XIAMEN, "loss_reported")], "B"),
    ([Card("B", XIAMEN, "cancelled")], None),
    ([Card("B", XIAMEN, "in_production")], None),
    ([Card("X", BEIJING, "normal")], None),  # only a Fujian card can be stopped over the network
    ([Card("X", BEIJING, "normal"), Card("A", FUZHOU, "normal"), Card("B", XIAMEN, "normal")], "B"),
])
def test_other_city_card(cards: list[Card], expected: str | None) -> None:
    found = el.other_city_card(cards)
    assert (found.card_no if found is not None else None) == expected


@pytest.mark.parametrize(("insurance", "pending", "consent", "reasons"), [
    ("resident", False, True, ()),
    ("resident", True, True, ()),  # only an employee insurance transfer matters
    ("employee", False, True, ()),
    ("employee", True, True, ("reason.insurance_transfer_pending",)),
    ("resident", False, False, ("reason.other_city_card_no_consent",)),
    ("employee", True, False, ("reason.insurance_transfer_pending", "reason.other_city_card_no_consent")),
])
def test_stop_other_card_problems(insurance: str, pending: bool, consent: bool, reasons: tuple[str, ...]) -> None:
    assert el.stop_other_card_problems(insurance, pending, consent=consent) == reasons


@pytest.mark.parametrize(("status", "open_"), [("approved", True), ("account_opened", True),
                                               ("production_failed", True), ("produced", False),
                                               ("retained_for_pickup", False), ("cancelled", False)])
def test_open_applications(status: str, open_: bool) -> None:
    """Art. 34: a failed production is delivered by the counter or a courier: still open."""
    assert bool(el.open_applications([App(status, "new")])) is open_


def test_new_application_all_reasons_at_once() -> None:
    problems = el.new_application_problems(
        [Card("A1", FUZHOU, "normal"), Card("C5", "350500", "normal")], [App("production_failed", "new")],
        medical_insurance="employee", transfer_pending=True)
    assert problems == ("reason.has_card_use_replace", "reason.application_in_progress",
                        "reason.insurance_transfer_pending")


@pytest.mark.parametrize(("cards", "apps", "insurance", "pending", "reasons"), [
    ([], [], "resident", False, ()),
    ([Card("A", FUZHOU, "cancelled")], [App("produced", "new")], "resident", False, ()),
    ([Card("A", FUZHOU, "in_production")], [], "resident", False, ("reason.has_card_use_replace",)),
    ([Card("A", FUZHOU, "loss_reported")], [], "resident", False, ("reason.has_card_use_replace",)),
    ([Card("A", XIAMEN, "normal")], [], "resident", True, ()),
    ([Card("A", XIAMEN, "normal")], [], "employee", False, ()),
    ([Card("A", XIAMEN, "normal")], [], "employee", True, ("reason.insurance_transfer_pending",)),
    ([], [], "employee", True, ()),  # no other city's card: no transfer question
])
def test_new_application_problems(cards: list[Card], apps: list[App], insurance: str, pending: bool,
                                  reasons: tuple[str, ...]) -> None:
    assert el.new_application_problems(cards, apps, medical_insurance=insurance, transfer_pending=pending) == reasons


def test_voluntary_applicants_art_3() -> None:
    assert el.voluntary_applicant(insured=False) and not el.voluntary_applicant(insured=True)
    assert el.application_insurance(True, "employee") == "employee"
    assert el.application_insurance(False, "employee") == el.UNINSURED == "none"


@pytest.mark.parametrize(("collected", "today", "free"), [
    (dt.date(2026, 1, 31), dt.date(2026, 2, 28), True), (dt.date(2026, 1, 31), dt.date(2026, 3, 1), False),
    (dt.date(2026, 5, 10), dt.date(2026, 6, 10), True), (dt.date(2026, 5, 10), dt.date(2026, 6, 11), False),
    (None, dt.date(2026, 1, 1), False),
])
def test_quality_defect_free_within_one_month(collected: dt.date | None, today: dt.date, free: bool) -> None:
    assert el.quality_defect_free(collected, today) is free


@pytest.mark.parametrize(("day", "after"), [
    (dt.date(2026, 1, 15), dt.date(2026, 2, 15)), (dt.date(2026, 12, 15), dt.date(2027, 1, 15)),
    (dt.date(2026, 11, 30), dt.date(2026, 12, 30)), (dt.date(2026, 1, 31), dt.date(2026, 2, 28)),
    (dt.date(2028, 1, 31), dt.date(2028, 2, 29)), (dt.date(2026, 1, 30), dt.date(2026, 2, 28)),
    (dt.date(2026, 3, 31), dt.date(2026, 4, 30)), (dt.date(2026, 8, 31), dt.date(2026, 9, 30)),
])
def test_one_month_after(day: dt.date, after: dt.date) -> None:
    assert el.one_month_after(day) == after


def test_replacement_reasons_all_at_once() -> None:
    card = Card("A1", FUZHOU, "cancelled", "2026-01-01T10:00:00+08:00")
    problems = el.replacement_problems("child_turned_2", card, [App("approved", "replacement")], age=1, today=TODAY)
    assert problems == ("reason.card_not_replaceable", "reason.replacement_in_progress", "reason.child_not_yet_2")
    assert el.replacement_problems("stolen", Card("A1", FUZHOU, "normal"), [], age=30, today=TODAY) == (
        "reason.replacement_reason_unknown",)


@pytest.mark.parametrize(("status", "ok"), [("normal", True), ("loss_reported", True), ("suspended", True),
                                            ("cancelled", False), ("in_production", False)])
def test_replaceable_statuses(status: str, ok: bool) -> None:
    problems = el.replacement_problems("damaged", Card("A", FUZHOU, status), [], age=30, today=TODAY)
    assert (problems == ()) is ok


@pytest.mark.parametrize(("apps", "in_progress"), [
    ([App("approved", "replacement")], True), ([App("account_opened", "replacement")], True),
    ([App("production_failed", "replacement")], True),  # art. 34: the failed one still stands
    ([App("produced", "replacement")], False), ([App("approved", "new")], False),
])
def test_one_replacement_at_a_time(apps: list[App], in_progress: bool) -> None:
    problems = el.replacement_problems("damaged", Card("A", FUZHOU, "normal"), apps, age=30, today=TODAY)
    assert (problems == ("reason.replacement_in_progress",)) is in_progress
    assert (el.loss_cancel_problems(Card("A", FUZHOU, "loss_reported"), apps)
            == (("reason.replacement_in_progress",) if in_progress else ()))


@pytest.mark.parametrize(("age", "reasons"), [(1, ("reason.child_not_yet_2",)), (2, ()), (5, ())])
def test_child_turned_2(age: int, reasons: tuple[str, ...]) -> None:
    assert el.replacement_problems("child_turned_2", Card("A", FUZHOU, "normal"), [], age=age, today=TODAY) == reasons
    assert el.replacement_problems("damaged", Card("A", FUZHOU, "normal"), [], age=age, today=TODAY) == ()


@pytest.mark.parametrize(("collected", "reasons"), [
    ("2026-05-20T09:00:00+08:00", ()), ("2026-05-14", ("reason.quality_defect_period_over",)),
    ("2026-05-15", ()), (None, ("reason.quality_defect_period_over",)),
    ("not a date", ("reason.quality_defect_period_over",)), ("", ("reason.quality_defect_period_over",)),
])
def test_quality_defect_replacement(collected: str | None, reasons: tuple[str, ...]) -> None:
    card = Card("A", FUZHOU, "normal", collected)
    assert el.replacement_problems("quality_defect", card, [], age=30, today=TODAY) == reasons
    assert el.replacement_problems("damaged", card, [], age=30, today=TODAY) == ()


@pytest.mark.parametrize(("reason", "status", "first"), [
    ("lost", "normal", True), ("lost", "suspended", True), ("lost", "loss_reported", False), ("lost", None, True),
    ("damaged", "normal", False), ("damaged", None, False),
])
def test_must_report_loss_first(reason: str, status: str | None, first: bool) -> None:
    """Art. 33; offline (status unknown) a lost card is reported first too."""
    card = Card("A", FUZHOU, status) if status is not None else None
    assert el.must_report_loss_first(reason, card) is first


def test_loss_cancel_problems() -> None:
    assert el.loss_cancel_problems(Card("A", FUZHOU, "loss_reported"), []) == ()
    assert el.loss_cancel_problems(Card("A", FUZHOU, "normal"), []) == ("reason.card_not_loss_reported",)
    assert el.loss_cancel_problems(None, [App("approved", "replacement")]) == (
        "reason.card_not_on_record", "reason.replacement_in_progress")


@pytest.mark.parametrize(("card_bank", "kiosk_bank", "kept"), [("FZB", "FZB", True), ("XMB", "FZB", False),
                                                               ("", "", False), ("", "FZB", False)])
def test_account_can_be_kept_only_at_its_bank(card_bank: str, kiosk_bank: str, kept: bool) -> None:
    assert el.account_can_be_kept(card_bank, kiosk_bank) is kept


@pytest.mark.parametrize(("keep", "blanks", "reasons"), [
    (False, True, ()), (True, True, ("reason.keep_account_not_instant",)), (False, False, ("reason.no_blank_cards",)),
    (True, False, ("reason.keep_account_not_instant", "reason.no_blank_cards")),
])
def test_instant_issue_blockers(keep: bool, blanks: bool, reasons: tuple[str, ...]) -> None:
    assert el.instant_issue_blockers(keep_account=keep, blank_cards=blanks) == reasons


@pytest.mark.parametrize(("elapsed", "overdue", "remaining", "percent"), [
    (0, False, "20", "0"), (300, False, "15", "25"), (1200, False, "0", "100"), (1201, True, "0", "100"),
    (1170, False, "0", "98"), (1110, False, "2", "92"),  # half a minute and a minute and a half left
    (2400, True, "0", "100"),
])
def test_issuance_progress(elapsed: float, overdue: bool, remaining: str, percent: str) -> None:
    p = el.IssuanceProgress(elapsed, 1200)
    assert p.overdue is overdue
    assert p.params() == {"elapsed_s": f"{elapsed:.0f}", "limit_s": "1200", "remaining_min": remaining,
                          "percent": percent}
    assert p.remaining_s == max(0.0, 1200 - elapsed)


def test_issuance_progress_without_a_limit() -> None:
    assert el.IssuanceProgress(5, 0).params()["percent"] == "100"
    assert el.IssuanceProgress(0, 0).overdue is False


# --- a child without an ID card, by the 户口簿's number (issue 21 §3) ---------------------------------
def _number(born: dt.date, sequence: int = 87) -> str:
    from kiosk.domain.idnumber import make_id_number

    return make_id_number("350102", born, sequence)


@pytest.mark.parametrize(("born", "reasons"), [
    (dt.date(2026, 6, 1), ()),  # a baby
    (dt.date(2010, 6, 2), ()),  # 15 years and 364 days
    (dt.date(2010, 6, 1), ("reason.child_too_old_for_register",)),  # 16 today: their own ID card
    (dt.date(2026, 6, 2), ("reason.child_id_birth_date",)),  # born tomorrow
])
def test_household_child_problems_age(born: dt.date, reasons: tuple[str, ...]) -> None:
    assert el.household_child_problems(_number(born), dt.date(2026, 6, 1), "") == reasons


def test_household_child_problems_number() -> None:
    today, good = dt.date(2026, 6, 1), _number(dt.date(2020, 1, 1))
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
    assert el.household_child_problems(wrong, today, "") == ("reason.child_id_check_digit",)
    assert el.household_child_problems(good[:17], today, "") == ("reason.child_id_format",)
    assert el.household_child_problems(good, today, good) == ("reason.guardian_same_person",)
    assert el.NO_ID_CARD_MAX_AGE == 16
