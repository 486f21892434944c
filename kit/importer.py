"""Importing residents from the spreadsheets communities really keep.

Phases: read the file (encoding and delimiter detected), find the header row (English or Chinese names, title rows
above it skipped), validate every row (line numbers as Excel shows them), then write all valid rows in one
transaction with bulk inserts. Without `skip_invalid`, one bad row means nothing is written.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import data
from kit import audit
from kit.bulk import insert_rows, reserve_ids
from kit.clock import utcnow
from kit.community import get_community
from kit.db import transaction
from kit.errors import ImportFailed, ValidationError
from kit.models import Grid, Household, Resident, ResidentTag
from kit.residents import ResidentInput, ResidentRecord, search_text_for, validate_resident
from kit.spreadsheets import SheetRow, is_blank, read_rows, write_csv

HEADER_SEARCH_ROWS = 10
CHUNK = 500


@dataclass
class Rejected:
    line: int
    reason: str
    cells: tuple[Any, ...]


@dataclass
class ImportResult:
    imported: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    header: tuple[str, ...] = ()
    columns: dict[str, int] = field(default_factory=dict)
    blank_rows: int = 0

    @property
    def read(self) -> int:
        return self.imported + len(self.rejected)


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


def _header_field(cell: Any) -> str | None:
    """The field a header cell names; "电话/手机" (two names for one field, either way round) names it too."""
    lookup = _header_lookup()
    folded = _fold_header(cell)
    if folded in lookup:
        return lookup[folded]
    named = {lookup.get(part) for part in folded.split("/") if part} if "/" in folded else set()
    return named.pop() if len(named) == 1 else None


def map_header(cells: Sequence[Any]) -> dict[str, int]:
    """Field name -> column index for the header cells Linli recognises (the first column wins a repeat)."""
    columns: dict[str, int] = {}
    for index, cell in enumerate(cells):
        field_name = _header_field(cell)
        if field_name and field_name not in columns:
            columns[field_name] = index
    return columns


def _find_header(rows: Iterable[SheetRow]) -> tuple[SheetRow, dict[str, int], list[SheetRow]]:
    seen: list[SheetRow] = []
    for row in rows:
        seen.append(row)
        columns = map_header(row.cells)
        if "name" in columns and len(columns) >= 2:
            if "phone" not in columns:
                found = ", ".join(str(cell) for cell in row.cells if cell not in (None, ""))
                raise ValidationError(
                    f"Line {row.line} names the columns ({found}) but none of them is a phone column. Name it "
                    "电话 or phone; if nobody in the file has a phone, add an empty 电话 column so that everybody "
                    "is put on the door-knock list on purpose."
                )
            return row, columns, seen
        if len(seen) >= HEADER_SEARCH_ROWS:
            break
    raise ValidationError(
        "No header row found in the first 10 rows. The file needs a row naming its columns, at least "
        "姓名/name and 电话/phone (see `linli import residents --help`)."
    )


def import_residents(
    path: str | Path,
    *,
    skip_invalid: bool = False,
    rejects_path: str | Path | None = None,
    progress: Callable[[int], None] | None = None,
    actor: str = "cli",
) -> ImportResult:
    """Import every resident in the file. Raises ImportFailed (nothing written) when a row is bad and
    `skip_invalid` is False; otherwise imports the good rows and, with `rejects_path`, writes the bad ones there."""
    community = get_community()
    today = utcnow().date()
    rows = read_rows(path)
    header, columns, _ = _find_header(rows)
    result = ImportResult(header=tuple(str(c or "") for c in header.cells), columns=columns)
    records: list[tuple[SheetRow, ResidentRecord]] = []
    first_line_of_phone: dict[str, int] = {}
    for row in rows:
        if is_blank(row.cells):
            result.blank_rows += 1
            continue
        raw = ResidentInput(**{name: _cell(row.cells, index) for name, index in columns.items()})
        try:
            record = validate_resident(raw, community, today=today)
            if record.phone:
                earlier = first_line_of_phone.setdefault(record.phone, row.line)
                if earlier != row.line:
                    raise ValidationError(f"phone {record.phone} is already on line {earlier}")
        except ValidationError as error:
            result.rejected.append(Rejected(row.line, _reason(error), row.cells))
        else:
            records.append((row, record))
        if progress and (len(records) + len(result.rejected)) % 1000 == 0:
            progress(1000)
    _reject_registered_phones(records, result)
    if result.rejected and not skip_invalid:
        problems = [(r.line, r.reason) for r in result.rejected]
        raise ImportFailed(
            f"{len(problems)} of {len(records) + len(result.rejected)} rows have problems; "
            "fix them or use --skip-invalid.",
            problems,
        )
    if records:
        with transaction():
            store_residents([record for _, record in records])
            audit.record(
                actor,
                "import",
                "resident",
                None,
                file=Path(path).name,
                imported=len(records),
                rejected=len(result.rejected),
            )
    result.imported = len(records)
    if rejects_path is not None and result.rejected:
        write_rejects(rejects_path, result)
    return result


def _cell(cells: tuple[Any, ...], index: int) -> Any:
    return cells[index] if index < len(cells) else None


def _reason(error: ValidationError) -> str:
    return f"{error.field}: {error.message}" if error.field and error.field not in error.message else error.message


def _reject_registered_phones(records: list[tuple[SheetRow, ResidentRecord]], result: ImportResult) -> None:
    """Rows whose phone already belongs to a resident in the database become rejects (one query per chunk)."""
    phones = [record.phone for _, record in records if record.phone]
    registered: dict[str, tuple[int, str]] = {}
    for start in range(0, len(phones), CHUNK):
        chunk = phones[start : start + CHUNK]
        for resident_id, name, phone in (
            Resident.select(Resident.id, Resident.name, Resident.phone).where(Resident.phone.in_(chunk)).tuples()
        ):
            registered[phone] = (resident_id, name)
    if not registered:
        return
    kept = []
    for row, record in records:
        if record.phone in registered:
            resident_id, name = registered[record.phone]
            reason = f"phone: {record.phone} is already registered to {name} (resident #{resident_id})"
            result.rejected.append(Rejected(row.line, reason, row.cells))
        else:
            kept.append((row, record))
    records[:] = kept
    result.rejected.sort(key=lambda r: r.line)


def store_residents(records: Sequence[ResidentRecord]) -> list[int]:
    """Insert validated residents in bulk (the caller holds the write transaction); returns their ids in order.
    Grids and households are found or created a chunk at a time, never with one query per row."""
    now = utcnow()
    grid_ids = _ensure_grids({r.grid for r in records if r.grid}, now)
    household_ids = _ensure_households(records, grid_ids)
    first = reserve_ids(Resident, len(records))
    ids = list(range(first, first + len(records)))
    rows = [
        (
            resident_id, r.name, r.phone, r.second_phone, r.language, r.birth_year, r.status, r.monitoring,
            r.monitoring_until, r.notes, False, grid_ids.get(r.grid) if r.grid else None,
            household_ids.get((r.building, r.unit, r.room)),
            search_text_for(r.name, r.phone, r.address, r.grid), now, now,
        )
        for resident_id, r in zip(ids, records)
    ]  # fmt: skip
    fields = [
        Resident.id, Resident.name, Resident.phone, Resident.second_phone, Resident.language, Resident.birth_year,
        Resident.status, Resident.monitoring, Resident.monitoring_until, Resident.notes, Resident.opted_out,
        Resident.grid, Resident.household, Resident.search_text, Resident.created_at, Resident.updated_at,
    ]  # fmt: skip
    insert_rows(Resident, fields, rows)
    tags = [(resident_id, tag) for resident_id, r in zip(ids, records) for tag in r.tags]
    insert_rows(ResidentTag, [ResidentTag.resident, ResidentTag.tag], tags)
    return ids


def _ensure_grids(names: set[str], now: Any) -> dict[str, int]:
    existing = dict(Grid.select(Grid.name, Grid.id).where(Grid.name.in_(list(names))).tuples()) if names else {}
    missing = sorted(names - set(existing))
    if missing:
        Grid.insert_many([(name, now) for name in missing], fields=[Grid.name, Grid.created_at]).execute()
        existing.update(Grid.select(Grid.name, Grid.id).where(Grid.name.in_(missing)).tuples())
    return existing


def _ensure_households(records: Sequence[ResidentRecord], grid_ids: dict[str, int]) -> dict[tuple[str, str, str], int]:
    wanted: dict[tuple[str, str, str], int | None] = {}
    for r in records:
        if r.address:
            key = (r.building, r.unit, r.room)
            if wanted.get(key) is None:
                wanted[key] = grid_ids.get(r.grid) if r.grid else None
    if not wanted:
        return {}
    known: dict[tuple[str, str, str], int] = {}
    buildings = sorted({key[0] for key in wanted})
    for start in range(0, len(buildings), CHUNK):
        query = Household.select(Household.building, Household.unit, Household.room, Household.id).where(
            Household.building.in_(buildings[start : start + CHUNK])
        )
        for building, unit, room, household_id in query.tuples():
            known[(building, unit, room)] = household_id
    missing = [(*key, grid_id) for key, grid_id in wanted.items() if key not in known]
    first = reserve_ids(Household, len(missing))
    rows = [(first + offset, *row) for offset, row in enumerate(missing)]
    insert_rows(Household, [Household.id, Household.building, Household.unit, Household.room, Household.grid], rows)
    for household_id, building, unit, room, _ in rows:
        known[(building, unit, room)] = household_id
    return known


def write_rejects(path: str | Path, result: ImportResult) -> None:
    """The rejected rows, as they were, with their line and reason first: UTF-8 with BOM so Excel opens it."""
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        write_csv(
            [("line", "reason", *result.header), *((r.line, r.reason, *r.cells) for r in result.rejected)],
            out,
        )
