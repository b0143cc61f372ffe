"""GB 11643-1999 resident ID numbers, as the central validates them (the central is its own system)."""

from __future__ import annotations

import datetime as dt

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"  # ISO 7064 MOD 11-2, indexed by the weighted sum mod 11


def check_character(first17: str) -> str:
    return _CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def make_id_number(region: str, birth: dt.date, sequence: str) -> str:
    """region (6 digits) + YYYYMMDD + 3-digit sequence (odd = male) + check character."""
    first17 = f"{region}{birth:%Y%m%d}{sequence}"
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("region must be 6 digits and sequence 3 digits")
    return first17 + check_character(first17)


def birth_date_of(id_number: str) -> dt.date | None:
    """The birth date an ID number encodes, or None when the number is not a valid one."""
    if len(id_number) != 18 or not id_number[:17].isdigit() or id_number[17] not in "0123456789X":
        return None
    if check_character(id_number[:17]) != id_number[17]:
        return None
    try:
        return dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return None


def age_on(birth: dt.date, today: dt.date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def mask(id_number: str) -> str:
    """For logs: 3501**********0012."""
    return id_number[:4] + "*" * max(0, len(id_number) - 8) + id_number[-4:] if len(id_number) > 8 else "****"
