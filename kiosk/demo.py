"""Demo and test scenarios: turn the reference central's seeded citizens into simulated
ID cards and social security cards. Only simulator mode and tests use this module; it
reads the seed through the development plug-in point (kiosk/dev_central.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import cv2

from hal.sim.card_reader import SimChip, chip_for
from hal.types import IdCardData, SsCardData
from kiosk import dev_central


def citizen(key: str, today: dt.date | None = None) -> dict[str, Any]:
    return dev_central.seed_citizen(key, today)


def _date(text: str | None) -> dt.date | None:
    """A seed date; None for none or 长期 (an ID card with no expiry)."""
    return dt.date.fromisoformat(text[:10]) if text and text != "长期" else None


def id_card_for(person: dict[str, Any]) -> IdCardData:
    """The resident ID card the seeded person carries (photo decoded, as a WLT plug-in would)."""
    bmp: bytes | None = None
    if person.get("photo_path"):
        img = cv2.imread(str(person["photo_path"]))
        if img is not None:
            ok, buf = cv2.imencode(".bmp", cv2.resize(img, (102, 126)))
            bmp = buf.tobytes() if ok else None
    valid_from = _date(person["id_valid_from"])
    assert valid_from is not None
    return IdCardData(
        name=person["name"],
        sex_code=person["sex"],
        ethnicity_code=person["ethnicity"],
        birth_date=dt.date.fromisoformat(person["birth_date"]),
        address=person["household_address"],
        id_number=person["id_number"],
        issuer="福州市公安局鼓楼分局",
        valid_from=valid_from,
        valid_until=_date(person.get("id_valid_until")),
        photo_wlt=b"\x00" * 1024,
        photo_bmp=bmp,
    )


def sscard_for(person: dict[str, Any], card: dict[str, Any]) -> SsCardData:
    issued = _date(card.get("issued_at"))
    return SsCardData(
        atr="3B6C00000A0B0C0D0E0F1011121314",
        card_id_code=f"{card['city']}D15600000{card['card_no'][-5:]}"[:16],
        card_type="3",
        spec_version="3.00",
        issue_date=issued,
        expiry_date=issued.replace(year=issued.year + 10) if issued else None,
        card_no=card["card_no"],
        ssn=person["id_number"],
        name=person["name"],
        sex=person["sex"],
        ethnicity=person["ethnicity"],
        birth_place=person["id_number"][:6],
        birth_date=dt.date.fromisoformat(person["birth_date"]),
    )


def chip_of(person: dict[str, Any], card_index: int = 0, pin: str = "888888") -> SimChip:
    return chip_for(sscard_for(person, person["cards"][card_index]), pin=pin)
