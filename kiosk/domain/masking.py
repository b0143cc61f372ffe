"""Masking of personal data. Every log line, event, heartbeat and receipt uses these."""

from __future__ import annotations

import re

_ID_RE = re.compile(r"(?<![0-9])([1-9][0-9]{5})([0-9]{8})([0-9]{3})([0-9X])(?![0-9X])")
_MOBILE_RE = re.compile(r"(?<![0-9])(1[3-9][0-9])([0-9]{4})([0-9]{4})(?![0-9])")


def mask_id(id_number: str) -> str:
    """3501**********123X: region prefix and the last four kept."""
    if len(id_number) < 8:
        return "*" * len(id_number)
    return id_number[:4] + "*" * (len(id_number) - 8) + id_number[-4:]


def mask_name(name: str) -> str:
    """张* / 欧阳** : only the first character is kept."""
    if not name:
        return ""
    return name[0] + "*" * (len(name) - 1 if len(name) > 1 else 1)


def mask_phone(phone: str) -> str:
    digits = phone.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_card_no(card_no: str) -> str:
    if len(card_no) <= 4:
        return "*" * len(card_no)
    return card_no[:1] + "*" * (len(card_no) - 4) + card_no[-3:]


def mask_account(account_no: str) -> str:
    if len(account_no) <= 8:
        return "*" * len(account_no)
    return account_no[:4] + "*" * (len(account_no) - 8) + account_no[-4:]


def mask_address(address: str) -> str:
    """Keep the first six characters (province/city), hide the rest."""
    return address[:6] + "*" * max(0, min(len(address) - 6, 6))


def scrub(text: str) -> str:
    """Last line of defence for free text: mask anything shaped like an ID or mobile number."""
    text = _ID_RE.sub(lambda m: mask_id(m.group(0)), text)
    return _MOBILE_RE.sub(lambda m: mask_phone(m.group(0)), text)


_TITLES = {"1": "mr", "2": "ms", "男": "mr", "女": "ms", "m": "mr", "f": "ms"}


def spoken_name(name: str, sex: str = "") -> tuple[str, str]:
    """How a name may be spoken aloud: its first character and 先生/女士, never more.

    Returns ``(first character, "mr" | "ms")``; ``("", "")`` means the neutral 您 (sex unknown,
    or no name). ``sex`` is the ID card's code (1 male, 2 female) or 男/女. The voice catalogue
    (kiosk/voice/catalogue.py) further falls back to 您 when the character has no clip.
    """
    first = name.strip()[:1]
    title = _TITLES.get(sex.strip().lower(), "")
    if not first or first == "*" or not title:
        return ("", "")
    return (first, title)
