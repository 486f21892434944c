"""Importing residents from the spreadsheets communities really keep.

Phases: read the file (encoding and delimiter detected), find the header row (English or Chinese names, title rows
above it skipped), validate every row (line numbers as Excel shows them), then write the valid rows with bulk
inserts. Without `skip_invalid`, one bad row means nothing is written.

Decisions:
- The file is streamed (kit.spreadsheets), and the rows that pass are kept in a temporary file (pickled, a batch at
  a time; an unnamed file only this process reads, gone when it closes), not in memory: memory stays flat however
  long the register, and the write phase does not parse every phone number a second time.
- The write commits every `COMMIT_ROWS` rows (tens of milliseconds each), far under the busy timeout, so the
  dispatcher and the webhooks are never kept waiting long by an import. The import stays all-or-nothing by undoing:
  the ids of what each batch wrote (residents, and the grids and households it created) are kept, and if a later
  batch fails (a full disk, a lock held too long, Ctrl-C) they are deleted again before the error is raised. The
  audit entry is written with the last batch, so a finished import is exactly one with its audit entry. A process
  killed outright while writing cannot undo; its batches stay, whole, and are found by their creation time.
- Between batches other readers can see the residents written so far; a round started in that moment may include
  them. That is the price of not holding the write lock for the whole import.
"""

from __future__ import annotations

import pickle
import sqlite3
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

import peewee

import data
from kit import audit
from kit.bulk import insert_rows, reserve_ids
from kit.clock import utcnow
from kit.community import get_community
from kit.db import transaction
from kit.errors import ImportFailed, ValidationError
from kit.import_batches import Written, undo
from kit.models import Community, Grid, Household, Resident, ResidentTag
from kit.private_files import open_private
from kit.residents import ResidentInput, ResidentRecord, search_text_for, validate_resident
from kit.spreadsheets import MAX_FILE_BYTES, SheetRow, is_blank, read_rows, write_csv

HEADER_SEARCH_ROWS = 10
CHUNK = 500  # values in one IN (...) query
COMMIT_ROWS = 2000  # rows per write transaction


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
    max_bytes: int | None = MAX_FILE_BYTES,
) -> ImportResult:
    """Import every resident in the file. Raises ImportFailed (nothing written) when a row is bad and
    `skip_invalid` is False; otherwise imports the good rows and, with `rejects_path`, writes the bad ones there.
    A file over `max_bytes` is refused before it is read."""
    rows = read_rows(path, max_bytes=max_bytes)
    header, columns, _ = _find_header(rows)
    result = ImportResult(header=tuple(str(c or "") for c in header.cells), columns=columns)
    with tempfile.TemporaryFile(prefix="linli-import-") as spill:
        valid = _check_rows(rows, result, spill, progress)
        if result.rejected and not skip_invalid:
            problems = [(r.line, r.reason) for r in result.rejected]
            raise ImportFailed(
                f"{len(problems)} of {valid + len(result.rejected)} rows have problems; "
                "fix them or use --skip-invalid.",
                problems,
            )
        spill.seek(0)
        detail = {"file": Path(path).name, "imported": valid, "rejected": len(result.rejected)}
        _write_batches(_batches(spill), actor, detail)
    result.imported = valid
    if rejects_path is not None and result.rejected:
        write_rejects(rejects_path, result)
    return result


def _check_rows(
    rows: Iterable[SheetRow], result: ImportResult, spill: IO[bytes], progress: Callable[[int], None] | None
) -> int:
    """Validate every row after the header; rejects go to `result`, the rest to `spill` in batches of
    `COMMIT_ROWS`. Returns how many rows passed."""
    community = get_community()
    today = utcnow().date()
    batch: list[tuple[SheetRow, ResidentRecord]] = []
    first_line_of_phone: dict[str, int] = {}
    checked = valid = 0
    for row in rows:
        if is_blank(row.cells):
            result.blank_rows += 1
            continue
        checked += 1
        try:
            batch.append((row, _validated(row, result.columns, community, today, first_line_of_phone)))
        except ValidationError as error:
            result.rejected.append(Rejected(row.line, _reason(error), row.cells))
        if len(batch) >= COMMIT_ROWS:
            valid += _spill(batch, result, spill)
        if progress and checked % 1000 == 0:
            progress(1000)
    valid += _spill(batch, result, spill)
    result.rejected.sort(key=lambda r: r.line)
    return valid


def _validated(
    row: SheetRow, columns: dict[str, int], community: Community, today: date, first_line_of_phone: dict[str, int]
) -> ResidentRecord:
    raw = ResidentInput(**{name: _cell(row.cells, index) for name, index in columns.items()})
    record = validate_resident(raw, community, today=today)
    if record.phone:
        earlier = first_line_of_phone.setdefault(record.phone, row.line)
        if earlier != row.line:
            raise ValidationError(f"phone {record.phone} is already on line {earlier}")
    return record


def _spill(batch: list[tuple[SheetRow, ResidentRecord]], result: ImportResult, spill: IO[bytes]) -> int:
    """Reject the batch's phones already in the database, keep the rest in `spill`; empties `batch`."""
    _reject_registered_phones(batch, result)
    kept = [record for _, record in batch]
    if kept:
        pickle.dump(kept, spill, protocol=pickle.HIGHEST_PROTOCOL)
    batch.clear()
    return len(kept)


def _batches(spill: IO[bytes]) -> Iterator[list[ResidentRecord]]:
    while True:
        try:
            yield pickle.load(spill)
        except EOFError:
            return


def _write_batches(batches: Iterator[list[ResidentRecord]], actor: str, detail: dict[str, Any]) -> None:
    """One transaction per batch, the audit entry with the last; if any fails, what was written is undone."""
    written = Written()
    try:
        batch = next(batches, None)
        while batch is not None:
            following = next(batches, None)
            with transaction():
                store_residents(batch, written)
                if following is None:
                    audit.record(actor, "import", "resident", None, **detail)
            batch = following
    except BaseException as error:
        if written.residents:
            undo(written, error)
        if isinstance(error, (peewee.IntegrityError, sqlite3.IntegrityError)):
            raise ImportFailed(
                f"The residents changed while the file was being imported ({error}); nothing was written. "
                "Import it again."
            ) from error
        raise


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


def store_residents(records: Sequence[ResidentRecord], written: Written | None = None) -> list[int]:
    """Insert validated residents in bulk (the caller holds the write transaction); returns their ids in order.
    Grids and households are found or created a chunk at a time, never with one query per row. `written`, when
    given, collects what was created."""
    written = written if written is not None else Written()
    now = utcnow()
    grid_ids = _ensure_grids({r.grid for r in records if r.grid}, now, written)
    household_ids = _ensure_households(records, grid_ids, written)
    ids = reserve_ids(Resident, len(records))
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
    written.add_residents(ids)
    return ids


def _ensure_grids(names: set[str], now: Any, written: Written) -> dict[str, int]:
    existing = dict(Grid.select(Grid.name, Grid.id).where(Grid.name.in_(list(names))).tuples()) if names else {}
    missing = sorted(names - set(existing))
    if missing:
        Grid.insert_many([(name, now) for name in missing], fields=[Grid.name, Grid.created_at]).execute()
        created = dict(Grid.select(Grid.name, Grid.id).where(Grid.name.in_(missing)).tuples())
        written.grids.extend(created.values())
        existing.update(created)
    return existing


def _ensure_households(
    records: Sequence[ResidentRecord], grid_ids: dict[str, int], written: Written
) -> dict[tuple[str, str, str], int]:
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
    rows = [(household_id, *row) for household_id, row in zip(reserve_ids(Household, len(missing)), missing)]
    insert_rows(Household, [Household.id, Household.building, Household.unit, Household.room, Household.grid], rows)
    for household_id, building, unit, room, _ in rows:
        known[(building, unit, room)] = household_id
    written.households.extend(row[0] for row in rows)
    return known


def write_rejects(path: str | Path, result: ImportResult) -> None:
    """The rejected rows, as they were, with their line and reason first: UTF-8 with BOM so Excel opens it."""
    with open_private(path, "w", encoding="utf-8-sig", newline="") as out:  # the rows hold names and phones
        write_csv(
            [("line", "reason", *result.header), *((r.line, r.reason, *r.cells) for r in result.rejected)],
            out,
        )
