"""Exports for the street office: rows of dicts written as CSV, JSON or XLSX, streamed so that 100,000 rows never
sit in memory at once.

The format code knows nothing of residents: give it rows (mappings), the columns to write and an open stream. CSV
and JSON go to a text stream, XLSX to a binary one (`is_binary`). `export_to_path` opens the file the right way
and replaces it only when the whole export has been written. Later exports (reports, messages, tasks) reuse it
with their own rows and columns, as `export_residents` does here.
"""

from __future__ import annotations

import codecs
import csv
import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any, BinaryIO, TextIO, cast

from kit.errors import ValidationError
from kit.export_words import RESIDENT_VALUES, Readable, readable
from kit.private_files import open_private
from kit.resident_search import ResidentFilter, iter_residents
from kit.spreadsheets import defuse_formula

FORMATS = ("csv", "json", "xlsx")
ENCODINGS = ("utf-8", "utf-8-sig", "gb18030")
FILE_ENCODING = "utf-8-sig"  # CSV in a file: the BOM makes Chinese Excel read it as UTF-8
LIST_SEPARATOR = ","

RESIDENT_COLUMNS = (
    "id", "name", "phone", "second_phone", "grid", "building", "unit", "room", "language", "tags", "birth_year",
    "status", "monitoring", "monitoring_until", "opted_out", "notes",
)  # fmt: skip


def check_format(fmt: str) -> str:
    value = fmt.strip().lower()
    if value not in FORMATS:
        raise ValidationError("export.bad_format", field="format", format=fmt, formats=", ".join(FORMATS))
    return value


def is_binary(fmt: str) -> bool:
    """Whether the format is written to a binary stream (XLSX) rather than a text one (CSV, JSON)."""
    return check_format(fmt) == "xlsx"


def check_encoding(encoding: str) -> str:
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ValidationError(
            "export.bad_encoding", field="encoding", encoding=encoding, encodings=", ".join(ENCODINGS)
        ) from None
    return encoding


def csv_cell(value: Any) -> Any:
    """A value as a CSV cell: lists joined with ',', dates in ISO form, yes/no, None empty, formulas defused."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        value = LIST_SEPARATOR.join(str(item) for item in value)
    elif isinstance(value, (date, datetime)):
        return value.isoformat()
    return defuse_formula(value)


def write_csv(
    rows: Iterable[Mapping[str, Any]], columns: Sequence[str], out: TextIO, *, header: Sequence[str] | None = None
) -> int:
    """A header row (`header`, else the column names), then one line per row; returns the number of rows written.
    Open `out` with newline=''."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header or columns)
    count = 0
    for row in rows:
        writer.writerow([csv_cell(row.get(column)) for column in columns])
        count += 1
    return count


def write_json(rows: Iterable[Mapping[str, Any]], columns: Sequence[str], out: TextIO) -> int:
    """A JSON list of objects with exactly `columns` as keys, one object per line, written as it goes."""
    count = 0
    out.write("[")
    for row in rows:
        item = {column: _json_value(row.get(column)) for column in columns}
        out.write(",\n" if count else "\n")
        out.write(json.dumps(item, ensure_ascii=False))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


def _json_value(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def write_xlsx(
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[str],
    out: BinaryIO | str | Path,
    *,
    title: str = "Export",
    header: Sequence[str] | None = None,
) -> int:
    """One sheet: a bold header row, then the rows; openpyxl's write-only mode keeps memory flat."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)

    def cell(value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            value = LIST_SEPARATOR.join(str(item) for item in value)
        if not isinstance(value, str):
            return value
        value = ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters (from an SMS, say) are not allowed
        if value.startswith("="):  # openpyxl would store it as a formula; keep it the text it is
            text = WriteOnlyCell(sheet, value=value)
            text.data_type = "s"
            return text
        return value

    titles = []
    for column in header or columns:
        title_cell = WriteOnlyCell(sheet, value=column)
        title_cell.font = Font(bold=True)
        titles.append(title_cell)
    sheet.append(titles)
    count = 0
    for row in rows:
        sheet.append([cell(row.get(column)) for column in columns])
        count += 1
    workbook.save(out)
    return count


def write(
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[str],
    fmt: str,
    out: IO[Any],
    readable: Readable | None = None,
) -> int:
    """Write `rows` in `fmt` to `out` (a text stream for csv/json, a binary one for xlsx); returns the row count.
    With `readable`, CSV and XLSX have their header and vocabulary values in the community's language."""
    fmt = check_format(fmt)
    if fmt == "json":
        return write_json(rows, columns, cast(TextIO, out))
    header = readable.header(columns) if readable else None
    shown = readable.rows(rows) if readable else rows
    if fmt == "csv":
        return write_csv(shown, columns, cast(TextIO, out), header=header)
    return write_xlsx(shown, columns, cast(BinaryIO, out), header=header)


def default_encoding(fmt: str, *, to_file: bool) -> str:
    """UTF-8 with BOM for a CSV file (Excel), plain UTF-8 for everything else."""
    return FILE_ENCODING if to_file and check_format(fmt) == "csv" else "utf-8"


def export_to_path(
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[str],
    fmt: str,
    path: str | os.PathLike[str],
    *,
    encoding: str | None = None,
    readable: Readable | None = None,
) -> int:
    """Write the export to `path`, through a temporary file beside it, so a failure leaves no half-written file
    and an old export is only replaced by a complete new one."""
    fmt = check_format(fmt)
    target = Path(path)
    partial = target.with_name(f".{target.name}.partial")
    try:
        if is_binary(fmt):
            with open_private(partial, "wb") as binary:
                count = write(rows, columns, fmt, binary, readable)
        else:
            chosen = check_encoding(encoding or default_encoding(fmt, to_file=True))
            with open_private(partial, "w", encoding=chosen, newline="") as text:
                count = write(rows, columns, fmt, text, readable)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return count


def resident_rows(flt: ResidentFilter | None = None) -> Iterator[dict[str, Any]]:
    """Every matching resident as a dict (`ResidentView.as_dict`), read from the database a batch at a time."""
    for view in iter_residents(flt):
        yield view.as_dict()


def export_residents(fmt: str, out: IO[Any], flt: ResidentFilter | None = None, *, language: str | None = None) -> int:
    """The residents matching `flt` in `fmt` to the open stream `out`, CSV and XLSX in `language` (default: field
    names and codes); returns how many were written."""
    return write(resident_rows(flt), RESIDENT_COLUMNS, fmt, out, readable(language, RESIDENT_VALUES, fmt))


def export_residents_to_path(
    fmt: str,
    path: str | os.PathLike[str],
    flt: ResidentFilter | None = None,
    *,
    encoding: str | None = None,
    language: str | None = None,
) -> int:
    words = readable(language, RESIDENT_VALUES, fmt)
    return export_to_path(resident_rows(flt), RESIDENT_COLUMNS, fmt, path, encoding=encoding, readable=words)
