"""Reading and writing spreadsheets as they are really kept: CSV in UTF-8 (with or without BOM), UTF-16 or
GB18030 from Chinese Excel, comma, semicolon or tab separated; and XLSX."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from kit.errors import ValidationError

CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}


@dataclass(frozen=True)
class SheetRow:
    line: int  # the row number a person sees in Excel (1 = the first row), or the CSV line it starts on
    cells: tuple[Any, ...]


def detect_encoding(raw: bytes) -> str:
    """The encoding of a CSV file's bytes: a BOM decides; else strict UTF-8 if it decodes; else GB18030."""
    if raw.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        raw.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        raw.decode("gb18030")
        return "gb18030"
    except UnicodeDecodeError:
        raise ValidationError(
            "The file is neither UTF-8 nor GB18030 text. Save it from Excel as 'CSV UTF-8' or as .xlsx and try again."
        ) from None


def read_rows(path: str | Path) -> Iterator[SheetRow]:
    """Every row of the file with its line number, blank rows included (the caller skips them)."""
    file = Path(path)
    suffix = file.suffix.lower()
    if not file.exists():
        raise ValidationError(f"There is no file {file}.")
    if suffix == ".xls":
        raise ValidationError(f"{file.name} is an old .xls workbook; save it as .xlsx or CSV in Excel and try again.")
    if suffix in XLSX_SUFFIXES:
        return _xlsx_rows(file)
    return _csv_rows(file)


def _csv_rows(file: Path) -> Iterator[SheetRow]:
    raw = file.read_bytes()
    if raw[:4] == b"PK\x03\x04":
        return _xlsx_rows(file)
    text = raw.decode(detect_encoding(raw))
    sample = text[:8192]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t，")
    except csv.Error:
        dialect = csv.excel_tab if sample.count("\t") > sample.count(",") else csv.excel
    return _csv_iter(text, dialect)


def _csv_iter(text: str, dialect: Any) -> Iterator[SheetRow]:
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    start = 1
    for cells in reader:
        yield SheetRow(start, tuple(cells))
        start = reader.line_num + 1


def _xlsx_rows(file: Path) -> Iterator[SheetRow]:
    from openpyxl import load_workbook

    # Opened by handle, not by name: openpyxl refuses a name that does not end in .xlsx, and a workbook saved or
    # renamed as .csv is recognised by its bytes (see _csv_rows).
    with open(file, "rb") as handle:
        try:
            workbook = load_workbook(handle, read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many kinds for a damaged file
            raise ValidationError(f"{file.name} could not be opened as an Excel workbook: {error}.") from None
        try:
            sheet = workbook.worksheets[0]
            for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield SheetRow(number, tuple(cells))
        finally:
            workbook.close()


def is_blank(cells: Sequence[Any]) -> bool:
    return all(cell is None or not str(cell).strip() for cell in cells)


def write_csv(rows: Iterable[Sequence[Any]], out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if cell is None else cell for cell in row])


def write_xlsx(rows: Iterable[Sequence[Any]], out: BinaryIO | str | Path, title: str = "Sheet1") -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    for row in rows:
        sheet.append(list(row))
    workbook.save(out)
