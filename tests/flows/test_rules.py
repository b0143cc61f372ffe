"""The business rules in one place each: PIN rules (art. 32), age bands (arts. 16-17, 51),
other-city card (art. 16), free defect re-issue (art. 33), loss cancel (art. 34), the 20-minute
limit (art. 21), contact validation and the Fujian address table (art. 30)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from hal.types import PinBlock
from kiosk.domain import eligibility as el
from kiosk.domain.contact import mobile_ok, phone_ok, postal_code_ok
from kiosk.domain.pin_rules import INITIAL_PIN, new_pin_problems, same_pin
from kiosk.domain.regions import DISTRICTS, cities_of, districts_of, parse_address


def clear(pin: str) -> PinBlock:
    return PinBlock(encrypted_hex=None, clear_pin=pin, format="sim-clear")


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


@pytest.mark.parametrize("pin,reason", [
    ("888888", "reason.pin_is_initial"), ("111111", "reason.pin_trivial"), ("123456", "reason.pin_trivial"),
    ("654321", "reason.pin_trivial"), ("890123", "reason.pin_trivial"), ("12345", "reason.pin_format"),
    ("12a456", "reason.pin_format"),
])
def test_new_pin_refusals(pin: str, reason: str) -> None:
    assert new_pin_problems(clear(pin)) == (reason,)


def test_acceptable_pins_and_comparison() -> None:
    assert INITIAL_PIN == "888888"
    for pin in ("135790", "258046", "112233"):
        assert new_pin_problems(clear(pin)) == ()
    assert new_pin_problems(PinBlock(encrypted_hex="AB" * 8)) == ()  # the card/HSM judge encrypted PINs
    assert same_pin(clear("135790"), clear("135790")) and not same_pin(clear("135790"), clear("135791"))
    assert same_pin(PinBlock("0A1B"), PinBlock("0A1B")) and not same_pin(PinBlock(None), PinBlock(None))
    assert "135790" not in repr(clear("135790"))


def test_age_bands() -> None:
    assert el.needs_guardian(13) and not el.needs_guardian(14)
    assert not el.photo_required(1) and el.photo_required(2)
    assert el.guardian_problems(17, "G", "C") == ("reason.guardian_not_adult",)
    assert el.guardian_problems(30, "C", "C") == ("reason.guardian_same_person",)
    assert el.guardian_problems(30, "G", "C") == ()


def test_other_city_card_consent_and_transfer() -> None:
    cards = [Card("A1", "350100", "cancelled"), Card("B2", "350200", "normal"), Card("X3", "110100", "normal")]
    other = el.other_city_card(cards)
    assert other is not None and other.card_no == "B2"  # Fujian only; Beijing is not stoppable
    assert el.other_city_card([Card("B2", "350200", "cancelled")]) is None
    assert el.stop_other_card_problems("resident", False, consent=True) == ()
    assert el.stop_other_card_problems("resident", False, consent=False) == ("reason.other_city_card_no_consent",)
    assert el.stop_other_card_problems("employee", True, consent=True) == ("reason.insurance_transfer_pending",)
    assert el.stop_other_card_problems("resident", True, consent=True) == ()  # only employee insurance moves


def test_new_application_lists_every_reason() -> None:
    problems = el.new_application_problems(
        [Card("A1", "350100", "normal"), Card("C5", "350500", "normal")], [App("approved", "new")],
        medical_insurance="employee", transfer_pending=True)
    assert set(problems) == {"reason.has_card_use_replace", "reason.application_in_progress",
                             "reason.insurance_transfer_pending"}


def test_quality_defect_free_within_one_month() -> None:
    collected = dt.date(2026, 1, 31)
    assert el.one_month_after(collected) == dt.date(2026, 2, 28)
    assert el.quality_defect_free(collected, dt.date(2026, 2, 28))
    assert not el.quality_defect_free(collected, dt.date(2026, 3, 1))
    assert not el.quality_defect_free(None, dt.date(2026, 2, 1))
    card = Card("A1", "350100", "normal", "2026-01-31T10:00:00+08:00")
    assert el.replacement_problems("quality_defect", card, [], age=30,
                                   today=dt.date(2026, 3, 2)) == ("reason.quality_defect_period_over",)
    assert el.replacement_problems("quality_defect", card, [], age=30, today=dt.date(2026, 2, 10)) == ()


def test_replacement_rules() -> None:
    card = Card("A1", "350100", "normal")
    assert el.replacement_problems("child_turned_2", card, [], age=1,
                                   today=dt.date(2026, 1, 1)) == ("reason.child_not_yet_2",)
    assert "reason.replacement_in_progress" in el.replacement_problems(
        "damaged", card, [App("account_opened", "replacement")], age=30, today=dt.date(2026, 1, 1))
    assert el.must_report_loss_first("lost", card)
    assert not el.must_report_loss_first("lost", Card("A1", "350100", "loss_reported"))
    assert not el.must_report_loss_first("damaged", card)


def test_loss_cancel_rules() -> None:
    lost = Card("A1", "350100", "loss_reported")
    assert el.loss_cancel_problems(lost, []) == ()
    assert el.loss_cancel_problems(lost, [App("approved", "replacement")]) == ("reason.replacement_in_progress",)
    assert el.loss_cancel_problems(Card("A1", "350100", "normal"), []) == ("reason.card_not_loss_reported",)
    assert el.loss_cancel_problems(None, []) == ("reason.card_not_on_record",)


def test_twenty_minute_limit() -> None:
    assert el.ISSUANCE_LIMIT_S == 1200
    p = el.IssuanceProgress(300, 1200)
    assert not p.overdue and p.params() == {"elapsed_s": "300", "limit_s": "1200", "remaining_min": "15",
                                            "percent": "25"}
    assert el.IssuanceProgress(1201, 1200).overdue


def test_contact_validation() -> None:
    assert mobile_ok("13812345678") and mobile_ok("19912345678")
    assert not mobile_ok("12812345678") and not mobile_ok("1381234567") and not mobile_ok("138123456789")
    assert postal_code_ok("350001") and not postal_code_ok("35001") and not postal_code_ok("35000a")
    assert phone_ok("0591-87654321") and phone_ok("059187654321") and not phone_ok("87654321")


def test_fujian_address_table() -> None:
    assert ("350100", "福州市") in cities_of("350000") and len(cities_of("350000")) == 9
    assert ("350102", "鼓楼区") in districts_of("350100")
    assert all(code[:4] == city[:4] for code, (city, _) in DISTRICTS.items())
    address, reasons = parse_address("350102|示范路1号")
    assert reasons == () and address is not None and address.text() == "福建省福州市鼓楼区示范路1号"
    assert parse_address("350102|x")[1] == ("reason.address_detail",)
    assert parse_address("999999|示范路1号")[1] == ("reason.address_district",)


def test_every_key_the_flows_use_is_in_both_string_tables() -> None:
    import re

    root = Path(__file__).resolve().parents[2]
    sources = [*sorted((root / "kiosk" / "flows").glob("*.py")), root / "kiosk" / "domain" / "eligibility.py",
               root / "kiosk" / "domain" / "pin_rules.py", root / "kiosk" / "domain" / "regions.py"]
    keys: set[str] = set()
    for src in sources:
        found = re.findall(r'"((?:prompt|reason|delivery|replace_reason|app_kind|end)\.[a-z_0-9]+)"',
                           src.read_text(encoding="utf-8"))
        keys |= {k for k in found if not k.endswith("_")}  # "reason.id_" is a prefix test, not a key
    from kiosk.domain.eligibility import REPLACEMENT_REASONS
    from kiosk.flows.common import KNOWN_CENTRAL_REASONS
    from kiosk.photo.messages import MESSAGES

    keys |= {f"replace_reason.{r}" for r in REPLACEMENT_REASONS} | {f"reason.{c}" for c in KNOWN_CENTRAL_REASONS}
    keys |= {f"photo.{c}" for c in MESSAGES} | {"app_kind.new", "app_kind.replacement"}
    keys |= {f"reason.{k}_guardian" for k in ("id_format", "id_check_digit", "id_birth_date", "id_birth_mismatch",
                                               "id_expired", "id_not_yet_valid")}
    assert len(keys) > 150
    for lang in ("zh", "en"):
        table = json.loads((root / "assets" / "strings" / f"{lang}.json").read_text(encoding="utf-8"))
        missing = sorted(k for k in keys if not table.get(k))
        assert not missing, (lang, missing)
