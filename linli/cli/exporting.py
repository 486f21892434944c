"""`linli export ...`: registers and figures out to CSV, JSON or XLSX for the street office.

Decisions:
- A file gets the exact data. On stdout, JSON has its control characters as \\u escapes (still exact when read back,
  and inert on a terminal); CSV piped elsewhere is exact, and CSV on a terminal shows them as symbols (␛), so an
  export read on screen never carries a raw escape sequence (kit.plaintext).
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import BinaryIO, TextIO, cast

import click

from kit import audit, ui_words
from kit.errors import ValidationError
from kit.exporter import ENCODINGS, FORMATS, default_encoding, export_residents, export_residents_to_path
from kit.permissions import EXPORT_PERSONAL_DATA
from kit.plaintext import visible
from kit.resident_search import ResidentFilter
from kit.vocabulary import normalize_monitoring, normalize_status
from linli.cli.context import Kit, pass_kit
from linli.cli.output import echo_plain, json_escaped

LANG_OPTION = click.option(
    "--lang",
    metavar="CODE",
    help="Language of a CSV or XLSX export's header and words (zh: 姓名, 状态=绿; en: name, status=green). "
    "Default: the community's. JSON keeps field names and codes.",
)


def export_language(lang: str | None) -> str:
    """--lang, else the community's first language."""
    from kit.community import get_community

    return lang.strip() if lang and lang.strip() else get_community().language


@click.group("export")
def export_group() -> None:
    """Export registers to CSV, JSON or XLSX.

    \b
    Example:
      linli export residents --format xlsx -o 居民名册.xlsx
    """


def exported_line(language: str, what: str, count: int, path: str) -> str:
    """ "Exported 3 residents to FILE." in the export's language (`what`: residents, reports, messages, tasks)."""
    form = "one" if count == 1 else "other"
    return ui_words.text(ui_words.base_language(language), f"cli.export.{what}.{form}", count=count, path=path)


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def stdout_bytes() -> BinaryIO:
    """The byte stream under stdout, with what was printed as text before it flushed first."""
    sys.stdout.flush()
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        raise ValidationError("export.no_raw_bytes")
    return cast(BinaryIO, buffer)


class _Shown(io.TextIOBase):
    """A text stream that writes what it is given through `show` first."""

    def __init__(self, target: TextIO, show: Callable[[str], str]) -> None:
        super().__init__()
        self._target = target
        self._show = show

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._target.write(self._show(text))
        return len(text)

    def flush(self) -> None:
        self._target.flush()


def _on_terminal(text: str) -> str:
    return visible(text, multiline=True)


@contextmanager
def stdout_text(fmt: str, encoding: str | None = None) -> Iterator[TextIO]:
    """stdout as the text stream a CSV or JSON export writes to (see the module's decisions)."""
    text = io.TextIOWrapper(stdout_bytes(), encoding=encoding or default_encoding(fmt, to_file=False), newline="")
    try:
        if fmt == "json":
            yield cast(TextIO, _Shown(text, json_escaped))
        elif stdout_is_terminal():
            yield cast(TextIO, _Shown(text, _on_terminal))
        else:
            yield text
        text.flush()
    finally:
        text.detach()


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
@LANG_OPTION
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
    lang: str | None,
) -> None:
    """Export residents, all or filtered, to stdout or a file.

    Columns: id, name, phone, second_phone, grid, building, unit, room, language, tags
    (comma-separated in CSV and XLSX, a list in JSON), birth_year, status, monitoring,
    monitoring_until, opted_out, notes. CSV and XLSX name them in the community's language
    (姓名, 电话, 状态=绿 in a Chinese community; --lang en for field names and codes). The CSV
    imports back with `linli import residents`.
    Residents are read a batch at a time, so large registers export in flat memory.

    \b
    Example:
      linli export residents --format csv --grid 第1网格 -o 第1网格.csv
      linli export residents --format xlsx --lang en -o residents.xlsx
    """
    actor = kit.allow(EXPORT_PERSONAL_DATA)
    if fmt == "xlsx" and encoding:
        raise ValidationError("export.encoding_for_xlsx")
    # Checked before the first byte is written, so a typo never leaves half an export on stdout.
    flt = ResidentFilter(
        grid=grid, tag=tag, status=normalize_status(status), monitoring=normalize_monitoring(monitoring)
    )
    filters = {"grid": flt.grid, "tag": flt.tag, "status": flt.status, "monitoring": flt.monitoring}
    audit.record_export(actor, "residents", output or "stdout", format=fmt, **{k: v for k, v in filters.items() if v})
    if output:
        count = export_residents_to_path(fmt, output, flt, encoding=encoding, language=export_language(lang))
        echo_plain(exported_line(export_language(lang), "residents", count, output), err=True)
        return
    if fmt == "xlsx" and stdout_is_terminal():
        raise ValidationError("export.xlsx_on_terminal")
    if fmt == "xlsx":
        binary = stdout_bytes()
        export_residents(fmt, binary, flt, language=export_language(lang))
        binary.flush()
        return
    with stdout_text(fmt, encoding) as text:
        export_residents(fmt, text, flt, language=export_language(lang))
