"""Body temperatures in a reply, as residents write them: "38.5", "38度5", "三十八度五", "38度半", "101F", "385".

Decisions
- Each number looks only at its neighbourhood (the space around it, then at most a phrase's length), never at the
  whole text before or after it, so a reply of thousands of numbers is read in linear time (`sms.parser`).
- What tells a temperature from a room number or an age is the keyword tables' `labels` ("room", "房") and `counters`
  ("岁", "masks"), given by the parser (`Neighbourhood`).
"""

from __future__ import annotations

import re
from typing import Protocol

from kit.health import CELSIUS_RANGE, FAHRENHEIT_RANGE

_CHINESE_DIGITS = {char: value for value, char in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}


class Neighbourhood(Protocol):
    """The words around a number that say it is not a temperature."""

    @property
    def labels(self) -> re.Pattern[str]: ...  # before a number: "room 101"
    @property
    def counters(self) -> re.Pattern[str]: ...  # after a number: "95岁", "100 masks"
    @property
    def reach(self) -> int: ...  # the longest label or counter: how far a number's neighbourhood goes


_TENS = re.compile("([一二三四五六七八九])?十([一二三四五六七八九])?")
_NUMBER = re.compile(r"(?<![0-9.#:/\-])([0-9]{2,3}(?:\.[0-9]{1,2})?)(?![0-9]|\.[0-9])")
_UNIT = re.compile(
    r"\s*(?:(?P<c>°\s*c|摄氏度|celsius|deg(?:ree)?s?\s*c(?![a-z])|c(?![a-z]))"
    r"|(?P<f>°\s*f|华氏度|fahrenheit|deg(?:ree)?s?\s*f(?![a-z])|f(?![a-z]))"
    r"|(?P<any>度|°|deg(?:ree)?s?(?![a-z])))"
)
_MISSING_POINT = re.compile(r"^\W*([0-9]{3})\s*(?:度|°\s*c?|c)?\W*$")


def arabic_numerals(text: str) -> str:
    """Temperatures written out made plain: 三十八度五 → 38.5度, 38度半 → 38.5度, 38,5 → 38.5."""

    def tens(found: re.Match[str]) -> str:
        high, low = found.group(1), found.group(2)
        return str(10 * (_CHINESE_DIGITS[high] if high else 1) + (_CHINESE_DIGITS[low] if low else 0))

    text = _TENS.sub(tens, text)
    text = re.sub(r"([0-9])(度|点)([零〇一二三四五六七八九])", lambda m: m[1] + m[2] + str(_CHINESE_DIGITS[m[3]]), text)
    text = re.sub(r"(?<![0-9.])([0-9]{2,3})度半", r"\1.5度", text)
    text = re.sub(r"(?<![0-9.])([0-9]{2,3})度([0-9])(?![0-9])", r"\1.\2度", text)
    text = re.sub(r"(?<![0-9.])([0-9]{2,3})点([0-9])(?![0-9])", r"\1.\2", text)
    return re.sub(r"(?<![0-9.])([0-9]{2,3})[,，。、·]([0-9])(?![0-9])", r"\1.\2", text)


def temperature_in(text: str, words: Neighbourhood) -> float | None:
    """The highest plausible body temperature in the reply, in °C, or None.

    Each number looks only at its neighbourhood (the space around it, then at most a phrase's length), never at the
    whole text before or after it, so a reply of thousands of numbers is read in linear time."""
    readings = []
    for found in _NUMBER.finditer(text):
        unit = _UNIT.match(text, found.end())
        scale = unit.lastgroup if unit else None
        before = _space_before(text, found.start())
        if text.endswith("华氏", 0, before):
            scale = "f"
        elif text.endswith("摄氏", 0, before):
            scale = "c"
        number = found.group(1)
        # "room 101", not "I am 38.5"; the label may be followed by any run of spaces, '#', ':' and '.'.
        label_end = _skip_back(text, before, " #:.")
        labelled = "." not in number and words.labels.search(text, max(0, label_end - words.reach), before)
        if scale is None and (labelled or _counted(text, found.end(), words)):
            continue  # "95岁", "100 masks"
        celsius = _as_celsius(float(number), scale)
        if celsius is not None:
            readings.append(celsius)
    if not readings and (alone := _MISSING_POINT.match(text)):
        # A three-digit number alone is a temperature typed without its point: "385" is 38.5.
        celsius = _as_celsius(int(alone.group(1)) / 10, "c")
        readings += [celsius] if celsius is not None else []
    return round(max(readings), 1) if readings else None


def _space_before(text: str, end: int) -> int:
    """Where the run of spaces that ends at `end` starts."""
    while end > 0 and text[end - 1].isspace():
        end -= 1
    return end


def _skip_back(text: str, end: int, chars: str) -> int:
    """Where the run of spaces and `chars` that ends at `end` starts."""
    while end > 0 and (text[end - 1].isspace() or text[end - 1] in chars):
        end -= 1
    return end


def _counted(text: str, end: int, words: Neighbourhood) -> bool:
    """Whether a counter ("岁", "masks") follows the number that ends at `end`, after any spaces."""
    start = end
    while start < len(text) and text[start].isspace():
        start += 1
    return words.counters.match(text[start : start + words.reach + 1]) is not None


def _as_celsius(value: float, scale: str | None) -> float | None:
    if scale != "f" and CELSIUS_RANGE[0] <= value <= CELSIUS_RANGE[1]:
        return value
    if scale != "c" and FAHRENHEIT_RANGE[0] <= value <= FAHRENHEIT_RANGE[1]:
        return (value - 32) * 5 / 9
    return None
