"""The texts Linli sends, per language, from data/templates/<language>.toml."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import data
from kit.errors import ConfigError

FALLBACK = "zh"


@lru_cache(maxsize=16)
def _table(language: str) -> dict[str, Any] | None:
    try:
        return data.read_toml("templates", f"{language}.toml")
    except FileNotFoundError:
        return None


def languages() -> list[str]:
    return [name.removesuffix(".toml") for name in data.names_in("templates") if name.endswith(".toml")]


def _lookup(language: str, key: str, section: str | None = None) -> str:
    for code in (language, FALLBACK, "en"):
        table = _table(code)
        if table is None:
            continue
        holder = table.get(section, {}) if section else table
        if key in holder:
            return str(holder[key])
    raise ConfigError("templates.no_text", option=key, lang=language)


def render(key: str, language: str, **values: Any) -> str:
    """The text `key` in `language` (falling back to Chinese, then English) with its placeholders filled."""
    template = _lookup(language, key)
    try:
        return template.format(**values)
    except KeyError as missing:
        raise ConfigError("templates.needs_value", option=key, lang=language, missing=str(missing)) from None


def text(key: str, language: str, section: str | None = None) -> str:
    """The text `key` as written, its {placeholders} unfilled (with `render`'s fallback)."""
    return _lookup(language, key, section)


def keys(language: str, section: str | None = None) -> list[str]:
    """The keys of `language`'s texts (top level, or one [section]), in file order; none for a missing file."""
    table = _table(language) or {}
    holder = table.get(section, {}) if section else table
    return [key for key, value in holder.items() if isinstance(value, str)]


def word(key: str, language: str) -> str:
    """A short word from the [words] table (task kinds, symptoms)."""
    return _lookup(language, key, "words")
