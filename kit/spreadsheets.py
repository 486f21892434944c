"""Reading and writing spreadsheets as they are really kept: CSV in UTF-8 (with or without BOM), UTF-16 or
GB18030 from Chinese Excel, comma, semicolon or tab separated; and XLSX.

Decisions:
- Files are read as a stream, a row at a time (CSV through csv.reader over the open file, XLSX through openpyxl's
  read-only mode), so memory does not grow with the file. The encoding is decided by reading the file once in small
  pieces through an incremental decoder (strict UTF-8 must hold for the whole file, not just its start).
- A merged range of a workbook is read as its value in every cell it covers (a title merged across the sheet, a
  group header over two columns, a grid written once beside its residents): that is what a person sees. The ranges
  are read from the sheet's XML in one streamed pass before the rows, as read-only openpyxl does not give them.
- A file over `MAX_FILE_BYTES` (the setting imports.max_file_mb) is refused before anything is read: a register that
  big is more likely a wrong file than a neighbourhood, and openpyxl holds a workbook's shared strings in memory.
- A cell written out that starts like a formula is defused (`defuse_formula`), in every file Linli writes for a
  spreadsheet program: exports and the rejects of an import.
"""

from __future__ import annotations

import codecs
import csv
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO

from kit.errors import ValidationError

CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
MB = 1024 * 1024
MAX_FILE_BYTES = 50 * MB
_PIECE = 64 * 1024  # bytes decoded at a time while the encoding is checked
_SNIFF_CHARACTERS = 8192
_MERGE_REF = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Z]+[0-9]+)(?::([A-Z]+[0-9]+))?"')

# A spreadsheet cell starting like this would run as a formula in Excel (CSV injection); a plain number such as
# a phone in E.164 (+8613800138000) or -5 is left alone.
_FORMULA_START = ("=", "@", "\t", "\r")
_SIGNED_NUMBER = re.compile(r"^[+-][\d\s().-]*$")


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
        raise ValidationError("import.not_text") from None


def detect_file_encoding(file: Path) -> str:
    """`detect_encoding` for a file, read in pieces: the whole file must decode, a piece in memory at a time."""
    with open(file, "rb") as raw:
        start = raw.read(4)
        if start.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return detect_encoding(start)
        for encoding in ("utf-8", "gb18030"):
            raw.seek(0)
            if _decodes(raw, encoding):
                return encoding
    return detect_encoding(b"\xff")  # neither: the same refusal as for bytes


def _decodes(raw: BinaryIO, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        for piece in iter(lambda: raw.read(_PIECE), b""):
            decoder.decode(piece)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def read_rows(path: str | Path, *, max_bytes: int | None = MAX_FILE_BYTES) -> Iterator[SheetRow]:
    """Every row of the file with its line number, blank rows included (the caller skips them), read as the
    caller iterates. A file over `max_bytes` is refused (None: no limit)."""
    file = Path(path)
    suffix = file.suffix.lower()
    if not file.exists():
        raise ValidationError("import.no_file", path=file)
    if suffix == ".xls":
        raise ValidationError("import.old_xls", file=file.name)
    size = file.stat().st_size
    if max_bytes is not None and size > max_bytes:
        raise ValidationError("import.too_big", file=file.name, size=f"{size / MB:.1f}", limit=f"{max_bytes / MB:g}")
    if suffix in XLSX_SUFFIXES:
        return _xlsx_rows(file)
    return _csv_rows(file)


def _csv_rows(file: Path) -> Iterator[SheetRow]:
    with open(file, "rb") as raw:
        if raw.read(4) == b"PK\x03\x04":
            return _xlsx_rows(file)
    encoding = detect_file_encoding(file)
    with open(file, encoding=encoding, newline="") as text:
        sample = text.read(_SNIFF_CHARACTERS)
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t，")
    except csv.Error:
        dialect = csv.excel_tab if sample.count("\t") > sample.count(",") else csv.excel
    return _csv_iter(file, encoding, dialect)


def _csv_iter(file: Path, encoding: str, dialect: Any) -> Iterator[SheetRow]:
    with open(file, encoding=encoding, newline="") as text:
        reader = csv.reader(text, dialect)
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
            raise ValidationError("import.not_a_workbook", file=file.name, reason=str(error)) from None
        try:
            sheet = workbook.worksheets[0]
            merged = _merged_ranges(file, getattr(sheet, "_worksheet_path", None))
            rows = (SheetRow(n, tuple(cells)) for n, cells in enumerate(sheet.iter_rows(values_only=True), start=1))
            yield from _fill_merged(rows, merged) if merged else rows
        finally:
            workbook.close()


def _merged_ranges(file: Path, part: str | None) -> list[tuple[int, int, int, int]]:
    """(first row, first column, last row, last column) of each merged range of the worksheet stored at `part`,
    read from the worksheet's XML as a stream: the ranges sit after all the rows, where read-only openpyxl (which
    keeps the part's name in `_worksheet_path`) never looks."""
    if not part:
        return []
    collected: bytearray | None = None
    tail = b""
    with zipfile.ZipFile(file) as archive, archive.open(part.lstrip("/")) as xml:
        for piece in iter(lambda: xml.read(_PIECE * 16), b""):
            if collected is not None:
                collected += piece
                continue
            window = tail + piece
            start = window.find(b"mergeCells")
            if start < 0:
                tail = window[-16:]
            else:
                collected = bytearray(window[start:])
    if collected is None:
        return []
    ranges = []
    for match in _MERGE_REF.finditer(collected):
        first_row, first_column = _position(match.group(1))
        last_row, last_column = _position(match.group(2) or match.group(1))
        ranges.append((first_row, first_column, last_row, last_column))
    return sorted(ranges)


def _position(reference: bytes) -> tuple[int, int]:
    """b"AB12" -> (12, 28): a cell's row and column, counted from 1."""
    letters = reference.rstrip(b"0123456789")
    column = 0
    for letter in letters:
        column = column * 26 + letter - ord("A") + 1
    return int(reference[len(letters) :]), column


def _fill_merged(rows: Iterable[SheetRow], merged: list[tuple[int, int, int, int]]) -> Iterator[SheetRow]:
    """The rows with every cell of a merged range holding the value of its top-left cell (the only one a workbook
    stores): a title across the sheet, a group header over its columns, a grid written once beside its residents."""
    waiting = iter(merged)  # sorted by first row
    upcoming = next(waiting, None)
    active: list[tuple[int, int, int, Any]] = []  # last row, first column, last column, value
    for row in rows:
        cells = list(row.cells)
        while upcoming is not None and upcoming[0] <= row.line:
            _, first_column, last_row, last_column = upcoming
            value = cells[first_column - 1] if first_column <= len(cells) else None
            active.append((last_row, first_column, last_column, value))
            upcoming = next(waiting, None)
        active = [merge for merge in active if merge[0] >= row.line]
        if not active:
            yield row
            continue
        for _, first_column, last_column, value in active:
            cells.extend([None] * (last_column - len(cells)))
            cells[first_column - 1 : last_column] = [value] * (last_column - first_column + 1)
        yield SheetRow(row.line, tuple(cells))


def is_blank(cells: Sequence[Any]) -> bool:
    return all(cell is None or not str(cell).strip() for cell in cells)


def defuse_formula(value: Any) -> Any:
    """A text that a spreadsheet program would run as a formula (=, @, a tab or carriage return first; + or -
    first unless it is a plain number such as +8613800138000 or -5) with a ' in front, so it shows as the text it
    is; anything else unchanged."""
    if isinstance(value, str) and value and _is_formula(value):
        return "'" + value
    return value


def _is_formula(text: str) -> bool:
    if text.startswith(_FORMULA_START):
        return True
    return text[0] in "+-" and not _SIGNED_NUMBER.match(text)


def write_csv(rows: Iterable[Sequence[Any]], out: IO[str]) -> None:
    """Rows as CSV lines for a spreadsheet program: None empty, formulas defused."""
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if cell is None else defuse_formula(cell) for cell in row])


def write_xlsx(rows: Iterable[Sequence[Any]], out: BinaryIO | str | Path, title: str = "Sheet1") -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    for row in rows:
        sheet.append(list(row))
    workbook.save(out)
