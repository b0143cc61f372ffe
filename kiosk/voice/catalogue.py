"""What the kiosk says: the one place that decides which strings are spoken and how a
string with parameters becomes a sequence of pre-rendered clips.

Every spoken template (assets/strings/{zh,en}.json, via kiosk.strings) is split at its
``{placeholders}``; each literal piece is one clip per language. A placeholder is spoken
only through the parameter policy below: numbers and digits from number clips, a name as
its first character plus 先生/女士 at most (kiosk.domain.masking.spoken_name), string-key
values as those keys' clips; every other value (ID and card numbers, transaction numbers,
phones, PINs, addresses, free text) is never spoken.

Clip stems (file names without ``.ogg``) name what they hold: ``zh.prompt.take_card``,
``zh.prompt.face_retry.0`` (first piece of a template with placeholders), ``en.num.12``,
``zh.digit.3``, ``zh.surname.u5f20``, ``en.surname.zhang``.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any

from kiosk.domain.device_layout import PARAM_PREFIX
from kiosk.domain.masking import spoken_name
from kiosk.strings import LABELLED_PARAMS, LANGUAGES, table
from kiosk.voice.numbers import MAX_NUMBER, digit_word, number_words
from kiosk.voice.surnames import SOUNDS_LIKE, SURNAMES

# ---- which strings are spoken --------------------------------------------------------------------
# Screen titles (the service), every instruction and message, refusal reasons, end texts,
# out-of-service and idle texts, the camera's instructions, and the values spoken inside them.
SPOKEN_PREFIXES = ("service.", "prompt.", "reason.", "end.", "oos.", "photo.", "idle.", "pin.",
                   "form.enter.", "app_status.", "device.", "where.", "elderly.on", "elderly.off", "voice.")
SPOKEN_KEYS = frozenset({"app.title", "app.subtitle", "receipt.failed", "address.choose_province", "check.title",
                         "timeline.title"})
# voice.* keys that are not prompts of their own: the repeat button's label, and the
# spoken-only rewrites of templates whose hidden values would leave a dangling label
# ("交易号 {txn}"): ``voice.say.<key>`` is what is spoken for ``<key>``.
NOT_SPOKEN_KEYS = frozenset({"voice.repeat"})
OVERRIDE_PREFIX = "voice.say."
# The name's parts (kiosk.domain.masking.spoken_name): 先生 / 女士 / the neutral 您.
TITLE_KEYS = {"mr": "voice.mr", "ms": "voice.ms", "": "voice.you"}


def is_spoken(key: str) -> bool:
    if key in NOT_SPOKEN_KEYS or key.startswith(OVERRIDE_PREFIX):
        return False
    return key in SPOKEN_KEYS or key.startswith(SPOKEN_PREFIXES)


def spoken_keys(lang: str) -> list[str]:
    return sorted(k for k in table(lang) if is_spoken(k))


def spoken_template(lang: str, key: str) -> str:
    """The text spoken for ``key``: its ``voice.say.`` rewrite if it has one, else the screen's text."""
    strings = table(lang)
    return strings.get(OVERRIDE_PREFIX + key, strings.get(key, ""))


# ---- the parameter policy ------------------------------------------------------------------------
class Param(StrEnum):
    NUMBER = "number"  # 0..MAX_NUMBER from the number clips; anything else is dropped
    DIGITS = "digits"  # read digit by digit (hotline 12333)
    NAME = "name"  # first character + 先生/女士 at most
    KEY = "key"  # the value names a string key (prefix + value): that key's clips
    DROP = "drop"  # never spoken


PARAM_POLICY: dict[str, tuple[Param, str]] = {
    **{p: (Param.NUMBER, "") for p in ("seconds", "step", "total", "tries_left", "attempts_left", "count", "age",
                                       "limit", "remaining", "steady", "needed", "page", "pages",
                                       "yuan", "minutes", "valid_min", "code_length")},
    "hotline": (Param.DIGITS, ""),
    "name": (Param.NAME, ""),
    "status": (Param.KEY, "app_status."),
    "devices": (Param.KEY, "device."),
    **{name: (Param.KEY, prefix) for name, prefix in LABELLED_PARAMS.items() if name.startswith(PARAM_PREFIX)},
}
# Everything else (id, card_no, txn, mobile, phone, initial_pin, address, city, at, outlet, code…)
# is dropped: personal or long identifiers are never spoken, unknown parameters neither.


def param_policy(name: str) -> tuple[Param, str]:
    return PARAM_POLICY.get(name, (Param.DROP, ""))


# ---- clips -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Clip:
    stem: str
    lang: str
    text: str  # what the synthesizer reads


_EDGE = " \t\n（()）,，、:：;；·"  # pauses and brackets left at a piece's edges by a removed value


def _speakable(piece: str) -> str:
    text = piece.strip(_EDGE)
    return text if any(ch.isalnum() for ch in text) else ""


@cache
def _pieces(lang: str, key: str) -> tuple[tuple[Clip | None, str | None], ...]:
    """The template as (clip of the literal piece or None, placeholder or None) pairs."""
    tmpl = spoken_template(lang, key)
    parsed = list(string.Formatter().parse(tmpl))
    single = not any(field for _lit, field, _spec, _conv in parsed)
    out: list[tuple[Clip | None, str | None]] = []
    for i, (literal, field, _spec, _conv) in enumerate(parsed):
        text = _speakable(literal)
        stem = f"{lang}.{key}" if single else f"{lang}.{key}.{i}"
        out.append((Clip(stem, lang, text) if text else None, field or None))
    return tuple(out)


def _surname_stem(lang: str, char: str) -> str:
    # English clips are the pinyin, shared by the characters that sound alike (徐/许 → "Xu").
    return f"zh.surname.u{ord(char):04x}" if lang == "zh" else f"{lang}.surname.{SURNAMES[char].lower()}"


@cache
def catalogue() -> dict[str, Clip]:
    """Every clip the kiosk can play, both languages, by stem."""
    clips: dict[str, Clip] = {}
    for lang in LANGUAGES:
        for key in spoken_keys(lang):
            for clip, _field in _pieces(lang, key):
                if clip is not None:
                    clips[clip.stem] = clip
        for n in range(MAX_NUMBER + 1):
            clips[f"{lang}.num.{n}"] = Clip(f"{lang}.num.{n}", lang, number_words(lang, n))
        for d in range(10):
            clips[f"{lang}.digit.{d}"] = Clip(f"{lang}.digit.{d}", lang, digit_word(lang, d))
        for char, pinyin in SURNAMES.items():
            stem = _surname_stem(lang, char)
            clips[stem] = Clip(stem, lang, SOUNDS_LIKE.get(char, char) if lang == "zh" else pinyin)
    return clips


# ---- a string with its parameters → clip stems -------------------------------------------------------
def say(lang: str, key: str, params: Mapping[str, Any] | None = None) -> list[str]:
    """The clip stems that speak ``key`` with ``params``, in order (nothing for unspoken keys)."""
    if not is_spoken(key):
        return []
    params = params or {}
    out: list[str] = []
    for clip, field in _pieces(lang, key):
        if clip is not None:
            out.append(clip.stem)
        if field is not None and field in params:
            out += _param(lang, field, str(params[field]), params)
    return out


def _param(lang: str, field: str, value: str, params: Mapping[str, Any]) -> list[str]:
    kind, prefix = param_policy(field)
    value = value.strip()
    if kind is Param.NUMBER:
        return [f"{lang}.num.{int(value)}"] if value.isdigit() and int(value) <= MAX_NUMBER else []
    if kind is Param.DIGITS:
        return [f"{lang}.digit.{ch}" for ch in value if ch.isdigit()]
    if kind is Param.NAME:
        return name_stems(lang, value, str(params.get("sex", "")))
    if kind is Param.KEY:
        out: list[str] = []
        for part in value.replace("、", ",").replace(";", ",").split(","):
            out += say(lang, prefix + part.strip()) if part.strip() else []
        return out
    return []


def name_stems(lang: str, name: str, sex: str = "") -> list[str]:
    """张先生 / Mr. Zhang; the neutral 您 when the sex or the character's clip is unknown."""
    char, title = spoken_name(name, sex)
    if char not in SURNAMES:
        title = ""
    title_stems = say(lang, TITLE_KEYS[title])
    if not title:
        return title_stems
    surname = _surname_stem(lang, char)
    return [surname, *title_stems] if lang == "zh" else [*title_stems, surname]


def view_stems(view: Any, lang: str, *, title: bool = False) -> list[str]:
    """What a flow view says: (the service's name,) its message, then its reasons."""
    params = dict(view.params)
    out = say(lang, view.title) if title else []
    out += say(lang, view.message, params)
    for reason in view.reasons:
        out += say(lang, reason, params)
    return out


def keys_stems(keys: Sequence[str], lang: str, params: Mapping[str, Any] | None = None) -> list[str]:
    out: list[str] = []
    for key in keys:
        out += say(lang, key, params)
    return out
