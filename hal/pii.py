"""The one rule set for personal data in free text: how each kind is masked and how it is found.

Every sink that can carry text out of the citizen's session calls ``scrub`` / ``scrub_json``:
log lines (kiosk/logs.py), kiosk events (kiosk/alarms.py and the uploader's queue body),
the heartbeat body, the queue's stored error texts (offline_queue/store.py), the audit log.
Callers must not pass personal data in the first place; this is the last line of defence.

It lives in hal/, the lowest layer (standard library only), because both the kiosk and the
offline queue need it and offline_queue must not import kiosk; hal's ID-card drivers handle
the same numbers. kiosk/domain/masking.py re-exports the maskers for receipts and screens.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

# 18-digit resident ID (check digit 0-9 or X, either case) and the 15-digit legacy form.
ID_NUMBER = re.compile(r"(?<![0-9])[1-9][0-9]{16}[0-9Xx](?![0-9Xx])|(?<![0-9])[1-9][0-9]{14}(?![0-9Xx])")
# Mainland mobiles, 11 digits from 13x-19x, optionally +86 and spaced or dashed (138 1234 5678).
MOBILE = re.compile(r"(?<![0-9])(?:\+?86[- ]?)?1[3-9][0-9](?:[- ]?[0-9]{4}){2}(?![0-9])")
# Social security card numbers (a letter and 8 digits: A10000002) and bank card/account numbers.
CARD_NUMBER = re.compile(r"(?<![0-9A-Za-z])[A-Z][0-9]{8}(?![0-9])")
ACCOUNT_NUMBER = re.compile(r"(?<![0-9])[0-9]{16,19}(?![0-9])")
# A name is found only where it is tagged: name=张三, "name": "张三", 姓名：张三, guardian_name=…
NAME_KEYS = ("name", "full_name", "citizen_name", "holder_name", "applicant_name", "guardian_name", "姓名")
_NAME_TAG = re.compile(
    r"(?<![A-Za-z0-9_])(" + "|".join(re.escape(k) for k in NAME_KEYS) + r")"
    r"(\s*[\"']?\s*[:=：]\s*[\"']?)([^\s\"',;:，。；、}\])]+)", re.IGNORECASE)


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
    """138****5678 (a +86 prefix or separators are hidden with the middle digits)."""
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


# Order matters: the ID goes first (an 18-digit ID is also 16-19 digits long).
_RULES: tuple[tuple[re.Pattern[str], Callable[[str], str]], ...] = (
    (ID_NUMBER, mask_id),
    (ACCOUNT_NUMBER, mask_account),
    (MOBILE, lambda m: mask_phone(m.replace(" ", "").replace("-", ""))),
    (CARD_NUMBER, mask_card_no),
)


# A one-time SMS code (art. 16 mobile verification) is found where it is tagged: code=123456, "otp": "123456",
# 验证码 123456. Codes are never logged in the first place (kiosk/flows/otp.py); this is the backstop.
OTP_KEYS = ("code", "otp", "otp_code", "sms_code", "verification_code", "验证码")
_OTP_TAG = re.compile(
    r"(?<![A-Za-z0-9_])(" + "|".join(re.escape(k) for k in OTP_KEYS) + r")"
    r"(\s*[\"']?\s*[:=：]?\s*[\"']?\s*)([0-9]{6})(?![0-9])", re.IGNORECASE)


def _masking(mask: Callable[[str], str]) -> Callable[[re.Match[str]], str]:
    return lambda m: mask(m.group(0))


def scrub(text: str) -> str:
    """Mask every ID number, mobile, card or account number and tagged name in ``text``."""
    for pattern, mask in _RULES:
        text = pattern.sub(_masking(mask), text)
    text = _OTP_TAG.sub(lambda m: m.group(1) + m.group(2) + "******", text)
    return _NAME_TAG.sub(lambda m: m.group(1) + m.group(2) + mask_name(m.group(3)), text)


def _is_code(value: Any) -> bool:
    return isinstance(value, str | int) and not isinstance(value, bool) and re.fullmatch(r"[0-9]{6}", str(value)) \
        is not None


def scrub_json(value: Any) -> Any:
    """``scrub`` every string in a JSON-like value, keys included; a value under a name key is a name."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, Mapping):
        return {scrub(str(k)) if isinstance(k, str) else k:
                mask_name(v) if isinstance(v, str) and isinstance(k, str) and k.lower() in NAME_KEYS
                else "******" if isinstance(k, str) and k.lower() in OTP_KEYS and _is_code(v)
                else scrub_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_json(v) for v in value]
    return value
