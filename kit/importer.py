"""Importing residents from the spreadsheets communities really keep.

Phases: read the file (encoding and delimiter detected), find the header row (English or Chinese names, title rows
above it skipped, a two-row header, the operator's `--map`: kit.register_sheet), validate every row (line numbers as
Excel shows them; total rows set aside, addresses split, landlines tagged), then write the valid rows with bulk
inserts. Without `skip_invalid`, one bad row means nothing is written. kit.import_text says what happened.

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
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any

import peewee

from kit import audit, ui_words
from kit.bulk import insert_rows, reserve_ids
from kit.clock import utcnow
from kit.community import get_community
from kit.db import transaction
from kit.errors import ImportFailed, ValidationError
from kit.import_batches import Written, undo
from kit.landlines import mark_landline
from kit.models import Community, Grid, Household, Resident, ResidentTag
from kit.people import SheetPhones, address_key, holders_of, other_household
from kit.private_files import open_private
from kit.register_sheet import RowNote, TotalRow, read_register, row_input, total_row_text
from kit.resident_matching import phoneless_already_registered
from kit.residents import ResidentInput, ResidentRecord, search_text_for, validate_resident
from kit.spreadsheets import MAX_FILE_BYTES, SheetRow, is_blank, write_csv

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
    ignored: tuple[str, ...] = ()  # named columns that fill no field
    totals: list[TotalRow] = field(default_factory=list)  # total rows (合计：15户) set aside
    notes: list[RowNote] = field(default_factory=list)  # rows imported with a word to say: a landline, an address
    already_registered: int = 0  # rows without a phone whose name and address are registered already: left out

    @property
    def read(self) -> int:
        return self.imported + len(self.rejected) + self.already_registered


def import_residents(
    path: str | Path,
    *,
    skip_invalid: bool = False,
    rejects_path: str | Path | None = None,
    progress: Callable[[int], None] | None = None,
    actor: str = "cli",
    max_bytes: int | None = MAX_FILE_BYTES,
    mapping: dict[str, str] | None = None,
) -> ImportResult:
    """Import every resident in the file. Raises ImportFailed (nothing written) when a row is bad and
    `skip_invalid` is False; otherwise imports the good rows and, with `rejects_path`, writes the bad ones there.
    A file over `max_bytes` is refused before it is read. `mapping` (column -> field, from
    kit.register_sheet.column_map) names the columns Linli does not recognise by itself."""
    result, rows = read_sheet(path, mapping=mapping, max_bytes=max_bytes)
    with tempfile.TemporaryFile(prefix="linli-import-") as spill:
        valid = _check_rows(rows, result, spill, progress)
        if result.rejected and not skip_invalid:
            problems = [(r.line, r.reason) for r in result.rejected]
            total = valid + len(result.rejected)
            raise ImportFailed("import.rows_have_problems", problems, count=len(problems), total=total)
        spill.seek(0)
        detail = {"file": Path(path).name, "imported": valid, "rejected": len(result.rejected)}
        if result.already_registered:
            detail["already_registered"] = result.already_registered
        _write_batches(_batches(spill), actor, detail)
    result.imported = valid
    if rejects_path is not None and result.rejected:
        write_rejects(rejects_path, result)
    return result


def read_sheet(
    path: str | Path, *, mapping: dict[str, str] | None = None, max_bytes: int | None = MAX_FILE_BYTES
) -> tuple[ImportResult, Iterator[SheetRow]]:
    """The first phase of every import (a plain one and an update, kit.register_update): the header found
    (kit.register_sheet, with the operator's `mapping` of columns to fields), and the rows after it still to be
    checked with `checked_rows`."""
    sheet = read_register(path, mapping=mapping, max_bytes=max_bytes)
    return ImportResult(header=sheet.labels, columns=sheet.columns, ignored=sheet.ignored), sheet.rows


def checked_rows(
    rows: Iterable[SheetRow], result: ImportResult, progress: Callable[[int], None] | None = None
) -> Iterator[tuple[SheetRow, ResidentRecord]]:
    """Every row after the header, validated: blank rows are counted, total rows set aside in `result.totals`, and
    bad rows added to `result.rejected` (in line order once the rows are all read); the good ones are yielded with
    their record (tagged `landline` when its phone cannot take SMS), and what to say about them is added to
    `result.notes`."""
    community = get_community()
    today = utcnow().date()
    first_line_of_phone = SheetPhones()
    checked = 0
    for row in rows:
        if is_blank(row.cells):
            result.blank_rows += 1
            continue
        total = total_row_text(row.cells)
        if total is not None:
            result.totals.append(TotalRow(row.line, total))
            continue
        checked += 1
        raw, notes = row_input(row, result.columns)
        try:
            record = _validated(row, raw, community, today, first_line_of_phone)
        except ValidationError as error:
            result.rejected.append(Rejected(row.line, _reason(error), row.cells))
        else:
            record, landline = mark_landline(record)
            if landline:
                notes.append(RowNote(row.line, "landline", record.phone or ""))
            result.notes.extend(notes)
            yield row, record
        if progress and checked % 1000 == 0:
            progress(1000)
    result.rejected.sort(key=lambda r: r.line)


def _check_rows(
    rows: Iterable[SheetRow], result: ImportResult, spill: IO[bytes], progress: Callable[[int], None] | None
) -> int:
    """Validate every row after the header; rejects go to `result`, the rest to `spill` in batches of
    `COMMIT_ROWS`. Returns how many rows passed."""
    batch: list[tuple[SheetRow, ResidentRecord]] = []
    valid = 0
    for pair in checked_rows(rows, result, progress):
        batch.append(pair)
        if len(batch) >= COMMIT_ROWS:
            valid += _spill(batch, result, spill)
    valid += _spill(batch, result, spill)
    result.rejected.sort(key=lambda r: r.line)
    rejected = {r.line for r in result.rejected}
    result.notes = [note for note in result.notes if note.line not in rejected]
    return valid


def _validated(
    row: SheetRow,
    raw: ResidentInput,
    community: Community,
    today: date,
    first_line_of_phone: SheetPhones,
) -> ResidentRecord:
    record = validate_resident(raw, community, today=today)
    if record.phone:  # one household may share a phone (kit.people.may_share_phone)
        address = address_key(record.building, record.unit, record.room)
        clash = first_line_of_phone.clash(row.line, record.phone, record.name, address)
        if clash is not None:
            raise clash
    return record


def _spill(batch: list[tuple[SheetRow, ResidentRecord]], result: ImportResult, spill: IO[bytes]) -> int:
    """Reject the batch's phones already in the database, leave out the residents without a phone already registered
    (kit.resident_matching), keep the rest in `spill`; empties `batch`."""
    _reject_registered_phones(batch, result)
    known = phoneless_already_registered([record for _, record in batch])
    if known:
        result.already_registered += len(known)
        batch[:] = [pair for index, pair in enumerate(batch) if index not in known]
    kept = [tuple(vars(record).values()) for _, record in batch]  # plain values pickle in a third of the time
    if kept:
        pickle.dump(kept, spill, protocol=pickle.HIGHEST_PROTOCOL)
    batch.clear()
    return len(kept)


def _batches(spill: IO[bytes]) -> Iterator[list[ResidentRecord]]:
    while True:
        try:
            values = pickle.load(spill)
        except EOFError:
            return
        yield [ResidentRecord(*record) for record in values]


def _write_batches(batches: Iterator[list[ResidentRecord]], actor: str, detail: dict[str, Any]) -> None:
    """One transaction per batch, the audit entry with the last; if any fails, what was written is undone."""
    written = Written()
    try:
        batch = next(batches, None)
        while batch is not None:
            following = next(batches, None)
            with transaction():
                _refuse_phones_taken_meanwhile(batch, store_residents(batch, written))
                if following is None:
                    audit.record(actor, "import", "resident", None, **detail)
            batch = following
    except BaseException as error:
        if written.residents:
            undo(written, error)
        if isinstance(error, (peewee.IntegrityError, sqlite3.IntegrityError)):
            raise ImportFailed("import.changed_meanwhile", reason=str(error)) from error
        raise


def _refuse_phones_taken_meanwhile(batch: list[ResidentRecord], ids: list[int]) -> None:
    """A phone of the batch (just written, as `ids`) that somebody registered at another address, or as the same
    person, since the rows were checked undoes the import (the caller's `except`): no unique index can say who may
    share a phone, so this looks again in the batch's own transaction."""
    ours = set(ids)
    registered = holders_of([record.phone for record in batch if record.phone], besides=ids)
    for record in batch:
        address = address_key(record.building, record.unit, record.room)
        others = [holder for holder in registered.get(record.phone or "", []) if holder.id not in ours]
        owner = other_household(others, record.name, address)
        if owner is not None:
            raise ImportFailed("import.phone_taken_meanwhile", phone=record.phone, owner=owner.name, id=owner.id)


def _reason(error: ValidationError) -> str:
    """Why a row was rejected, in the reader's language: the field it is about first, unless the words name it."""
    message = error.message
    if not error.field:
        return message
    label_key = f"import_update.field.{error.field}"
    label = ui_words.say(label_key) if ui_words.has(label_key) else error.field
    if any(name.casefold() in message.casefold() for name in (label, error.field)):
        return message
    return ui_words.say("errors.import.field_problem", name=label, problem=message)


def _reject_registered_phones(records: list[tuple[SheetRow, ResidentRecord]], result: ImportResult) -> None:
    """Rows whose phone already belongs to a resident in the database become rejects (one query per chunk)."""
    registered = holders_of([record.phone for _, record in records if record.phone])
    if not registered:
        return
    kept = []
    for row, record in records:
        address = address_key(record.building, record.unit, record.room)
        owner = other_household(registered.get(record.phone or "", []), record.name, address)
        if owner is not None:  # the same person again, or another household's number
            elsewhere = owner.name != record.name and owner.address is not None and address is not None
            key = "phone_registered_elsewhere" if elsewhere else "phone_registered"
            reason = ui_words.say(f"errors.import.{key}", phone=record.phone, owner=owner.name, id=owner.id)
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
    """The rejected rows, as they were, with their line and reason first (named in the reader's language, as the
    reasons are): UTF-8 with BOM so Excel opens it."""
    first = (ui_words.say("cli.import.rejects_line"), ui_words.say("cli.import.rejects_reason"))
    with open_private(path, "w", encoding="utf-8-sig", newline="") as out:  # the rows hold names and phones
        write_csv([(*first, *result.header), *((r.line, r.reason, *r.cells) for r in result.rejected)], out)
