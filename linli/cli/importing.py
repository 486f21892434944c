"""`linli import ...`: bring registers kept in spreadsheets into the kit."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from kit import ui_words
from kit.community import get_community
from kit.errors import ValidationError
from kit.import_text import row_lines, sheet_lines, summary_line
from kit.importer import ImportResult, import_residents
from kit.permissions import CHANGE_RESIDENTS
from kit.register_sheet import column_map
from kit.register_update import read_update_sheet
from kit.spreadsheets import MB
from linli.cli.context import Kit, pass_kit
from linli.cli.import_update import run_update
from linli.cli.output import echo_plain

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
@click.option("--update", is_flag=True, help="Compare a revised sheet with the register and show what would change.")
@click.option("--yes", "apply", is_flag=True, help="With --update, apply the changes shown.")
@click.option("--mark-missing", is_flag=True, help="With --update --yes, mark residents not in the sheet as moved out.")
@click.option("--json", "as_json", is_flag=True, help="With --update, print the preview as JSON.")
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar="COLUMN=FIELD",
    help="Read the column COLUMN as FIELD (name, phone, address, building, unit, room, grid, ...); repeatable.",
)
@pass_kit
def residents(
    kit: Kit,
    file: str,
    skip_invalid: bool,
    rejects: str | None,
    update: bool,
    apply: bool,
    mark_missing: bool,
    as_json: bool,
    maps: tuple[str, ...],
) -> None:
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
      address           住址, 地址 (3栋2单元401, 3-2-401, 3号楼2单元401室, Block 3, 2-401)

    Columns it does not know are listed after the import; --map 户籍地址=address (repeatable)
    reads one as a field. An address is split into building, unit and room; one that is not
    in those shapes is kept whole (as the room, or in the notes) with a warning, never guessed.
    A landline, or another number that cannot take SMS, is imported with a warning and tagged
    landline: the check-in calls or knocks instead of texting it. Total rows (合计：15户, 总计,
    小计, Total) and blank rows are skipped and counted. A two-row header and merged cells
    (a title across the sheet, a group header over columns) are read as Excel shows them.

    CSV may be UTF-8 with or without BOM, GB18030 (what Chinese Excel saves) or UTF-16,
    separated by commas, semicolons or tabs; workbooks must be .xlsx (first sheet).

    Without --skip-invalid one bad row stops the import and nothing is written: every bad
    line is listed with its reason. Line numbers are the row numbers Excel shows. Files over
    imports.max_file_mb (50 MB unless configured) are refused; split them. A resident without
    a phone already registered at the same name and address is not registered again.

    With --update the file is this week's version of a sheet already imported: each row is
    matched to a resident (by phone, else by name and address) and the preview lists the new
    residents, the changes field by field, how many are unchanged, and who is in the register
    but not in the sheet. Rows matching several residents are listed, never guessed; a row
    giving another resident's phone stops the update. Nothing changes without --yes, which
    applies it all in one transaction; residents not in the sheet are only marked moved out
    with --mark-missing, never deleted. The same sheet applied twice changes nothing.

    \b
    Example:
      linli import residents 居民名册.csv --skip-invalid --rejects rejected.csv
      linli import residents 居民名册.csv --update
      linli import residents 居民名册.csv --update --yes --mark-missing
      linli import residents 居民名册.xlsx --map 户籍地址=address --map Block=building
    """
    kit.open(create=False, identify=False)  # the refusals below in the community's language
    if not update and (apply or mark_missing or as_json):
        raise ValidationError("import.options_need_update")
    if mark_missing and not apply:
        raise ValidationError("import.mark_missing_needs_yes")
    mapping = column_map(maps)
    actor = kit.allow(CHANGE_RESIDENTS)
    if not Path(file).is_file():
        raise ValidationError("import.no_file", path=file)
    if rejects and Path(rejects).resolve() == Path(file).resolve():
        raise ValidationError("import.rejects_is_the_file")
    if update:
        with progress_bar(Path(file)) as advance:
            max_bytes = kit.settings.imports.max_file_mb * MB
            sheet = read_update_sheet(file, max_bytes=max_bytes, progress=advance, mapping=mapping)
        run_update(
            sheet, actor, apply=apply, mark_missing=mark_missing, skip_invalid=skip_invalid, rejects=rejects,
            as_json=as_json,
        )  # fmt: skip
        return
    with progress_bar(Path(file)) as advance:
        result = import_residents(
            file,
            skip_invalid=skip_invalid,
            rejects_path=rejects,
            progress=advance,
            actor=actor,
            max_bytes=kit.settings.imports.max_file_mb * MB,
            mapping=mapping,
        )
    report(result, file, rejects)


def report(result: ImportResult, file: str, rejects: str | None) -> None:
    """The rejected rows (unless written to `rejects`) and the rows imported with a warning on stderr, then what was
    imported, skipped and ignored on stdout: in the community's language (kit.import_text)."""
    language = get_community().language
    if result.rejected and not rejects:
        for rejected in result.rejected:
            # the reason quotes the cell; it was said in the reader's language when the row was read
            echo_plain(ui_words.say("cli.problem_line", line=rejected.line, reason=rejected.reason), err=True)
    for line in row_lines(result, language):
        echo_plain(line, err=True)  # the lines quote the cells
    echo_plain(summary_line(result, Path(file).name, rejects, language))
    for line in sheet_lines(result, language):
        echo_plain(line)


@contextmanager
def progress_bar(file: Path) -> Iterator[Callable[[int], None] | None]:
    """A callback moving a progress bar on stderr, for big files on a terminal only; None otherwise."""
    if not sys.stderr.isatty() or file.stat().st_size < PROGRESS_FROM_BYTES:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    total = _estimated_rows(file)
    checking = TextColumn(ui_words.say("cli.import.checking_rows"))
    columns = [checking, BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("import", total=total)
        yield lambda done: progress.advance(task, done)


def _estimated_rows(file: Path) -> int | None:
    """Lines in a CSV file minus the header (quoted line breaks make it a slight overestimate); None for XLSX."""
    if file.suffix.lower() in {".xlsx", ".xlsm"}:
        return None
    with file.open("rb") as raw:
        return max(sum(chunk.count(b"\n") for chunk in iter(lambda: raw.read(1 << 20), b"")) - 1, 0)
