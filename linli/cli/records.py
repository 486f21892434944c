"""`linli export reports|messages|tasks`: the day's health reports, messages and tasks for the street office.

The commands are attached to the `export` group in main.py (`export_group.add_command(export_reports)`, ...).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any

import click

from kit import audit
from kit.errors import ValidationError
from kit.export_words import MESSAGE_VALUES, REPORT_VALUES, TASK_VALUES, Readable, readable
from kit.exporter import FORMATS, export_to_path, write
from kit.models import TASK_STATES
from kit.permissions import EXPORT_PERSONAL_DATA
from kit.records import MESSAGE_COLUMNS, REPORT_COLUMNS, TASK_COLUMNS, message_rows, report_rows, task_rows
from kit.residents import parse_date
from linli.cli.context import Kit, pass_kit
from linli.cli.exporting import (
    LANG_OPTION,
    export_language,
    exported_line,
    stdout_bytes,
    stdout_is_terminal,
    stdout_text,
)
from linli.cli.output import echo_plain

Command = Callable[..., Any]


def _common(function: Command) -> Command:
    for option in reversed(
        [
            click.option(
                "--format", "fmt", type=click.Choice(FORMATS), default="csv", show_default=True, help="File format."
            ),
            click.option("--date", "day_text", metavar="DATE", help="Only this local date, e.g. 2026-11-20."),
            click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file, not stdout."),
            LANG_OPTION,
        ]
    ):
        function = option(function)
    return function


def exporting(kit: Kit, what: str, fmt: str, output: str | None, **filters: str | None) -> None:
    """Check the operator may export personal data, and put the export in the audit trail."""
    actor = kit.allow(EXPORT_PERSONAL_DATA)
    chosen = {name: value for name, value in filters.items() if value}
    audit.record_export(actor, what, output or "stdout", format=fmt, **chosen)


def _day(text: str | None) -> date | None:
    return parse_date(text, "date", "date") if text else None


def _write(
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[str],
    fmt: str,
    output: str | None,
    what: str,
    language: str,
    words: Readable | None,
) -> None:
    if output:
        count = export_to_path(rows, columns, fmt, output, readable=words)
        echo_plain(exported_line(language, what, count, output), err=True)
        return
    if fmt == "xlsx" and stdout_is_terminal():
        raise ValidationError("export.xlsx_on_terminal")
    if fmt == "xlsx":
        binary = stdout_bytes()
        write(rows, columns, fmt, binary, words)
        binary.flush()
        return
    with stdout_text(fmt) as text:
        write(rows, columns, fmt, text, words)


@click.command("reports")
@_common
@pass_kit
def export_reports(kit: Kit, fmt: str, day_text: str | None, output: str | None, lang: str | None) -> None:
    """Export health reports (by SMS, keypad, door visit or operator), with each resident's name,
    phone, grid and address. Times are local, with the offset.

    \b
    Example:
      linli export reports --date 2026-11-20 --format csv -o 健康报告-1120.csv
    """
    day = _day(day_text)
    exporting(kit, "reports", fmt, output, date=day_text)
    language = export_language(lang)
    words = readable(language, REPORT_VALUES, fmt)
    _write(report_rows(day), REPORT_COLUMNS, fmt, output, "reports", language, words)


@click.command("messages")
@_common
@click.option("--direction", type=click.Choice(("in", "out")), help="Only messages received (in) or sent (out).")
@pass_kit
def export_messages(
    kit: Kit, fmt: str, day_text: str | None, output: str | None, lang: str | None, direction: str | None
) -> None:
    """Export the messages in and out, with their status, the resident's or volunteer's name and,
    for replies, what the parser made of them.

    \b
    Example:
      linli export messages --direction in --date 2026-11-20 --format json -o replies.json
    """
    day = _day(day_text)
    exporting(kit, "messages", fmt, output, date=day_text, direction=direction)
    language = export_language(lang)
    words = readable(language, MESSAGE_VALUES, fmt)
    _write(message_rows(day, direction), MESSAGE_COLUMNS, fmt, output, "messages", language, words)


@click.command("tasks")
@_common
@click.option("--state", type=click.Choice(TASK_STATES), help="Only tasks in this state.")
@pass_kit
def export_tasks(
    kit: Kit, fmt: str, day_text: str | None, output: str | None, lang: str | None, state: str | None
) -> None:
    """Export tasks (help requests, errands, door-knocks, ...) created on a day or ever, with the
    resident, address, grid and volunteer.

    \b
    Example:
      linli export tasks --state open --format xlsx -o open-tasks.xlsx
    """
    day = _day(day_text)
    exporting(kit, "tasks", fmt, output, date=day_text, state=state)
    language = export_language(lang)
    words = readable(language, TASK_VALUES, fmt)
    _write(task_rows(day, state), TASK_COLUMNS, fmt, output, "tasks", language, words)
