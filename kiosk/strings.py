"""String tables: one JSON file per language in assets/strings/.

The screens show them and the voice prompts are rendered from them, so both read this one
module and never drift apart.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from kiosk.domain.device_layout import DEVICES, PARAM_PREFIX, WORDS_PREFIX
from kiosk.domain.regions import city_name

STRINGS_DIR = Path(__file__).resolve().parent.parent / "assets" / "strings"
LANGUAGES = ("zh", "en")


@cache
def table(lang: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((STRINGS_DIR / f"{lang}.json").read_text(encoding="utf-8"))
    return data


def template(lang: str, key: str) -> str:
    """The unformatted text for ``key``: this language, else Chinese, else the key itself."""
    text = table(lang).get(key)
    if text is None:
        text = table("zh").get(key, key)
    return text


# Parameters whose value is a code with a string of its own (an application's status, a device's
# place from the [layout] config): shown as that string, never as the raw code (the voice speaks
# the same strings, kiosk.voice.catalogue).
LABELLED_PARAMS = {"status": "app_status.", **{PARAM_PREFIX + d: WORDS_PREFIX for d in DEVICES}}


def label_param(lang: str, name: str, value: object) -> object:
    """A labelled parameter's text in ``lang``; other values, and codes without a string, as given."""
    if name == "city" and isinstance(value, str):  # a card's region code: the city's name
        return city_name(value, lang)
    prefix = LABELLED_PARAMS.get(name)
    if prefix is None or not isinstance(value, str) or prefix + value not in table("zh"):
        return value
    return template(lang, prefix + value)


def t(lang: str, key: str, **params: object) -> str:
    """The string for ``key``; a missing key shows the key itself (and a test fails on it)."""
    text = template(lang, key)
    try:
        return text.format(**{k: label_param(lang, k, v) for k, v in params.items()})
    except (KeyError, IndexError):
        return text
