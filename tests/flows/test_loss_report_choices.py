"""A citizen with several cards chooses the one to report lost: each choice names the card's city
in the citizen's language and its masked number (it showed 福州市 in the English UI too, because a
choice's label was fixed text)."""

from __future__ import annotations

from kiosk.central.models import Card
from kiosk.domain.services import ServiceId
from kiosk.flows.base import View
from kiosk.flows.loss_report import card_choices
from kiosk.strings import t


def test_each_card_choice_shows_its_city_in_the_citizens_language_and_a_masked_number() -> None:
    cards = [Card(card_no="A12345002", city="350100", status="normal"),
             Card(card_no="B98765431", city="350200", status="normal")]
    choices, labels = card_choices(cards)
    view = View(service=ServiceId.LOSS_REPORT, screen="choose_card", step=2, total=3,
                title="service.loss_report", message="prompt.choose_card", params=labels, choices=choices)
    shown = {lang: [t(lang, label, **view.choice_params(value)) for value, label in view.choices]
             for lang in ("zh", "en")}
    assert [v for v, _ in view.choices] == ["A12345002", "B98765431"]  # what the citizen's tap sends back
    assert shown["zh"][0].startswith("福州市 ") and shown["zh"][1].startswith("厦门市 ")
    assert shown["en"][0].startswith("Fuzhou ") and shown["en"][1].startswith("Xiamen ")
    for text in shown["zh"] + shown["en"]:
        assert "*" in text and "12345" not in text and "98765" not in text and "3501" not in text
    # the params carry masked numbers only, in values and in their names
    assert all("12345" not in p and "98765" not in p for item in labels.items() for p in item)
