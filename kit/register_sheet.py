"""A register sheet as Linli reads it: the header (one row or two), which column fills which field, the columns it
leaves unused, and the rows below with blank and total rows set aside.

Anything that reads a register does the same (kit.importer's `read_sheet` and `checked_rows`, which an update from
a revised sheet shares): `column_map` for the operator's `--map COLUMN=field`, `read_register` for the sheet,
`total_row_text` to set total rows aside, then `row_input` for each row.

Decisions:
- The header is the first row (of the first ten) naming a name column and one more. Title rows above it are passed
  over. When the row below it names columns too and has no resident's name (the lower half of a two-row header,
  merged cells already filled in by kit.spreadsheets), the two are read together: a column is named by both
  ("紧急联系人" over "电话" is the second contact's phone), else by its lower cell ("联系方式" over "手机" and "座机"
  gives 手机 and 座机), else by its upper one.
- An operator's `--map` comes first; the recognised names fill the fields still free; the first column wins a
  repeat. Every other named column is listed as ignored, so nothing is dropped without a word.
- A row whose first cell is a total (合计：15户, 总计, 小计, Total) is not a resident: it is set aside with its text,
  wherever it is (subtotals sit between grids). Blank rows are counted, not reported one by one.
- An address column fills building, unit and room when `kit.addresses` can split it and the row does not give them
  in their own columns. One it cannot split is kept whole, never guessed: as the room when the row has no address
  parts (so it still shows and still makes a household), else in the notes; either way with a note on the row.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Any

import data
from kit.addresses import split_address
from kit.errors import ValidationError
from kit.residents import ResidentInput
from kit.spreadsheets import MAX_FILE_BYTES, SheetRow, read_rows

HEADER_SEARCH_ROWS = 10
ADDRESS_PARTS = ("building", "unit", "room")
_INPUT_FIELDS = frozenset(f.name for f in fields(ResidentInput))
_TOTAL = re.compile(
    r"(?:合\s*计|总\s*计|小\s*计|共\s*计|grand\s*total|sub-?\s*totals?|totals?)(?![a-z])", re.IGNORECASE
)


@dataclass(frozen=True)
class RowNote:
    """Something the reading of one row decided that the operator should hear about (accepted, not rejected)."""

    line: int
    kind: str  # address_in_room, address_in_notes, landline
    value: str  # the cell it is about, as written


@dataclass(frozen=True)
class TotalRow:
    line: int
    text: str  # its first cell, as written


@dataclass
class RegisterSheet:
    """A register's header, and its rows below the header still to be read (once)."""

    header_line: int
    labels: tuple[str, ...]  # each column's name as a person reads it ("联系方式/座机" for a two-row header)
    columns: dict[str, int]  # field -> column index
    ignored: tuple[str, ...]  # named columns that fill no field, in sheet order
    rows: Iterator[SheetRow]


def _fold_header(text: Any) -> str:
    folded = unicodedata.normalize("NFKC", str(text or "")).casefold()
    for junk in " *_-:：()（）[]【】\u3000":
        folded = folded.replace(junk, "")
    for hint in ("必填", "选填", "required", "optional"):
        folded = folded.replace(hint, "")
    return folded


@lru_cache(maxsize=1)
def _header_lookup() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for field_name, names in data.read_toml("import_headers.toml").items():
        for name in [field_name, *names]:
            lookup[_fold_header(name)] = field_name
    return lookup


def field_names() -> tuple[str, ...]:
    """The fields a column can fill (data/import_headers.toml), in the file's order."""
    return tuple(dict.fromkeys(_header_lookup().values()))


def _header_field(cell: Any) -> str | None:
    """The field a header cell names; "电话/手机" (two names for one field, either way round) names it too."""
    lookup = _header_lookup()
    folded = _fold_header(cell)
    if folded in lookup:
        return lookup[folded]
    named = {lookup.get(part) for part in folded.split("/") if part} if "/" in folded else set()
    return named.pop() if len(named) == 1 else None


def column_map(pairs: Iterable[str]) -> dict[str, str]:
    """`--map COLUMN=field` options as {column: field}; raises ValidationError for a malformed pair, a field Linli
    does not have, or a column or field named twice. (Whether the columns exist is known once the sheet is read.)"""
    mapping: dict[str, str] = {}
    for pair in pairs:
        column, equals, wanted = (part.strip() for part in pair.partition("="))
        if not equals or not column or not wanted:
            raise ValidationError("sheet_columns.map_form", pair=pair)
        field_name = _header_lookup().get(_fold_header(wanted))
        if field_name is None:
            fields = ", ".join(field_names())
            raise ValidationError("sheet_columns.no_such_field", pair=pair, wanted=wanted, fields=fields)
        if _fold_header(column) in {_fold_header(c) for c in mapping}:
            raise ValidationError("sheet_columns.column_twice", pair=pair, column=column)
        if field_name in mapping.values():
            raise ValidationError("sheet_columns.target_twice", pair=pair, target=field_name)
        mapping[column] = field_name
    return mapping


def map_header(cells: Sequence[Any], mapping: dict[str, str] | None = None) -> dict[str, int]:
    """Field name -> column index for a one-row header (see `_assign`)."""
    return _assign([(_cell_text(cell),) for cell in cells], mapping or {})


def _assign(names: Sequence[tuple[str, ...]], mapping: dict[str, str]) -> dict[str, int]:
    """Field -> column index, each column given by its names (most specific first): the operator's mapping first,
    then the first recognised name of each column for a field still free."""
    wanted = {_fold_header(column): field_name for column, field_name in mapping.items()}
    columns: dict[str, int] = {}
    for index, column_names in enumerate(names):
        mapped = next((wanted[f] for f in map(_fold_header, column_names) if f in wanted), None)
        if mapped is not None:
            columns.setdefault(mapped, index)
    taken = set(columns.values())
    for index, column_names in enumerate(names):
        if index in taken:
            continue
        field_name = next((f for f in map(_header_field, column_names) if f), None)
        if field_name is not None and field_name not in columns and field_name not in mapping.values():
            columns[field_name] = index
    return columns


def _cell_text(cell: Any) -> str:
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    return " ".join(str(cell).split()) if cell is not None else ""


def total_row_text(cells: Sequence[Any]) -> str | None:
    """The first cell of a total row (合计：15户, 总计, 小计, Total: 15), or None for any other row."""
    first = next((text for text in map(_cell_text, cells) if text), "")
    return first if _TOTAL.match(unicodedata.normalize("NFKC", first)) else None


def read_register(
    path: str | Path, *, mapping: dict[str, str] | None = None, max_bytes: int | None = MAX_FILE_BYTES
) -> RegisterSheet:
    """The register's header read (title rows above it skipped), its rows ready to iterate. Raises
    ValidationError when no header is found, when it has no phone column, or when `mapping` names a column it
    does not have."""
    mapping = mapping or {}
    rows = read_rows(path, max_bytes=max_bytes)
    header = _find_header(rows, mapping)
    following = next(rows, None)
    if following is not None and _is_lower_header(header, following, mapping):
        names = _two_row_names(header.cells, following.cells)
    else:
        names = [(_cell_text(cell),) for cell in header.cells]
        rows = itertools.chain([following] if following is not None else [], rows)
    labels = tuple(column_names[0] for column_names in names)
    columns = _assign(names, mapping)
    _check_mapped_columns(mapping, names, header.line, labels)
    if "phone" not in columns:
        found = ", ".join(label for label in labels if label)
        raise ValidationError("sheet_columns.no_phone_column", line=header.line, found=found)
    used = {labels[index] for index in columns.values()}  # a group header merged over several columns: said once
    ignored = tuple(dict.fromkeys(label for label in labels if label and label not in used))
    return RegisterSheet(header.line, labels, columns, ignored, rows)


def _find_header(rows: Iterator[SheetRow], mapping: dict[str, str]) -> SheetRow:
    for row in itertools.islice(rows, HEADER_SEARCH_ROWS):
        columns = map_header(row.cells, mapping)
        if "name" in columns and len(columns) >= 2:
            return row
    raise ValidationError("sheet_columns.no_header", rows=HEADER_SEARCH_ROWS)


def _is_lower_header(header: SheetRow, row: SheetRow, mapping: dict[str, str]) -> bool:
    """Whether `row` is the lower half of a two-row header: no resident's name under the name column, and a column
    name that is not just the one above it (a cell merged down)."""
    name_at = map_header(header.cells, mapping)["name"]
    above = [_cell_text(cell) for cell in header.cells]
    below = [_cell_text(cell) for cell in row.cells]
    name_below = below[name_at] if name_at < len(below) else ""
    if name_below and name_below != above[name_at]:
        return False
    wanted = {_fold_header(column) for column in mapping}
    return any(
        text and (index >= len(above) or text != above[index]) and (_header_field(text) or _fold_header(text) in wanted)
        for index, text in enumerate(below)
    )


def _two_row_names(upper: Sequence[Any], lower: Sequence[Any]) -> list[tuple[str, ...]]:
    names: list[tuple[str, ...]] = []
    for index in range(max(len(upper), len(lower))):
        top = _cell_text(upper[index]) if index < len(upper) else ""
        bottom = _cell_text(lower[index]) if index < len(lower) else ""
        if not bottom or bottom == top:
            names.append((top,))
        elif not top:
            names.append((bottom,))
        else:
            names.append((f"{top}/{bottom}", f"{top}{bottom}", bottom))
    return names


def _check_mapped_columns(
    mapping: dict[str, str], names: Sequence[tuple[str, ...]], line: int, labels: Sequence[str]
) -> None:
    present = {_fold_header(name) for column_names in names for name in column_names if name}
    for column, field_name in mapping.items():
        if _fold_header(column) not in present:
            found = ", ".join(dict.fromkeys(label for label in labels if label))
            raise ValidationError(
                "sheet_columns.no_mapped_column", column=column, target=field_name, line=line, found=found
            )


def _cell(cells: Sequence[Any], index: int) -> Any:
    return cells[index] if index < len(cells) else None


def row_input(row: SheetRow, columns: dict[str, int]) -> tuple[ResidentInput, list[RowNote]]:
    """The row's cells (`columns` as in `RegisterSheet`) as the raw values of a resident, its address split (see
    the module's Decisions), and the notes the row earned."""
    values = {name: _cell(row.cells, index) for name, index in columns.items() if name in _INPUT_FIELDS}
    notes: list[RowNote] = []
    address = _cell_text(_cell(row.cells, columns["address"])) if "address" in columns else ""
    if address:
        parts = split_address(address)
        has_own = any(_cell_text(values.get(part)) for part in ADDRESS_PARTS)
        if parts is not None:
            for part, value in zip(ADDRESS_PARTS, parts):
                if not _cell_text(values.get(part)):
                    values[part] = value
        elif not has_own:
            values["room"] = address
            notes.append(RowNote(row.line, "address_in_room", address))
        else:
            values["notes"] = "; ".join(text for text in (_cell_text(values.get("notes")), address) if text)
            notes.append(RowNote(row.line, "address_in_notes", address))
    return ResidentInput(**values), notes
