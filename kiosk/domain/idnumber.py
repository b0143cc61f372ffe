"""Resident ID numbers (GB 11643-1999): check character, birth date, sex, age."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"  # ISO 7064 MOD 11-2, indexed by the weighted sum mod 11


class IdProblem(StrEnum):
    FORMAT = "id_format"
    CHECK_DIGIT = "id_check_digit"
    BIRTH_DATE = "id_birth_date"


@dataclass(frozen=True)
class IdNumberInfo:
    birth_date: dt.date
    male: bool
    region_code: str


class InvalidIdNumber(ValueError):
    def __init__(self, problem: IdProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def check_character(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def parse_id_number(id_number: str) -> IdNumberInfo:
    """Validate an 18-character ID number and return what it encodes."""
    if len(id_number) != 18 or not id_number[:17].isdigit() or id_number[17] not in "0123456789X":
        raise InvalidIdNumber(IdProblem.FORMAT)
    if check_character(id_number[:17]) != id_number[17]:
        raise InvalidIdNumber(IdProblem.CHECK_DIGIT)
    try:
        birth = dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        raise InvalidIdNumber(IdProblem.BIRTH_DATE) from None
    if birth.year < 1900:
        raise InvalidIdNumber(IdProblem.BIRTH_DATE)
    return IdNumberInfo(birth_date=birth, male=int(id_number[16]) % 2 == 1, region_code=id_number[:6])


def is_valid_id_number(id_number: str) -> bool:
    try:
        parse_id_number(id_number)
    except InvalidIdNumber:
        return False
    return True


def age_on(birth_date: dt.date, today: dt.date) -> int:
    """Completed years of age on ``today``."""
    years = today.year - birth_date.year
    if (today.month, today.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def make_id_number(region: str, birth_date: dt.date, sequence: int) -> str:
    """Build a valid ID number (for simulators and test fixtures)."""
    first17 = f"{region}{birth_date:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)
