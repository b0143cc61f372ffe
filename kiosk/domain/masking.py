"""Masking of personal data for receipts, screens and speech (the rules themselves: hal/pii.py)."""

from __future__ import annotations

from hal.pii import mask_account, mask_card_no, mask_id, mask_name, mask_phone, scrub

__all__ = ["mask_account", "mask_address", "mask_card_no", "mask_id", "mask_name", "mask_phone", "scrub",
           "spoken_name"]  # the ID/name/phone/card rules and ``scrub`` live in hal/pii.py, the one rule set


def mask_address(address: str) -> str:
    """Keep the first six characters (province/city), hide the rest."""
    return address[:6] + "*" * max(0, min(len(address) - 6, 6))


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
