import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.domain.idnumber import (
    IdProblem,
    InvalidIdNumber,
    age_on,
    check_character,
    is_valid_id_number,
    make_id_number,
    parse_id_number,
)

# A published example from GB 11643 explanations: 11010519491231002X.
KNOWN_VALID = "11010519491231002X"


def test_known_number_is_valid_and_decoded() -> None:
    info = parse_id_number(KNOWN_VALID)
    assert info.birth_date == dt.date(1949, 12, 31)
    assert info.male is False  # sequence 002 is even
    assert info.region_code == "110105"


@pytest.mark.parametrize(
    ("number", "problem"),
    [
        ("11010519491231002", IdProblem.FORMAT),
        ("1101051949123100ZX", IdProblem.FORMAT),
        ("110105194912310021", IdProblem.CHECK_DIGIT),
        (make_id_number("350102", dt.date(2000, 1, 1), 1)[:10] + "1332" + "0011", IdProblem.CHECK_DIGIT),
    ],
)
def test_invalid_numbers_name_their_problem(number: str, problem: IdProblem) -> None:
    with pytest.raises(InvalidIdNumber) as err:
        parse_id_number(number)
    assert err.value.problem is problem


def test_impossible_birth_date_is_reported() -> None:
    first17 = "35010219990231001"  # 31 February
    with pytest.raises(InvalidIdNumber) as err:
        parse_id_number(first17 + check_character(first17))
    assert err.value.problem is IdProblem.BIRTH_DATE


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2030, 12, 31)), st.integers(0, 999))
def test_made_numbers_round_trip(birth: dt.date, seq: int) -> None:
    number = make_id_number("350102", birth, seq)
    info = parse_id_number(number)
    assert info.birth_date == birth
    assert info.male == (seq % 2 == 1)


@given(st.text(max_size=20))
def test_validation_never_raises_anything_else(text: str) -> None:
    assert is_valid_id_number(text) in (True, False)


def test_single_digit_change_is_caught() -> None:
    number = make_id_number("350102", dt.date(1980, 5, 17), 123)
    for i in range(17):
        d = str((int(number[i]) + 1) % 10)
        changed = number[:i] + d + number[i + 1 :]
        assert not is_valid_id_number(changed) or changed[:17] == number[:17]


def test_age_counts_completed_years() -> None:
    birth = dt.date(2012, 6, 15)
    assert age_on(birth, dt.date(2026, 6, 14)) == 13
    assert age_on(birth, dt.date(2026, 6, 15)) == 14
