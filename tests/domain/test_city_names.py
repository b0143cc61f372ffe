"""A card's region code is shown as its city's name (issue 19: the loss report's summary showed
"350100 A*****002"): one table (kiosk.domain.regions), named in the citizen's language wherever a
string takes a ``{city}`` parameter (kiosk.strings)."""

from __future__ import annotations

from kiosk.domain.regions import CITIES, CITIES_EN, city_name
from kiosk.strings import t


def test_every_city_has_its_name_in_both_languages() -> None:
    assert set(CITIES_EN) == set(CITIES)
    assert city_name("350100") == "福州市" and city_name("350100", "en") == "Fuzhou"
    assert city_name("350200", "zh") == "厦门市" and city_name("350200", "en") == "Xiamen"


def test_a_code_not_in_the_table_is_shown_as_given() -> None:
    assert city_name("110100") == "110100" and city_name("110100", "en") == "110100"


def test_the_summary_row_names_the_city_in_the_citizens_language() -> None:
    assert t("zh", "check.card_in_city", city="350100", card_no="A*****002") == "福州市 A*****002"
    assert t("en", "check.card_in_city", city="350100", card_no="A*****002") == "Fuzhou A*****002"
