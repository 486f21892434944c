"""`linli export ...`: registers and figures out to CSV, JSON or XLSX for the street office."""

from __future__ import annotations

import io
import sys
from typing import BinaryIO, cast

import click

from kit.errors import ValidationError
from kit.exporter import ENCODINGS, FORMATS, default_encoding, export_residents, export_residents_to_path
from kit.residents import ResidentFilter
from kit.vocabulary import normalize_monitoring, normalize_status
from linli.cli.context import Kit, pass_kit
from linli.cli.output import counted


@click.group("export")
def export_group() -> None:
    """Export registers to CSV, JSON or XLSX.

    \b
    Example:
      linli export residents --format xlsx -o 居民名册.xlsx
    """


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def stdout_bytes() -> BinaryIO:
    """The byte stream under stdout, with what was printed as text before it flushed first."""
    sys.stdout.flush()
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        raise ValidationError("This output cannot take raw bytes; write the export to a file with -o FILE.")
    return cast(BinaryIO, buffer)


@export_group.command("residents")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="csv", show_default=True, help="File format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file instead of stdout.")
@click.option("--grid", help="Only residents of this grid.")
@click.option("--tag", help="Only residents with this tag.")
@click.option("--status", help="Only residents with this health status: green, yellow or red.")
@click.option("--monitoring", help="Only residents in this monitoring category, e.g. home_quarantine.")
@click.option(
    "--encoding",
    type=click.Choice(ENCODINGS),
    help="Text encoding for CSV and JSON. Default: utf-8-sig for a CSV file (Excel reads it), else utf-8.",
)
@pass_kit
def residents(
    kit: Kit,
    fmt: str,
    output: str | None,
    grid: str | None,
    tag: str | None,
    status: str | None,
    monitoring: str | None,
    encoding: str | None,
) -> None:
    """Export residents, all or filtered, to stdout or a file.

    Columns: id, name, phone, second_phone, grid, building, unit, room, language, tags
    (comma-separated in CSV and XLSX, a list in JSON), birth_year, status, monitoring,
    monitoring_until, opted_out, notes. The CSV imports back with `linli import residents`.
    Residents are read a batch at a time, so large registers export in flat memory.

    \b
    Example:
      linli export residents --format csv --grid 第1网格 -o 第1网格.csv
    """
    kit.open(create=False)
    if fmt == "xlsx" and encoding:
        raise ValidationError("--encoding applies to CSV and JSON; an XLSX workbook has none.")
    # Checked before the first byte is written, so a typo never leaves half an export on stdout.
    flt = ResidentFilter(
        grid=grid, tag=tag, status=normalize_status(status), monitoring=normalize_monitoring(monitoring)
    )
    if output:
        count = export_residents_to_path(fmt, output, flt, encoding=encoding)
        click.echo(f"Exported {counted(count, 'resident')} to {output}.", err=True)
        return
    if fmt == "xlsx" and stdout_is_terminal():
        raise ValidationError("An XLSX workbook cannot be shown in a terminal; write it to a file with -o FILE.xlsx.")
    binary = stdout_bytes()
    if fmt == "xlsx":
        export_residents(fmt, binary, flt)
        binary.flush()
        return
    text = io.TextIOWrapper(binary, encoding=encoding or default_encoding(fmt, to_file=False), newline="")
    try:
        export_residents(fmt, text, flt)
        text.flush()
    finally:
        text.detach()
