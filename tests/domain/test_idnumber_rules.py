"""GB 11643 check characters against fixed numbers (not made by the code under test), so that every
weight and every format check is pinned (make mutation)."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk.domain.idnumber import IdProblem, InvalidIdNumber, age_on, is_valid_id_number, parse_id_number

# Every one of the first 17 positions holds a non-zero digit in at least one of these.
VALID = ("451324198711293574", "632728196508174687", "213845199305267945", "11010519491231002X")


@pytest.mark.parametrize("number", VALID)
def test_fixed_numbers_are_valid_and_one_changed_digit_is_not(number: str) -> None:
    assert is_valid_id_number(number)
    for i in range(17):
        changed = number[:i] + str((int(number[i]) + 1) % 10) + number[i + 1:]
        assert not is_valid_id_number(changed), i


@pytest.mark.parametrize(("number", "problem"), [
    ("11010519491231002Y", IdProblem.FORMAT), ("1101051949123100AX", IdProblem.FORMAT),
    ("11010519491231002X0", IdProblem.FORMAT), ("A1010519491231002X", IdProblem.FORMAT),
    ("451324198711293575", IdProblem.CHECK_DIGIT),
    ("451324198713293571", IdProblem.BIRTH_DATE),  # month 13 (check character made valid below)
])
def test_format_problems(number: str, problem: IdProblem) -> None:
    from kiosk.domain.idnumber import check_character

    if problem is IdProblem.BIRTH_DATE:
        number = number[:17] + check_character(number[:17])
    with pytest.raises(InvalidIdNumber) as err:
        parse_id_number(number)
    assert err.value.problem is problem


@pytest.mark.parametrize(("year", "ok"), [(1899, False), (1900, True), (1901, True)])
def test_birth_year_from_1900(year: int, ok: bool) -> None:
    from kiosk.domain.idnumber import check_character

    first17 = f"350102{year}0101123"
    assert is_valid_id_number(first17 + check_character(first17)) is ok


def test_decoded_fields() -> None:
    info = parse_id_number("451324198711293574")
    assert (info.birth_date, info.male, info.region_code) == (dt.date(1987, 11, 29), True, "451324")
    assert parse_id_number("632728196508174687").male is False  # 8 is even


@pytest.mark.parametrize(("birth", "today", "age"), [
    (dt.date(2000, 6, 15), dt.date(2026, 6, 14), 25), (dt.date(2000, 6, 15), dt.date(2026, 6, 15), 26),
    (dt.date(2000, 6, 15), dt.date(2026, 5, 20), 25), (dt.date(2000, 6, 15), dt.date(2026, 7, 1), 26),
])
def test_age_on(birth: dt.date, today: dt.date, age: int) -> None:
    assert age_on(birth, today) == age
