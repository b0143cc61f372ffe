"""Validation of the non-key contact fields (art. 30): mobile, fixed phone, postal code."""

from __future__ import annotations

import re

MOBILE = re.compile(r"^1[3-9]\d{9}$")  # 11 digits, mainland mobile prefixes
PHONE = re.compile(r"^0\d{2,3}-?\d{7,8}$")  # area code + number, e.g. 0591-87654321
POSTAL_CODE = re.compile(r"^\d{6}$")


def mobile_ok(value: str) -> bool:
    return bool(MOBILE.match(value))


def phone_ok(value: str) -> bool:
    return bool(PHONE.match(value))


def postal_code_ok(value: str) -> bool:
    return bool(POSTAL_CODE.match(value))
