"""`linli import ...`: bring registers kept in spreadsheets into the kit."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from kit.errors import ValidationError
from kit.importer import ImportResult, import_residents
from kit.permissions import CHANGE_RESIDENTS
from kit.spreadsheets import MB
from linli.cli.context import Kit, pass_kit
from linli.cli.output import counted, echo_plain

PROGRESS_FROM_BYTES = 256 * 1024  # smaller files are done before a bar would be worth drawing


@click.group("import")
def import_group() -> None:
    """Import registers from CSV or XLSX files.

    \b
    Example:
      linli import residents 居民名册.xlsx --skip-invalid --rejects rejected.csv
    """


@import_group.command("residents")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--skip-invalid", is_flag=True, help="Import the good rows and leave out the bad ones.")
@click.option(
    "--rejects",
    type=click.Path(dir_okay=False),
    help="With --skip-invalid, write the rejected rows here (CSV, with line and reason first).",
)
@pass_kit
def residents(kit: Kit, file: str, skip_invalid: bool, rejects: str | None) -> None:
    """Import residents from a CSV or XLSX file, as registers are really kept.

    The header row may be in English or Chinese and may sit below title rows. Recognised
    columns (others are ignored; a name column and one more are needed):

    \b
      name              姓名, 名字, 居民姓名
      phone             电话, 手机, 手机号码, 联系电话
      second phone      紧急联系人, 家属电话, 子女电话
      grid              网格, 所属网格
      building          楼栋, 楼号
      unit              单元
      room              房号, 门牌号
      language          语言 (中文, English, zh, en)
      tags              标签 (独居老人、慢性病、孕妇 ...)
      birth year        出生年份
      status            健康状态 (绿/黄/红, green/yellow/red)
      monitoring        管控类别 (密接, 居家隔离, 确诊, 康复)
      monitoring until  解除日期
      notes             备注

    CSV may be UTF-8 with or without BOM, GB18030 (what Chinese Excel saves) or UTF-16,
    separated by commas, semicolons or tabs; workbooks must be .xlsx (first sheet).

    Without --skip-invalid one bad row stops the import and nothing is written: every bad
    line is listed with its reason. Line numbers are the row numbers Excel shows. Files over
    imports.max_file_mb (50 MB unless configured) are refused; split them.

    \b
    Example:
      linli import residents 居民名册.csv --skip-invalid --rejects rejected.csv
    """
    actor = kit.allow(CHANGE_RESIDENTS)
    if not Path(file).is_file():
        raise ValidationError(f"There is no file {file}.")
    if rejects and Path(rejects).resolve() == Path(file).resolve():
        raise ValidationError("--rejects must name another file than the one being imported.")
    with progress_bar(Path(file)) as advance:
        result = import_residents(
            file,
            skip_invalid=skip_invalid,
            rejects_path=rejects,
            progress=advance,
            actor=actor,
            max_bytes=kit.settings.imports.max_file_mb * MB,
        )
    report(result, file, rejects)


def report(result: ImportResult, file: str, rejects: str | None) -> None:
    summary = f"{Path(file).name}: imported {result.imported:,}, rejected {len(result.rejected):,}"
    if result.rejected and rejects:
        summary += f" (written to {rejects})"
    elif result.rejected:
        for rejected in result.rejected:
            echo_plain(f"line {rejected.line}: {rejected.reason}", err=True)  # the reason quotes the cell
        summary += " (listed above; add --rejects FILE to keep them)"
    if result.blank_rows:
        summary += f"; skipped {counted(result.blank_rows, 'blank row')}"
    click.echo(summary + ".")


@contextmanager
def progress_bar(file: Path) -> Iterator[Callable[[int], None] | None]:
    """A callback moving a progress bar on stderr, for big files on a terminal only; None otherwise."""
    if not sys.stderr.isatty() or file.stat().st_size < PROGRESS_FROM_BYTES:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    total = _estimated_rows(file)
    columns = [TextColumn("Checking rows"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("import", total=total)
        yield lambda done: progress.advance(task, done)


def _estimated_rows(file: Path) -> int | None:
    """Lines in a CSV file minus the header (quoted line breaks make it a slight overestimate); None for XLSX."""
    if file.suffix.lower() in {".xlsx", ".xlsm"}:
        return None
    with file.open("rb") as raw:
        return max(sum(chunk.count(b"\n") for chunk in iter(lambda: raw.read(1 << 20), b"")) - 1, 0)
