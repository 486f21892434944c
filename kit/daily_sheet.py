"""The street office's own daily form, filled from a day's figures: no code to adapt Linli to a new form.

A map (TOML, beside the template with the same name, or given) says where each figure goes:

    [cells]                        # single cells; "Sheet!B4" or "B4" (the first sheet)
    "B2" = "community"
    "F2" = "date"
    "C4" = "asked"                 # a figure alone is the community's total
    "C5" = "total.fever"           # the same, spelled out

    [[tables]]                     # one row per grid, from start_row down
    sheet = "分网格"                 # optional: the first sheet
    start_row = 4
    total_row = true               # optional: a row of totals after the grids
    [tables.columns]
    A = "grid"
    B = "residents"
    C = "asked"

Decisions:
- Every problem with a map is found before anything is written, and named so that the operator can fix the map
  alone: an unknown figure lists the known ones; a cell outside the sheet, on a missing sheet or inside a merged
  range (anything but its top-left cell, which holds the merged value) is refused with its address.
- The template itself is never changed: the filled copy is written beside the output through a temporary file.
- Labels (the grid column's "合计", "未分网格", the date) are in the community's language (data/figures.toml).
- A problem names its place in the map ("the map, table 1, column B") in the reader's language: the place is a
  function of the language, read when the error is shown (`kit.errors`).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zipfile import BadZipFile

from kit import ui_words
from kit.errors import ValidationError
from kit.figures import FIGURES, NO_GRID, DayFigures, figure_labels
from kit.plaintext import visible
from kit.private_files import open_private
from kit.spreadsheets import defuse_formula

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

SPECIAL = ("community", "date", "grid")
MAX_ROW, MAX_COLUMN = 1_048_576, 16_384  # Excel's own limits
_CELL = re.compile(r"^([A-Za-z]{1,3})([1-9]\d*)$")
_COLUMN = re.compile(r"^[A-Za-z]{1,3}$")


class MapError(ValidationError):
    """A map or template that cannot be filled; the message names the place to fix."""

    title_key = "daily_sheet"


Place = Callable[[str], str]  # where in a map a problem is, in a language


def _place(key: str, **values: Any) -> Place:
    """The words of [errors.daily_sheet.place] `key` in a language, with the places inside them read in it too."""

    def words(language: str) -> str:
        shown = {name: value(language) if callable(value) else value for name, value in values.items()}
        return ui_words.text(language, f"errors.daily_sheet.place.{key}", **shown)

    return words


@dataclass(frozen=True)
class Table:
    sheet: str | None
    start_row: int
    columns: dict[str, str]  # column letter -> figure, "grid" or "date"
    total_row: bool = False


@dataclass(frozen=True)
class SheetMap:
    cells: dict[tuple[str | None, str], str] = field(default_factory=dict)  # (sheet, "B4") -> what
    tables: list[Table] = field(default_factory=list)


def known_names() -> str:
    return ", ".join((*SPECIAL, *FIGURES))


def map_path_for(template: str | os.PathLike[str]) -> Path:
    """The map that goes with a template: the same name, ending .toml."""
    return Path(template).with_suffix(".toml")


def load_map(path: str | os.PathLike[str]) -> SheetMap:
    file = Path(path)
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise MapError("daily_sheet.no_map", file=file) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise MapError("daily_sheet.bad_toml", file=file, reason=str(error)) from None
    return parse_map(raw, _place("map_file", file=str(file)))


def parse_map(raw: Mapping[str, Any], where: Place | None = None) -> SheetMap:
    """The map in `raw` (read from TOML); MapError naming the place to fix, `where` being the map (its file)."""
    where = where or _place("map")
    cells: dict[tuple[str | None, str], str] = {}
    for place, what in dict(raw.get("cells") or {}).items():
        sheet, cell = _split_place(str(place), where)
        cells[(sheet, cell)] = _figure(what, _place("cell", where=where, place=place), allow_grid=False)
    tables = [
        _table(item, _place("table", where=where, number=n)) for n, item in enumerate(raw.get("tables") or [], start=1)
    ]
    if not cells and not tables:
        raise MapError("daily_sheet.maps_nothing", where=where)
    return SheetMap(cells, tables)


def _split_place(place: str, where: Place) -> tuple[str | None, str]:
    sheet, _, cell = place.rpartition("!")
    _check_cell(cell, _place("cell", where=where, place=place))
    return (sheet or None), cell.upper()


def _check_cell(cell: str, where: Place) -> None:
    match = _CELL.match(cell)
    if not match or _column_number(match.group(1)) > MAX_COLUMN or int(match.group(2)) > MAX_ROW:
        raise MapError("daily_sheet.not_a_cell", where=where, cell=cell)


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def _figure(what: Any, where: Place, *, allow_grid: bool) -> str:
    name = str(what).strip()
    name = name.removeprefix("total.")
    allowed = (*SPECIAL, *FIGURES) if allow_grid else ("community", "date", *FIGURES)
    if name not in allowed:
        raise MapError("daily_sheet.unknown_figure", where=where, what=what, known=known_names())
    return name


def _table(raw: Any, where: Place) -> Table:
    if not isinstance(raw, Mapping):
        raise MapError("daily_sheet.not_a_table", where=where)
    start = raw.get("start_row")
    if not isinstance(start, int) or isinstance(start, bool) or not 1 <= start <= MAX_ROW:
        raise MapError("daily_sheet.bad_start_row", where=where)
    columns = {}
    for letter, what in dict(raw.get("columns") or {}).items():
        if not _COLUMN.match(str(letter)) or _column_number(str(letter)) > MAX_COLUMN:
            raise MapError("daily_sheet.not_a_column", where=where, letter=letter)
        columns[str(letter).upper()] = _figure(what, _place("column", where=where, letter=letter), allow_grid=True)
    if not columns:
        raise MapError("daily_sheet.no_columns", where=where)
    sheet = raw.get("sheet")
    return Table(str(sheet) if sheet else None, start, columns, bool(raw.get("total_row", False)))


# --- filling ---------------------------------------------------------------------------------------------------


def fill_template(
    template: str | os.PathLike[str],
    sheet_map: SheetMap,
    figures: DayFigures,
    output: str | os.PathLike[str],
    *,
    language: str,
) -> int:
    """Write a copy of `template` with the figures in place to `output`; returns how many cells were written."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    source, target = Path(template), Path(output)
    if source.resolve() == target.resolve():
        raise MapError("daily_sheet.output_is_template", output=target)
    try:
        book = load_workbook(source)
    except FileNotFoundError:
        raise MapError("daily_sheet.no_template", file=source) from None
    except (InvalidFileException, BadZipFile, KeyError, OSError, ValueError) as error:
        raise MapError("daily_sheet.not_xlsx", file=source, reason=str(error)) from None
    writes = _planned_writes(sheet_map, figures, figure_labels(language))
    for sheet_name, cell, _, in_table in writes:
        _check_writable(book, sheet_name, cell, in_table=in_table)
    for sheet_name, cell, value, _ in writes:
        _sheet(book, sheet_name)[cell].value = value
    partial = target.with_name(f".{target.name}.partial")
    try:
        with open_private(partial, "wb") as file:
            book.save(file)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return len(writes)


Write = tuple[str | None, str, Any, bool]  # sheet, cell, value, part of a per-grid table


def _planned_writes(sheet_map: SheetMap, figures: DayFigures, labels: Mapping[str, str]) -> list[Write]:
    totals = figures.totals
    common: dict[str, Any] = {"community": _text(figures.community), "date": figures.day}
    writes: list[Write] = [
        (sheet, cell, common[what] if what in common else totals[what], False)
        for (sheet, cell), what in sheet_map.cells.items()
    ]
    for table in sheet_map.tables:
        rows: list[tuple[str, Mapping[str, int]]] = [
            (_text(row.grid) if row.grid != NO_GRID else labels["no_grid"], row.figures) for row in figures.grids
        ]
        if table.total_row:
            rows.append((labels["total"], totals))
        for offset, (grid, values) in enumerate(rows):
            row_number = table.start_row + offset
            if row_number > MAX_ROW:
                raise MapError("daily_sheet.past_end", row=table.start_row)
            for letter, what in table.columns.items():
                value = grid if what == "grid" else common[what] if what in common else values[what]
                writes.append((table.sheet, f"{letter}{row_number}", value, True))
    return writes


def _text(label: str) -> str:
    """A name from the register as a cell: control characters shown (an XLSX cell cannot hold them) and a
    formula defused (=HYPERLINK(...) as a grid's name is text, not a link the street office would follow)."""
    return str(defuse_formula(visible(label)))


def _sheet(book: Any, name: str | None) -> Any:
    if name is None:
        return book.worksheets[0]
    if name not in book.sheetnames:
        raise MapError("daily_sheet.no_sheet", sheet=name, sheets=", ".join(book.sheetnames))
    return book[name]


def _check_writable(book: Any, sheet_name: str | None, cell: str, *, in_table: bool) -> None:
    """A cell of a per-grid table must be empty in the template: a form with room for fewer grids than the
    community has would otherwise lose its footer (signatures, notes) under the last rows."""
    sheet = _sheet(book, sheet_name)
    if in_table and sheet[cell].value not in (None, ""):
        raise MapError("daily_sheet.would_overwrite", value=sheet[cell].value, sheet=sheet.title, cell=cell)
    for merged in sheet.merged_cells.ranges:
        if cell in merged and cell != merged.start_cell.coordinate:
            first = merged.start_cell.coordinate
            raise MapError("daily_sheet.merged", sheet=sheet.title, cell=cell, merged=merged.coord, first=first)
