"""Printing for the CLI: aligned tables that count Chinese characters as two columns, key-value cards, and JSON.

Colour is only ever added to a word that already says the thing (GREEN, YELLOW, RED), and click drops it when the
output is not a terminal, so pipes and files get plain text.

Text from outside (names, addresses, replies, spreadsheet cells, providers' errors) never reaches the terminal raw:
tables and cards show every cell through `kit.plaintext.visible` (an escape sequence shows as "␛]0;...", a line break
as ⏎), `echo_plain` does the same for a sentence that quotes such text, and JSON writes those characters as \\u
escapes, so the JSON is still exact (it reads back to the same data) while nothing in it acts on a terminal.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import click
from rich.cells import cell_len

from kit import ui_words
from kit.plaintext import UNSAFE_MULTILINE, visible

STATUS_COLOURS = {"green": "green", "yellow": "yellow", "red": "red"}


@dataclass(frozen=True)
class Coloured:
    """A cell's text and the colour to show it in on a terminal."""

    text: str
    colour: str | None = None


@dataclass(frozen=True)
class Joined:
    """Cells shown one after another in one cell: a line of counts with their coloured status words."""

    parts: tuple[str | Coloured, ...]


Cell = str | Coloured | Joined


def status_cell(status: str) -> Coloured:
    """A health status as a word in capitals, coloured on a terminal: GREEN, YELLOW, RED."""
    return Coloured(status.upper(), STATUS_COLOURS.get(status))


def _text(cell: Cell) -> str:
    if isinstance(cell, Joined):
        return "".join(_text(part) for part in cell.parts)
    return visible(cell.text if isinstance(cell, Coloured) else cell)


def _pad(cell: Cell, width: int) -> str:
    text = _text(cell)
    padding = " " * (width - cell_len(text))
    if isinstance(cell, Joined):
        return "".join(_pad(part, 0) for part in cell.parts) + padding
    if isinstance(cell, Coloured) and cell.colour:
        return click.style(text, fg=cell.colour, bold=True) + padding
    return text + padding


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Cell]]) -> list[str]:
    """The lines of a table with a header row, columns two spaces apart, trailing blanks trimmed."""
    widths = [cell_len(header) for header in headers]
    for row in rows:
        for index, cell in enumerate(row):
            widths[index] = max(widths[index], cell_len(_text(cell)))
    lines = ["  ".join(_pad(header, width) for header, width in zip(headers, widths)).rstrip()]
    for row in rows:
        lines.append("  ".join(_pad(cell, width) for cell, width in zip(row, widths)).rstrip())
    return lines


def echo_table(headers: Sequence[str], rows: Sequence[Sequence[Cell]], *, empty: str | None = None) -> None:
    """The table, or the `empty` words (by default "Nothing to show." in the reader's language) when it has no rows."""
    if not rows:
        words = empty if empty is not None else ui_words.say("cli.output.nothing")
        click.echo(visible(words))  # it may quote the search
        return
    for line in format_table(headers, rows):
        click.echo(line)


def echo_card(pairs: Iterable[tuple[str, Cell]]) -> None:
    """'label  value' lines with the labels aligned (a resident's details, a summary)."""
    items = list(pairs)
    width = max((cell_len(label) for label, _ in items), default=0)
    for label, value in items:
        shown = _pad(value, 0)
        click.echo(f"{label}{' ' * (width - cell_len(label))}  {shown}".rstrip())


def _json_default(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (set, tuple)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code > 0xFFFF:  # a JSON \\u escape holds 16 bits: the character as its surrogate pair
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def json_escaped(text: str) -> str:
    """JSON from json.dumps with every control character left in it as a \\u escape: exact and safe to show.

    json.dumps escapes the C0 controls itself; outside strings JSON has only ASCII punctuation, spaces and line
    feeds, so every other unsafe character is inside a string, where its \\u escape means the same character."""
    return UNSAFE_MULTILINE.sub(_escaped, text)


def json_text(value: Any) -> str:
    """Pretty JSON, Chinese kept readable (not \\u escapes), control characters escaped (see `json_escaped`)."""
    return json_escaped(json.dumps(value, ensure_ascii=False, indent=2, default=_json_default))


def echo_json(value: Any) -> None:
    """Pretty JSON on stdout (see `json_text`)."""
    click.echo(json_text(value))


def echo_plain(line: str, *, err: bool = False) -> None:
    """Print one line that quotes text from outside ("Added resident #12: 王秀英"), control characters shown as
    symbols. Every command that echoes such text uses this, not click.echo."""
    click.echo(visible(line), err=err)


def word(table: str, value: str) -> str:
    """A vocabulary value in the reader's words: word("message_status", "queued") -> "排队中" / "queued"; a value
    without words (a grid's name, a reason from elsewhere) as it is."""
    key = f"{table}.{value}"
    return ui_words.say(key) if ui_words.has(key) else value
