"""`linli --help` in the reader's language.

The commands' help is written in English in the code, each with its `Example:` block (tests/cli/test_help.py runs
them); its translations are data, `data/help/<language>/<module>.toml`: per command (its table is the command's
path, `["linli residents add"]`) its `text` without the examples, maybe a `short`, and under `.options` each
option's help by the option's name. Before help is shown, `speak` puts the reader's language on every command of
the tree (the English stays on the side, so switching back is exact); the examples follow, as written. Click's own
words (Usage, Options, Commands, the help option's line) are read from data/ui (`[cli.help]`).

Decisions
- The language is the community's, read from the database file without opening it for Linli (no migration, no
  lock: kit.community.languages_at), since --help is answered before any command runs; a database not made yet
  speaks the reader's default.
- Click measures text in characters and breaks lines only at spaces, while a Chinese character takes two columns
  and Chinese has no spaces: text with wide characters is wrapped here by columns, between any two of them.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import click
from rich.cells import cell_len

import data
from kit import ui_words

EXAMPLE = "Example"  # the line that begins a command's examples, in its English help


@dataclass(frozen=True)
class _English:
    help: str | None
    short_help: str | None
    options: dict[str, str | None]


_ORIGINALS: dict[int, _English] = {}  # id of a command -> its English words


@lru_cache(maxsize=4)
def translations(language: str) -> dict[str, dict[str, Any]]:
    """Every command's words in `language`, by command path; empty for English and for a language without files."""
    if language == "en":
        return {}
    try:
        names = data.names_in("help", language)
    except FileNotFoundError:
        return {}
    words: dict[str, dict[str, Any]] = {}
    for name in names:
        words.update(data.read_toml("help", language, name))
    return words


@lru_cache(maxsize=4)
def setting_docs(language: str) -> dict[str, str]:
    """What each setting does, in `language` (`data/settings/<language>.toml`, by the setting's name); empty for
    English, whose words are the code's (kit.config)."""
    if language == "en":
        return {}
    try:
        return {name: str(doc) for name, doc in data.read_toml("settings", f"{language}.toml").items()}
    except FileNotFoundError:
        return {}


def setting_doc(name: str, english: str, language: str) -> str:
    """`linli config`'s line about the setting `name` in `language`; a [gateways.NAME] table's keys by their name."""
    if name.startswith("gateways.") and name.count(".") >= 2 and language != "en":
        _, gateway, key = name.split(".", 2)
        return ui_words.text(language, "cli.config_cli.gateway_key", gateway=gateway, setting=key)
    return setting_docs(language).get(name, english)


def walk(command: click.Command, path: str = "linli") -> Iterator[tuple[str, click.Command]]:
    """Every command below `command`, itself first, with its path ("linli residents add")."""
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from walk(sub, f"{path} {name}")


def speak(root: click.Command, language: str) -> None:
    """Give every command of the tree its help in `language` (English where there is no translation)."""
    words = translations(language)
    for path, command in walk(root):
        english = _ORIGINALS.setdefault(id(command), _english(command))
        table = words.get(path)
        command.context_class = WordsContext
        if table is None:
            command.help, command.short_help = english.help, english.short_help
            _set_options(command, english.options)
            continue
        text = _joined(str(table["text"]).strip().removesuffix("\b").rstrip())  # the examples bring their \b
        command.help = text + _examples(english.help or "", language)
        command.short_help = str(table.get("short") or _first_sentence(text))
        given = table.get("options", {})
        _set_options(command, {name: given.get(name, help) for name, help in english.options.items()})


def _english(command: click.Command) -> _English:
    options = {p.name: p.help for p in command.params if isinstance(p, click.Option) and p.name is not None}
    return _English(command.help, command.short_help, options)


def _set_options(command: click.Command, helps: dict[str, str | None]) -> None:
    for param in command.params:
        if isinstance(param, click.Option) and param.name in helps:
            param.help = helps[param.name]


def _examples(english: str, language: str) -> str:
    """The English help's `Example:` block, its heading in `language`; '' when it has none."""
    lines = inspect.cleandoc(english).splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip().startswith(EXAMPLE)), None)
    if start is None:
        return ""
    marker = ["\b"] if start > 0 and lines[start - 1].strip() == "\b" else []
    indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
    heading = indent + ui_words.text(language, "cli.help.example")
    return "\n\n" + "\n".join([*marker, heading, *lines[start + 1 :]])


def _joined(text: str) -> str:
    """`text` with the lines of each paragraph Click rewraps joined as Click would, but with no space between two
    lines where either side is a wide character (Chinese has no spaces between words)."""
    paragraphs = []
    for paragraph in text.split("\n\n"):
        lines = paragraph.split("\n")
        if lines[0].strip() == "\b":
            paragraphs.append(paragraph)
            continue
        joined = lines[0]
        for line in lines[1:]:
            line = line.strip()
            wide = _is_wide(joined[-1:]) or _is_wide(line[:1])
            joined += ("" if wide else " ") + line
        paragraphs.append(joined)
    return "\n\n".join(paragraphs)


def _first_sentence(text: str, most: int = 30) -> str:
    """The first clause of a translated help, for the list of commands (Click cuts English at its first full stop)."""
    first = text.strip().split("\n\n")[0].replace("\n", "")
    ends = [first.index(end) for end in ("。", "；", "：", ". ") if end in first]
    clause = first[: min(ends)] if ends else first
    return clause if len(clause) <= most else clause[: most - 1] + "…"


def _is_wide(text: str) -> bool:
    return cell_len(text) > len(text)


class WordsFormatter(click.HelpFormatter):
    """Click's help formatter with its own words in the reader's language, and text with wide characters wrapped by
    the columns it takes (`wrap_cells`)."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        usage = ui_words.say("cli.help.usage")
        super().write_usage(prog, args, prefix if prefix is not None else usage + (" " if usage.isascii() else ""))

    def write_heading(self, heading: str) -> None:
        key = f"cli.help.heading.{heading.lower()}"
        words = ui_words.say(key) if ui_words.has(key) else heading
        self.write(f"{'':>{self.current_indent}}{words}\n")

    def write_text(self, text: str) -> None:
        if not _is_wide(text):
            super().write_text(text)
            return
        indent = " " * self.current_indent
        paragraphs = []
        for paragraph in text.split("\n\n"):
            lines = paragraph.split("\n")
            if lines[0].strip() == "\b":  # as written
                paragraphs.append("\n".join(indent + line for line in lines[1:]))
            else:
                wrapped = wrap_cells(" ".join(line.strip() for line in lines), self.width - self.current_indent)
                paragraphs.append("\n".join(indent + line for line in wrapped))
        self.write("\n\n".join(paragraphs) + "\n")

    def write_dl(self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2) -> None:
        said = [(term, _click_words(definition)) for term, definition in rows]
        if not any(_is_wide(definition) for _, definition in said):
            super().write_dl(said, col_max, col_spacing)
            return
        first = min(max((cell_len(term) for term, _ in said), default=0), col_max) + col_spacing
        margin = " " * (first + self.current_indent)
        for term, definition in said:
            self.write(f"{'':>{self.current_indent}}{term}")
            if not definition:
                self.write("\n")
                continue
            if cell_len(term) <= first - col_spacing:
                self.write(" " * (first - cell_len(term)))
            else:
                self.write("\n" + margin)
            lines = wrap_cells(definition, max(self.width - first - 2, 10))
            self.write("\n".join([lines[0], *(margin + line for line in lines[1:])]) + "\n")


_NO_LINE_START = set("，。、；：？！）》」』】,.;:?!)")  # punctuation that stays at the end of the line before
_NO_LINE_END = set("（《「『【(")  # ... and that goes down to the next
_TOKENS = re.compile(r"\s+|[\u2e80-\uffff]|[^\s\u2e80-\uffff]+")  # spaces, one wide character, a narrow word


def wrap_cells(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` columns (a wide character takes two): broken at spaces and between wide
    characters, never inside a word of narrow ones, never before closing punctuation (the character before it goes
    down to the next line with it) and never after opening punctuation."""
    lines: list[str] = []
    pieces: list[str] = []  # the current line's tokens, each with the space before it
    space = False
    for token in _TOKENS.findall(text):
        if token.isspace():
            space = bool(pieces)
            continue
        piece = (" " if space else "") + token
        space = False
        if pieces and cell_len("".join(pieces) + piece) > width:
            cut = len(pieces)
            if token in _NO_LINE_START:
                cut -= 1
                while cut > 0 and pieces[cut].strip() in _NO_LINE_START:
                    cut -= 1
            while cut > 1 and pieces[cut - 1].strip() in _NO_LINE_END:
                cut -= 1
            if cut > 0:
                lines.append("".join(pieces[:cut]))
                pieces = [pieces[cut].lstrip(), *pieces[cut + 1 :]] if cut < len(pieces) else []
                piece = piece.lstrip() if not pieces else piece
        pieces.append(piece)
    return [*lines, "".join(pieces)]


_CLICK_WORDS = {"Show this message and exit.": "show_help", "Show the version and exit.": "show_version"}
_REQUIRED = "  [required]"  # what click adds to a required option's help ...
_DEFAULT = re.compile(r"\s*\[default: ([^\]]*)\]$")  # ... and to one that shows its default


def _click_words(text: str) -> str:
    """Click's own words in an option's help (the help option's line, "[required]") in the reader's language."""
    key = _CLICK_WORDS.get(text)
    if key:
        return ui_words.say(f"cli.help.{key}")
    if text.endswith(_REQUIRED):
        return text.removesuffix(_REQUIRED) + "  " + ui_words.say("cli.help.required")
    default = _DEFAULT.search(text)
    if default:
        return text[: default.start()] + "  " + ui_words.say("cli.help.default", value=default.group(1))
    return text


class WordsContext(click.Context):
    formatter_class = WordsFormatter
