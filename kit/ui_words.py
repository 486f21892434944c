"""The words operators read (the UI's labels, the CLI's lines, the kit's errors), per language, from data/ui.

A language's words are `data/ui/<language>.toml` and every file in `data/ui/<language>/` (the errors, the CLI's
lines), read as one table. A file's tables give the keys their first part: `[nav]` then `today = "今日"` is the key
"nav.today". Every language has the same keys and placeholders (a test checks), so a translator adds a language by
copying the files, without reading code.

The reader's language is one per process: the community's first language, set by whoever opens the community (the
CLI, the terminal UI) with `use_language`; `say` and the kit's errors (`kit.errors`) speak it.

Decisions: the words live in kit, beside the SMS templates, so the TUI, the CLI and the alerts the kit writes all
read one table; a missing key shows itself rather than failing, so a gap in a translation is visible, not fatal.
"""

from __future__ import annotations

from collections.abc import Callable
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
    """Every key of `language` with its text; empty for a language Linli has no file for. A key given by two of
    the language's files is a mistake in the data, refused here (a test reads every language)."""
    try:
        words = _flatten(data.read_toml("ui", f"{language}.toml"))
    except FileNotFoundError:
        return {}
    folder = data.resource("ui", language)
    for name in data.names_in("ui", language) if folder.is_dir() else []:
        more = _flatten(data.read_toml("ui", language, name))
        twice = words.keys() & more.keys()
        if twice:
            raise ValueError(f"data/ui/{language}/{name} repeats {sorted(twice)[0]}")
        words.update(more)
    return words


def languages() -> tuple[str, ...]:
    return tuple(sorted(name.removesuffix(".toml") for name in data.names_in("ui") if name.endswith(".toml")))


def base_language(code: str | None) -> str:
    """ "zh-CN" -> "zh"; a language without a file falls back to Chinese."""
    base = (code or "").split("-")[0].split("_")[0].lower()
    return base if base in languages() else FALLBACK


_current = FALLBACK


def use_language(code: str | None) -> str:
    """Speak `code` ("zh", "en", "zh-CN", ...) from now on in this process; a language without words falls back."""
    global _current
    _current = base_language(code)
    return _current


def current() -> str:
    """The reader's language: the community's, once it is opened."""
    return _current


def say(key: str, **values: object) -> str:
    """The words for `key` in the reader's language (`current()`)."""
    return text(_current, key, **values)


def say_count(key: str, count: int, **values: object) -> str:
    """`say` for a line about `count` things: the key's `one` words for 1 and its `other` words for any other count
    ("1 resident" / "3 residents"; Chinese has the same words in both), with `count` among the values."""
    return text_count(_current, key, count, **values)


def text_count(language: str, key: str, count: int, **values: object) -> str:
    """`say_count` in `language` (a command's --lang)."""
    form = "one" if count == 1 else "other"
    return text(language, f"{key}.{form}", count=count, **values)


def later(key: str, **values: object) -> Callable[[str], str]:
    """The words for `key` in whichever language they are read in: a value of an error (kit.errors) that itself needs
    words, `channel=later("channel.sms")`."""
    return lambda language: text(language, key, **values)


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
