"""Numbers and digits as words, for the pre-rendered number clips (no synthesis at run time)."""

from __future__ import annotations

MAX_NUMBER = 120  # seconds, steps, tries, ages, counts: every number a screen says fits
_ZH = "零一二三四五六七八九"
_ZH_DIGITS = "零幺二三四五六七八九"  # 1 is 幺 when a number is read digit by digit (12333)
_EN = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
       "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
_EN_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


def zh_number(n: int) -> str:
    if not 0 <= n < 1000:
        raise ValueError(n)
    if n < 10:
        return _ZH[n]
    if n < 20:
        return "十" + (_ZH[n % 10] if n % 10 else "")
    if n < 100:
        return _ZH[n // 10] + "十" + (_ZH[n % 10] if n % 10 else "")
    rest = n % 100
    if rest == 0:
        return _ZH[n // 100] + "百"
    if rest < 10:
        return _ZH[n // 100] + "百零" + _ZH[rest]
    tail = zh_number(rest)
    return _ZH[n // 100] + "百" + ("一" + tail if rest < 20 else tail)


def en_number(n: int) -> str:
    if not 0 <= n < 1000:
        raise ValueError(n)
    if n < 20:
        return _EN[n]
    if n < 100:
        return _EN_TENS[n // 10] + ("-" + _EN[n % 10] if n % 10 else "")
    rest = n % 100
    return _EN[n // 100] + " hundred" + (" " + en_number(rest) if rest else "")


def number_words(lang: str, n: int) -> str:
    return zh_number(n) if lang == "zh" else en_number(n)


def digit_word(lang: str, d: int) -> str:
    return _ZH_DIGITS[d] if lang == "zh" else _EN[d]
