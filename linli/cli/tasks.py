"""`linli tasks sheet`: the day's door-knock sheet for paper (PDF, HTML or text), optionally sent to the printer."""

from __future__ import annotations

from pathlib import Path

import click

from kit import audit, ui_words
from kit.errors import ValidationError
from kit.knock_sheet import knock_sheet
from kit.knock_sheet_render import FORMATS, format_of, write_knock_sheet
from kit.permissions import EXPORT_PERSONAL_DATA
from kit.printer import proposed_path, send_to_printer
from kit.residents import parse_date
from linli.cli.context import Kit, pass_kit
from linli.cli.output import echo_plain


@click.group("tasks")
def tasks_group() -> None:
    """Tasks on paper: the door-knock sheet each volunteer carries.

    \b
    Example:
      linli tasks sheet --grid 东区 --open
    """


@tasks_group.command("sheet")
@click.option("--grid", metavar="NAME", help="Only this grid's visits. Default: every grid.")
@click.option(
    "--date", "day_text", metavar="DATE", help="The local date of the round, e.g. 2026-11-20. Default: today."
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="pdf, html or txt. Default: -o's extension, or pdf.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help="The file to write. Default: door-knock-DATE.pdf in your documents folder (else your home folder).",
)
@click.option("--lang", "language", help="Words in this language (zh, en). Default: the community's first.")
@click.option("--open", "to_printer", is_flag=True, help="Then send it to the default printer (lp).")
@pass_kit
def sheet_command(
    kit: Kit,
    grid: str | None,
    day_text: str | None,
    fmt: str | None,
    output: str | None,
    language: str | None,
    to_printer: bool,
) -> None:
    """Write the door-knock sheet: a page per volunteer, one visit per flat with every resident to
    see there, in walking order (building, unit, floor, room: 1-1-301 before 1-1-1002), a result to
    tick for each (well, unwell, temperature, nobody home, needs help), the second contact, the date,
    grid and deadline. The PDF needs a CJK font (Debian: fonts-noto-cjk); HTML and text need none.

    \b
    Example:
      linli tasks sheet --grid 东区 --open
      linli tasks sheet --format html -o ~/Documents/door-knock.html
    """
    actor = kit.allow(EXPORT_PERSONAL_DATA)
    day = parse_date(day_text, "date", "date") if day_text else None
    sheet = knock_sheet(day, grid, language)
    chosen = fmt or (format_of(output, sheet.language) if output else "pdf")
    target = Path(output).expanduser() if output else proposed_path(sheet.day, chosen)
    if format_of(target, sheet.language) != chosen:
        raise ValidationError.said(ui_words.text(sheet.language, "sheet.bad_format", name=target.name), field="format")
    audit.record_export(actor, "door_knock_list", str(target), format=chosen, date=sheet.day.isoformat(), grid=grid)
    written = write_knock_sheet(sheet, target)
    lines = [sheet.word("saved", path=written)]
    if to_printer:  # when it cannot print, its one error line says where the sheet was saved
        lines.append(send_to_printer(written, sheet.language))
    for line in lines:
        echo_plain(line)
