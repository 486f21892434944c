"""The words operators read (the UI's labels, the CLI's lines), per language, from data/ui/<language>.toml.

A file's tables give the keys their first part: `[nav]` then `today = "今日"` is the key "nav.today". Every
language has the same keys and placeholders (a test checks), so a translator adds a language by copying a file,
without reading code.

Decisions: the words live in kit, beside the SMS templates, so the TUI, the CLI and the alerts the kit writes all
read one table; a missing key shows itself rather than failing, so a gap in a translation is visible, not fatal.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import data

FALLBACK = "zh"


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, str]:
    words: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            words.update(_flatten(value, f"{name}."))
        else:
            words[name] = str(value)
    return words


@lru_cache(maxsize=8)
def table(language: str) -> dict[str, str]:
    """Every key of `language` with its text; empty for a language Linli has no file for."""
    try:
        return _flatten(data.read_toml("ui", f"{language}.toml"))
    except FileNotFoundError:
        return {}


def languages() -> tuple[str, ...]:
    return tuple(sorted(name.removesuffix(".toml") for name in data.names_in("ui") if name.endswith(".toml")))


def base_language(code: str | None) -> str:
    """ "zh-CN" -> "zh"; a language without a file falls back to Chinese."""
    base = (code or "").split("-")[0].split("_")[0].lower()
    return base if base in languages() else FALLBACK


def has(key: str) -> bool:
    return key in table(FALLBACK)


def text(language: str, key: str, **values: object) -> str:
    """The words for `key` in `language` with its placeholders filled; an unknown key shows itself."""
    words = table(language).get(key)
    if words is None:
        words = table(FALLBACK).get(key)
    if words is None:
        return key.format(**values) if values else key
    return words.format(**values) if values else words
