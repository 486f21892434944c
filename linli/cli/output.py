"""Printing for the CLI: aligned tables that count Chinese characters as two columns, key-value cards, and JSON.

Colour is only ever added to a word that already says the thing (GREEN, YELLOW, RED), and click drops it when the
output is not a terminal, so pipes and files get plain text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import click
from rich.cells import cell_len

STATUS_COLOURS = {"green": "green", "yellow": "yellow", "red": "red"}


@dataclass(frozen=True)
class Coloured:
    """A cell's text and the colour to show it in on a terminal."""

    text: str
    colour: str | None = None


Cell = str | Coloured


def status_cell(status: str) -> Coloured:
    """A health status as a word in capitals, coloured on a terminal: GREEN, YELLOW, RED."""
    return Coloured(status.upper(), STATUS_COLOURS.get(status))


def _text(cell: Cell) -> str:
    return cell.text if isinstance(cell, Coloured) else cell


def _pad(cell: Cell, width: int) -> str:
    text = _text(cell)
    padded = text + " " * (width - cell_len(text))
    if isinstance(cell, Coloured) and cell.colour:
        return click.style(text, fg=cell.colour, bold=True) + padded[len(text) :]
    return padded


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


def echo_table(headers: Sequence[str], rows: Sequence[Sequence[Cell]], *, empty: str = "Nothing to show.") -> None:
    if not rows:
        click.echo(empty)
        return
    for line in format_table(headers, rows):
        click.echo(line)


def echo_card(pairs: Iterable[tuple[str, Cell]]) -> None:
    """'label  value' lines with the labels aligned (a resident's details, a summary)."""
    items = list(pairs)
    width = max((cell_len(label) for label, _ in items), default=0)
    for label, value in items:
        shown = _pad(value, 0) if isinstance(value, Coloured) else value
        click.echo(f"{label}{' ' * (width - cell_len(label))}  {shown}".rstrip())


def _json_default(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (set, tuple)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def echo_json(value: Any) -> None:
    """Pretty JSON on stdout, Chinese kept readable (not \\u escapes)."""
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=_json_default))


def counted(number: int, singular: str, plural: str | None = None) -> str:
    """'1 resident', '1,204 residents'."""
    word = singular if number == 1 else (plural or singular + "s")
    return f"{number:,} {word}"
