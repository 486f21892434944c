"""Volunteers' skills: the canonical four, the ways people write them, and the needs each one suits
(data/skills.toml)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import data
from kit.errors import ValidationError
from kit.vocabulary import fold

_LIST_SEPARATORS = re.compile(r"[,;，；、/|]+")
SKILLS = ("errands", "medical", "counselling", "driving")


@lru_cache(maxsize=1)
def skill_tables() -> dict[str, dict[str, str]]:
    """data/skills.toml as lookups: "words" (a way of writing a skill -> the skill) and "needs" (a word in a need ->
    the skill it asks for)."""
    raw = data.read_toml("skills.toml")
    return {table: {fold(word): skill for skill, words in raw[table].items() for word in words} for table in raw}


def words_in(text: str, words: Iterable[str]) -> list[str]:
    """The `words` (folded) found in `text`: Latin ones as whole words, others anywhere; in the order of `words`."""
    folded = fold(text)
    return [
        word
        for word in words
        if (re.search(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])", folded) if word.isascii() else word in folded)
    ]


def parse_skills(raw: str | Iterable[str] | None) -> list[str]:
    pieces = _LIST_SEPARATORS.split(raw) if isinstance(raw, str) else list(raw or [])
    skills: list[str] = []
    for piece in pieces:
        word = fold(piece)
        if not word:
            continue
        skill = skill_tables()["words"].get(word, word)
        if skill not in SKILLS:
            raise ValidationError("skills.not_a_skill", skill=piece.strip(), skills=", ".join(SKILLS), field="skills")
        if skill not in skills:
            skills.append(skill)
    return skills


def skills_mentioned(text: str) -> list[str]:
    """The skills a free text names ("JOIN volunteer grid 3 errands", "报名 志愿者 跑腿 开车"), in SKILLS order."""
    lookup = {skill: skill for skill in SKILLS} | skill_tables()["words"]
    found = {lookup[word] for word in words_in(text, lookup)}
    return [skill for skill in SKILLS if skill in found]


def skill_for_need(need: str) -> str | None:
    """The skill a need asks for ("买药" -> medical, data/skills.toml [needs]); None when it names none."""
    needs = skill_tables()["needs"]
    found = words_in(need, needs)
    return needs[found[0]] if found else None
