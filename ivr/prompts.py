"""What a call says, per language: `data/voice/<language>.toml`.

Each file names the speech language code its voice needs (`zh-CN`, `en-US`), optionally a voice, every prompt,
and the words for kinds of help. A community adds a language by adding a file; no code changes. Prompts take
the values a Step gives them (`{temperature}`) and the facts about the call (`{name}`, `{community}`, `{notice}`).
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import data
from ivr.flows import Step

FALLBACKS = ("zh", "en")  # a language without a voice table is spoken in the first of these that exists
PLACEHOLDERS = frozenset({"name", "community", "notice", "temperature"})
_BEFORE_PUNCTUATION = re.compile(r" ([.,!?;:])")


class VoiceTableError(ValueError):
    """A voice table that cannot be used: no speech language, a missing table, an unknown placeholder."""


@dataclass(frozen=True)
class VoiceTable:
    code: str  # the residents' language code: "zh"
    speech_language: str  # the code for <Say>: "zh-CN"
    voice: str  # "" for the provider's default voice for the language
    prompts: Mapping[str, str]
    needs: Mapping[str, str]


@dataclass(frozen=True)
class Speech:
    """A Step's prompts as sentences, ready for <Say> or the simulator's transcript."""

    language: str  # speech language code
    voice: str
    lines: tuple[str, ...]


def languages() -> list[str]:
    """The languages that have a voice table."""
    return [name.removesuffix(".toml") for name in data.names_in("voice") if name.endswith(".toml")]


@lru_cache(maxsize=16)
def _load(code: str) -> VoiceTable | None:
    try:
        raw = data.read_toml("voice", f"{code}.toml")
    except FileNotFoundError:
        return None
    return parse_table(code, raw)


def parse_table(code: str, raw: Mapping[str, Any]) -> VoiceTable:
    """A voice table from parsed TOML; VoiceTableError says what is wrong with it."""
    speech_language = raw.get("language")
    if not isinstance(speech_language, str) or not speech_language:
        raise VoiceTableError(f'data/voice/{code}.toml needs language = the speech code, e.g. "zh-CN".')
    voice = raw.get("voice", "")
    prompts = raw.get("prompts")
    needs = raw.get("needs")
    if not isinstance(voice, str) or not isinstance(prompts, dict) or not isinstance(needs, dict):
        raise VoiceTableError(f"data/voice/{code}.toml needs a voice text and [prompts] and [needs] tables.")
    for key, text in {**prompts, **needs}.items():
        if not isinstance(text, str):
            raise VoiceTableError(f"data/voice/{code}.toml: {key} must be text.")
        unknown = placeholders(text) - PLACEHOLDERS
        if unknown:
            raise VoiceTableError(f"data/voice/{code}.toml: {key} uses unknown {{{', '.join(sorted(unknown))}}}.")
    return VoiceTable(code, speech_language, voice, dict(prompts), dict(needs))


def placeholders(text: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as error:  # a lone brace
        raise VoiceTableError(f"{text!r}: {error}") from None


def table(language: str) -> VoiceTable:
    """The voice table for `language`, or for the first fallback language that has one."""
    for code in (language, *FALLBACKS):
        found = _load(code)
        if found is not None:
            return found
    raise VoiceTableError("data/voice has no voice table at all.")


def speak(step: Step, facts: Mapping[str, str] | None = None) -> Speech:
    """The sentences of `step` in its language, with the call's facts (name, community, notice) filled in."""
    voice = table(step.language)
    known = dict.fromkeys(PLACEHOLDERS, "") | dict(facts or {})
    lines = []
    for item in step.say:
        text = voice.prompts.get(item.key)
        if text is None:
            text = table(FALLBACKS[0]).prompts[item.key]
        lines.append(_tidy(text.format(**(known | dict(item.values)))))
    return Speech(voice.speech_language, voice.voice, tuple(line for line in lines if line))


def _tidy(text: str) -> str:
    """One space between words and none before punctuation: a fact left empty ("Hello {name}.") leaves no gap."""
    return _BEFORE_PUNCTUATION.sub(r"\1", " ".join(text.split()))


def need_word(need: str, language: str) -> str:
    """A kind of help ("medicine") in `language`, for the volunteer's task; other text is returned as it is."""
    return table(language).needs.get(need, need)
