"""The interface's words in the community's language (from data/ui/<language>.toml, through kit.ui_words).

`t("residents.title")` returns the text in the current language; `{name}` placeholders are filled from keyword
arguments. The language is set once, when the app starts (`set_language`), from the community's settings.
Words from the kit's fixed vocabularies (statuses, monitoring categories, task states, intents) have helpers, so
that a status always shows as a word (GREEN / 绿) and never as a colour alone.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from kit import ui_words

if TYPE_CHECKING:
    from textual.dom import DOMNode


def set_language(code: str) -> str:
    """Use `code` ("zh", "en", "zh-CN", ...) for the interface and the kit's errors it shows; a language without
    words falls back to Chinese."""
    return ui_words.use_language(code)


def language() -> str:
    return ui_words.current()


def t(key: str, **values: object) -> str:
    """The text for `key` in the current language; an unknown key shows itself (so a gap is visible, not fatal)."""
    return ui_words.say(key, **values)


def has(key: str) -> bool:
    return ui_words.has(key)


def word(prefix: str, value: str | None) -> str:
    """A vocabulary value as people read it: word("status", "red") -> "红" / "RED"; unknown values as they are."""
    if not value:
        return ""
    key = f"{prefix}.{value}"
    return t(key) if has(key) else value


def translate_bindings(node: DOMNode) -> None:
    """Give `node`'s key bindings their descriptions in the current language: Linli's descriptions are i18n keys, and
    Textual's own (in English, e.g. "Focus Next") have theirs in the [textual] table."""
    bindings = node._bindings  # the node's own copy of its class bindings
    for key, key_bindings in bindings.key_to_bindings.items():
        bindings.key_to_bindings[key] = [
            dataclasses.replace(binding, description=_words_for(binding.description)) for binding in key_bindings
        ]


def _words_for(description: str) -> str:
    if has(description):
        return t(description)
    textual = f"textual.{description}"
    return t(textual) if has(textual) else description
