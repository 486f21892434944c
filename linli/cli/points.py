"""`linli points`: the month's neighbour points (邻里积分) per person and per grid, for the committee to thank people.

Decisions
- The words (table headers, roles, what the points were for) are the community's language, and so are a CSV's or
  XLSX's header and roles (`姓名, 网格, 积分`; kit.export_words, as every export people read): the committee opens
  the file in Excel. JSON, and --lang en, keep field names and codes, for programs.
- A table is for reading; CSV, JSON or a file is personal data leaving the kit (names and phones), so it needs the
  right to export and goes into the audit trail, like every other export.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from kit import audit, ui_words
from kit.community import get_community
from kit.errors import ValidationError
from kit.export_words import readable
from kit.exporter import export_to_path, write
from kit.permissions import EXPORT_PERSONAL_DATA
from kit.phones import display_phone
from kit.plaintext import visible
from kit.points import GridPoints, MonthPoints, PersonPoints, month_points, parse_month
from linli.cli.context import Kit, pass_kit
from linli.cli.exporting import stdout_text
from linli.cli.output import echo_plain, format_table

PERSON_COLUMNS = ("name", "role", "phone", "grids", "points", "what_for")  # the table's ([points] words)
GRID_COLUMNS = ("grid", "points", "people", "tasks", "answers")
EXPORT_PERSON_COLUMNS = ("name", "role", "phone", "grid", "points", "what_for")  # CSV and XLSX ([export] words)
JSON_PERSON_COLUMNS = ("name", "role", "phone", "grids", "points", "tasks", "answers", "answered_for", "what_for")
GRID_EXPORT_COLUMNS = ("month", *GRID_COLUMNS)
ROLE_WORDS = {"role": "points.role"}  # a role in a CSV or XLSX, as the table says it
SUFFIXES = {".json": "json", ".xlsx": "xlsx", ".csv": "csv"}


@click.command("points")
@click.option("--month", "month_text", metavar="YYYY-MM", help="The local month, e.g. 2026-11. Default: this month.")
@click.option("--grid", help="Only points earned in this grid.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (stable English keys) instead of a table.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV, headers in the community's language.")
@click.option(
    "--by", type=click.Choice(("person", "grid")), default="person", show_default=True, help="Rows of CSV/JSON."
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to a file: .csv, .json or .xlsx.")
@click.option("--lang", "language", help="Words in this language (zh, en). Default: the community's first.")
@pass_kit
def points_command(
    kit: Kit,
    month_text: str | None,
    grid: str | None,
    as_json: bool,
    as_csv: bool,
    by: str,
    output: str | None,
    language: str | None,
) -> None:
    """The month's neighbour points (邻里积分): who helped a neighbour, with name, role (resident,
    volunteer, or a second contact known only by number), grid, points and what for (tasks done,
    answers given for a neighbour the check-in asked about), then the totals per grid.

    A table by default; --csv, --json or -o FILE (.csv, .json, .xlsx) export the people (or the grids,
    with --by grid). CSV and XLSX headers are in the community's language.

    \b
    Example:
      linli points --month 2026-11
      linli points --month 2026-11 --grid 第1网格 --csv -o 11月积分.csv
    """
    kit.open(create=False)
    if as_json and as_csv:
        raise ValidationError("points.json_and_csv")
    fmt = "json" if as_json else "csv" if as_csv else _format_of(output)
    month = parse_month(month_text)
    words = ui_words.base_language(language or get_community().language)
    if fmt is None:
        figures = month_points(month, grid=grid)
        for line in table_lines(figures, words, grid):
            click.echo(line)
        return
    actor = kit.allow(EXPORT_PERSONAL_DATA)
    figures = month_points(month, grid=grid)
    audit.record_export(actor, "points", output or "stdout", format=fmt, month=figures.month, grid=grid, by=by)
    columns, rows = _rows(figures, words, by=by, machine=fmt == "json")
    readable_words = readable(language or words, ROLE_WORDS, fmt)
    if output:
        count = export_to_path(rows, columns, fmt, output, readable=readable_words)
        form = "one" if count == 1 else "other"
        exported = ui_words.text(words, f"cli.points.exported.{form}", count=count, month=figures.month, path=output)
        echo_plain(exported, err=True)
        return
    with stdout_text(fmt) as text:
        write(rows, columns, fmt, text, readable_words)


def _format_of(output: str | None) -> str | None:
    """The export format a file's name asks for (CSV unless it says .json or .xlsx); None: a table on screen."""
    if output is None:
        return None
    return SUFFIXES.get(Path(output).suffix.lower(), "csv")


def _say(language: str, key: str, **values: object) -> str:
    return ui_words.text(language, f"points.{key}", **values)


def person_name(person: PersonPoints, language: str) -> str:
    """A helper's name; a second contact known only by number is named after the neighbours they answered for."""
    if person.name:
        return person.name
    neighbours = _say(language, "list_separator").join(person.answered_for) or "?"
    return _say(language, "contact_of", names=neighbours)


def what_for(person: PersonPoints, language: str) -> str:
    parts = []
    if person.tasks:
        parts.append(_say(language, "for_tasks", count=person.tasks))
    if person.answers:
        parts.append(_say(language, "for_answers", count=person.answers))
    return _say(language, "list_separator").join(parts)


def _grid_name(name: str, language: str) -> str:
    return name or _say(language, "no_grid")


def _person_cells(person: PersonPoints, language: str) -> list[Any]:
    return [
        person_name(person, language),
        _say(language, f"role.{person.role}"),
        display_phone(person.phone) if person.phone else "",
        _say(language, "list_separator").join(_grid_name(name, language) for name in person.grids),
        person.points,
        what_for(person, language),
    ]


def _grid_cells(row: GridPoints, language: str) -> list[Any]:
    return [_grid_name(row.grid, language), row.points, row.people, row.tasks, row.answers]


def _rows(figures: MonthPoints, language: str, *, by: str, machine: bool) -> tuple[Sequence[str], list[dict[str, Any]]]:
    """The columns and rows of an export: the helpers as they are for JSON; for CSV and XLSX as people read them,
    their header and roles put in words by `kit.export_words`."""
    if by == "grid":
        rows = [{"month": figures.month, **row.as_dict()} for row in figures.grids]
        if not machine:
            rows = [{**row, "grid": _grid_name(row["grid"], language)} for row in rows]
        return GRID_EXPORT_COLUMNS, rows
    if machine:
        rows = [{**person.as_dict(), "what_for": what_for(person, language)} for person in figures.people]
        return JSON_PERSON_COLUMNS, rows
    return EXPORT_PERSON_COLUMNS, [
        {
            "name": person_name(person, language),
            "role": person.role,
            "phone": person.phone,
            "grid": [_grid_name(name, language) for name in person.grids],
            "points": person.points,
            "what_for": what_for(person, language),
        }
        for person in figures.people
    ]


def table_lines(figures: MonthPoints, language: str, grid: str | None = None) -> list[str]:
    """The month's points as people read them: a title, the people, then the grids with their total."""
    where = f" {visible(grid)}" if grid else ""
    title = _say(language, "title", community=visible(get_community().name), month=figures.month) + where
    if not figures.people:
        return [title, _say(language, "nobody", month=figures.month)]
    people_headers = [_say(language, f"col.{key}") for key in PERSON_COLUMNS]
    people = [[str(cell) for cell in _person_cells(person, language)] for person in figures.people]
    grid_headers = [_say(language, f"col.{key}") for key in GRID_COLUMNS]
    grids = [[str(cell) for cell in _grid_cells(row, language)] for row in figures.grids]
    grids.append([_say(language, "total"), str(figures.total), "", "", ""])
    return [title, *format_table(people_headers, people), "", *format_table(grid_headers, grids)]
