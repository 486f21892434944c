"""`linli report`: the day's figures per grid, for people (a table, the street office's own XLSX form) and for
machines (CSV and JSON with stable figure names)."""

from __future__ import annotations

import io
import shutil
from datetime import date
from pathlib import Path

import click

from data import resource
from kit import ui_words
from kit.community import get_community
from kit.daily_sheet import fill_template, load_map, map_path_for
from kit.errors import FileProblem, ValidationError
from kit.exporter import default_encoding, export_to_path, write
from kit.figures import FIGURES, NO_GRID, DayFigures, day_figures, figure_labels
from kit.plaintext import visible
from kit.residents import parse_date
from linli.cli.context import Kit, pass_kit
from linli.cli.exporting import stdout_bytes
from linli.cli.output import echo_plain, format_table
from linli.cli.report_push import report_push

EXAMPLES = "report_templates"
MACHINE_COLUMNS = ("date", "grid", *FIGURES)


@click.group("report")
def report_group() -> None:
    """The day's figures per grid: for the street office's form, and for the district.

    \b
    Example:
      linli report daily
      linli report daily --template 街道日报.xlsx -o 1130.xlsx
    """


report_group.add_command(report_push)


@report_group.command("daily")
@click.option("--date", "day_text", metavar="DATE", help="The local date, e.g. 2026-11-30. Default: today.")
@click.option("--template", type=click.Path(dir_okay=False), help="The street office's XLSX form to fill in.")
@click.option(
    "--map", "map_file", type=click.Path(dir_okay=False), help="The map (TOML). Default: beside the template."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="Without --template: a table for people, or CSV/JSON with stable figure names for machines.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file (needed with --template).")
@click.option("--lang", "language", help="Labels in this language (zh, en). Default: the community's first.")
@pass_kit
def report_daily(
    kit: Kit,
    day_text: str | None,
    template: str | None,
    map_file: str | None,
    fmt: str,
    output: str | None,
    language: str | None,
) -> None:
    """The figures of one day per grid: asked, answered, silent, well, unwell, fever, help, unreachable,
    monitored, red, yellow, tasks. Counts only: no names, phones or addresses.

    With --template, a copy of the street office's own form is filled in as its map says (which figure goes
    in which cell, or which column of a per-grid table); `linli report examples DIR` writes two example forms
    with their maps to start from.

    \b
    Example:
      linli report daily --date 2026-11-30
      linli report daily --template 街道日报.xlsx -o 1130.xlsx
      linli report daily --format json
    """
    kit.open(create=False)
    day: date | None = parse_date(day_text, "date", "date") if day_text else None
    figures = day_figures(day)
    chosen = language or get_community().language_list[0]
    if template:
        if not output:
            raise ValidationError("report.needs_output", field="output")
        sheet_map = load_map(map_file or map_path_for(template))
        cells = fill_template(template, sheet_map, figures, output, language=chosen)
        filled = ui_words.text_count(
            chosen, "cli.report.filled", cells, output=output, template=template, day=figures.day
        )
        echo_plain(filled, err=True)
        return
    if fmt == "table":
        if output:
            raise ValidationError("report.table_to_file", field="output")
        for line in _table_lines(figures, chosen):
            click.echo(line)
        return
    rows = [{"date": figures.day, "grid": row.grid, **row.figures} for row in figures.grids]
    if output:
        export_to_path(rows, MACHINE_COLUMNS, fmt, output)
        wrote = ui_words.text_count(chosen, "cli.report.wrote_figures", len(rows), day=figures.day, output=output)
        echo_plain(wrote, err=True)
        return
    text = io.TextIOWrapper(stdout_bytes(), encoding=default_encoding(fmt, to_file=False), newline="")
    try:
        write(rows, MACHINE_COLUMNS, fmt, text)
        text.flush()
    finally:
        text.detach()


def _table_lines(figures: DayFigures, language: str) -> list[str]:
    labels = figure_labels(language)
    shown = [name for name in FIGURES if name != "residents"]
    headers = [labels["grid"], labels["residents"], *(labels[name] for name in shown)]
    rows = [
        [row.grid if row.grid != NO_GRID else labels["no_grid"], *(str(row.figures[n]) for n in ("residents", *shown))]
        for row in figures.grids
    ]
    totals = figures.totals
    rows.append([labels["total"], *(str(totals[n]) for n in ("residents", *shown))])
    title = f"{visible(figures.community)}  {labels['date']} {figures.day.isoformat()}"
    return [title, *format_table(headers, rows)]


@report_group.command("examples")
@click.argument("folder", type=click.Path(file_okay=False))
def report_examples(folder: str) -> None:
    """Write the two example forms and their maps into FOLDER: a per-grid daily table and a one-page summary.
    Change a map (TOML) to fit the form your street office sends; no code needed.

    \b
    Example:
      linli report examples ~/表格
      linli report daily --template ~/表格/街道日报-分网格.xlsx -o 1130.xlsx
    """
    target = Path(folder).expanduser()
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise FileProblem("report.no_folder", folder=target, reason=error.strerror) from None
    written = []
    for entry in sorted(resource(EXAMPLES).iterdir(), key=lambda item: item.name):
        if entry.name.endswith((".xlsx", ".toml")):
            destination = target / entry.name
            if destination.exists():
                raise FileProblem("report.exists", file=destination)
            with entry.open("rb") as source, open(destination, "wb") as copy:
                shutil.copyfileobj(source, copy)
            written.append(entry.name)
    files = ui_words.say("cli.report.file_separator").join(written)
    echo_plain(ui_words.say("cli.report.examples_written", files=files, folder=target))
