"""Personal data is never spoken: a name at most as its first character + 先生/女士, and no
clip ever carries an ID number, card number, transaction number, phone or PIN."""

from __future__ import annotations

import string

import pytest

from kiosk.domain.masking import mask_card_no, mask_id, mask_name, mask_phone, spoken_name
from kiosk.domain.services import ServiceId
from kiosk.flows.base import View
from kiosk.strings import LANGUAGES
from kiosk.voice.catalogue import (
    PARAM_POLICY,
    Param,
    catalogue,
    name_stems,
    say,
    spoken_keys,
    spoken_template,
    view_stems,
)

NAME = "张三丰"
ID = "350102199001017639"
CARD = "F35010288"
TXN = "20260101120000-0001-ABC123"
MOBILE = "13812345678"
PERSONAL = {"name": mask_name(NAME), "id": mask_id(ID), "card_no": mask_card_no(CARD), "txn": TXN,
            "mobile": mask_phone(MOBILE), "phone": "0591-87654321", "initial_pin": "246810",
            "address": "福建省福州市鼓楼区五四路1号", "city": "厦门市", "at": "2026-01-01 12:00"}
SECRETS = ("三丰", ID, ID[-4:], CARD, CARD[-3:], TXN, "ABC123", MOBILE, "5678", "87654321", "246810",
           "五四路", "厦门", "12:00")


def _texts(stems: list[str]) -> str:
    clips = catalogue()
    assert all(s in clips for s in stems), [s for s in stems if s not in clips]
    return " ".join(clips[s].text for s in stems)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_spoken_string_carries_personal_data_whatever_its_parameters(lang: str) -> None:
    for key in spoken_keys(lang):
        fields = {f for _l, f, _s, _c in string.Formatter().parse(spoken_template(lang, key)) if f}
        # Only personal values are given: any number, digit or surname clip would be one of them.
        stems = say(lang, key, {**PERSONAL, **{f: PERSONAL.get(f, "") for f in fields}})
        spoken = _texts(stems)
        assert not any(s in spoken for s in SECRETS), (key, spoken)
        assert not [st for st in stems if any(k in st for k in (".surname.", ".num.", ".digit."))], (key, stems)


@pytest.mark.parametrize("message", ["prompt.confirm_loss", "prompt.choose_card", "prompt.confirm_activate",
                                     "prompt.confirm_loss_cancel", "prompt.issued", "prompt.pin_offer",
                                     "prompt.consent_stop_other", "prompt.activated"])
def test_views_with_names_ids_and_numbers_speak_none_of_them(message: str) -> None:
    for lang in LANGUAGES:
        for sex, title in (("1", "mr"), ("2", "ms"), ("", "")):
            view = View(service=ServiceId.LOSS_REPORT, screen="s", step=1, total=3,
                        title="service.loss_report", message=message, params={**PERSONAL, "sex": sex})
            stems = view_stems(view, lang, title=True)
            spoken = _texts(stems)
            assert not any(s in spoken for s in SECRETS), (message, lang, spoken)
            names = [s for s in stems if ".surname." in s]
            if "{name}" in spoken_template(lang, message) and title:
                assert len(names) == 1
                i = stems.index(names[0])
                pair = stems[i:i + 2] if lang == "zh" else stems[i - 1:i + 1]
                assert sorted(pair) == sorted([names[0], f"{lang}.voice.{title}"])
                assert catalogue()[names[0]].text == ("张" if lang == "zh" else "Zhang")
            else:
                assert names == []


def test_a_name_is_its_first_character_and_a_title_at_most() -> None:
    assert spoken_name("张三丰", "1") == ("张", "mr") and spoken_name("欧阳娜娜", "2") == ("欧", "ms")
    assert spoken_name("张*", "") == ("", "") and spoken_name("", "1") == ("", "")
    assert spoken_name("**", "2") == ("", "")
    assert name_stems("zh", "张*", "2") == ["zh.surname.u5f20", "zh.voice.ms"]
    assert name_stems("en", "张*", "1") == ["en.voice.mr", "en.surname.zhang"]
    assert name_stems("en", "章*", "1") == ["en.voice.mr", "en.surname.zhang"]  # same sound, one clip
    assert name_stems("zh", "张*", "") == ["zh.voice.you"]
    assert name_stems("zh", "\u4dae*", "1") == ["zh.voice.you"]  # 䶮: no clip for a rare character
    assert name_stems("en", "张*", "") == []  # English has no neutral word: nothing


def test_only_the_policy_table_lets_a_parameter_be_spoken() -> None:
    assert PARAM_POLICY["name"][0] is Param.NAME and PARAM_POLICY["hotline"][0] is Param.DIGITS
    for personal in ("id", "card_no", "txn", "mobile", "phone", "initial_pin", "address", "city", "at", "outlet"):
        assert personal not in PARAM_POLICY
    assert say("zh", "oos.hotline", {"hotline": "12333"}) == [
        "zh.oos.hotline.0", "zh.digit.1", "zh.digit.2", "zh.digit.3", "zh.digit.3", "zh.digit.3"]
    assert say("en", "prompt.timeline", {"status": "produced"}) == ["en.prompt.timeline.0", "en.app_status.produced"]
    assert say("en", "prompt.timeline", {"status": "../secret"}) == ["en.prompt.timeline.0"]
