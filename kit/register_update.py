"""Updating the register from this week's sheet: a preview of what would change, then applying it at once.

A row is matched to a resident by phone, else by name and address (kit.resident_matching). The preview sorts the
rows into new residents, changed ones (field by field), unchanged ones, rows that match several residents
(ambiguous: listed, never guessed, left out when applying) and phone clashes; and it lists the residents who are
registered but not on the sheet. `apply_update` writes it.

Decisions:
- Only the columns the sheet has are compared: a sheet without a 状态 column does not turn every red resident green,
  and one without a 标签 column keeps everybody's tags.
- A row whose phone belongs to one resident while its name and address are another's is a phone clash: the numbers
  are mixed up, and whichever resident it "is" would be a guess. One clash refuses the whole update, naming both.
  Two rows that match the same resident are ambiguous for the same reason.
- Residents missing from the sheet are only listed; with `mark_missing` they are marked moved out (the moved-out
  service of kit.retention), never deleted. A resident who had moved out and is on the sheet again comes back.
- Applying is one transaction: the new residents (kit.importer.store_residents), each change (kit.residents'
  edit_resident, which keeps its own audit entry with the fields before and after), each move, and one audit entry
  for the whole update with its counts. The preview notes the register's state (how many residents, the latest id,
  the latest change); applying checks it under the write lock, and if the register changed meanwhile nothing is
  written and the operator is asked to look again. Working the preview out again under the lock would be surer,
  but it reads the whole register: seconds on a big one, while the dispatcher and the webhooks wait to write.
- Importing the same sheet twice changes nothing the second time: every row matches, and nothing differs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from peewee import fn

from kit import audit, ui_words
from kit.db import transaction
from kit.errors import Conflict, ImportFailed
from kit.importer import ImportResult, Rejected, checked_rows, read_sheet, store_residents
from kit.jsonable import json_ready
from kit.landlines import LANDLINE
from kit.models import Resident
from kit.people import NO_PHONE
from kit.resident_matching import Clash, Register, record_key
from kit.resident_search import ResidentView, iter_residents
from kit.residents import EDITABLE, ResidentRecord, edit_resident
from kit.retention import set_moved_out
from kit.spreadsheets import MAX_FILE_BYTES

COMPARED = (
    "name", "phone", "second_phone", "grid", "building", "unit", "room", "language", "tags", "birth_year", "status",
    "monitoring", "monitoring_until", "notes",
)  # fmt: skip
MOVED_OUT = "moved_out"  # the change of a resident who had moved out and is on the sheet again
PHONE_TAGS = (NO_PHONE, LANDLINE)  # tags the kit gives by the phone, whatever the sheet's tags say


@dataclass(frozen=True)
class Sheet:
    """A revised sheet as read: its header and columns, its rejected and blank rows, and every good row."""

    file: str
    read: ImportResult
    rows: tuple[tuple[int, ResidentRecord], ...]  # (line, record)

    @property
    def compared(self) -> tuple[str, ...]:
        """The fields the sheet has a column for (an address column stands for building, unit and room)."""
        present = set(self.read.columns)
        if "address" in present:
            present |= {"building", "unit", "room"}
        return tuple(name for name in COMPARED if name in present)


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class Changed:
    line: int
    resident_id: int
    name: str
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True)
class New:
    line: int
    record: ResidentRecord


@dataclass(frozen=True)
class Ambiguous:
    """A row that matches several residents, or a resident that several rows match."""

    line: int
    name: str
    address: str
    candidates: tuple[tuple[int, str], ...]  # (resident id, name)
    other_lines: tuple[int, ...] = ()  # other rows matching the same resident


@dataclass(frozen=True)
class PhoneClash:
    """Row `line` (name and address of resident `resident_id`) gives the phone of another resident, `owner_id`."""

    line: int
    name: str
    phone: str
    resident_id: int
    owner_id: int
    owner_name: str
    owner_line: int | None  # the owner's own row on the sheet, if any


@dataclass(frozen=True)
class Missing:
    resident_id: int
    name: str
    address: str


@dataclass(frozen=True)
class RegisterState:
    """How many residents, the latest id and the latest change: if any differs, the register changed."""

    residents: int
    last_id: int | None
    last_change: datetime | None


def register_state() -> RegisterState:
    count, last_id, last_change = Resident.select(
        fn.COUNT(Resident.id), fn.MAX(Resident.id), fn.MAX(Resident.updated_at)
    ).scalar(as_tuple=True)
    return RegisterState(int(count or 0), last_id, last_change)


@dataclass
class UpdatePreview:
    sheet: Sheet
    state: RegisterState | None = None  # the register as it was when the preview began
    new: list[New] = field(default_factory=list)
    changed: list[Changed] = field(default_factory=list)
    unchanged: int = 0
    missing: list[Missing] = field(default_factory=list)
    ambiguous: list[Ambiguous] = field(default_factory=list)
    clashes: list[PhoneClash] = field(default_factory=list)
    applied: bool = False
    marked_moved_out: int = 0

    @property
    def rejected(self) -> list[Rejected]:
        return self.sheet.read.rejected

    @property
    def changes_nothing(self) -> bool:
        return not (self.new or self.changed or self.missing)

    def counts(self) -> dict[str, int]:
        return {
            "new": len(self.new), "changed": len(self.changed), "unchanged": self.unchanged,
            "missing": len(self.missing), "ambiguous": len(self.ambiguous), "clashes": len(self.clashes),
            "rejected": len(self.rejected),
        }  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        new_rows = [
            {"line": new.line, "name": new.record.name, "phone": new.record.phone, "address": new.record.address,
             "grid": new.record.grid}
            for new in self.new
        ]  # fmt: skip
        return {
            "file": self.sheet.file,
            **self.counts(),
            "applied": self.applied,
            "marked_moved_out": self.marked_moved_out,
            "new_rows": new_rows,
            "changed_rows": [json_ready(asdict(changed)) for changed in self.changed],
            "missing_residents": [asdict(missing) for missing in self.missing],
            "ambiguous_rows": [json_ready(asdict(ambiguous)) for ambiguous in self.ambiguous],
            "phone_clashes": [asdict(clash) for clash in self.clashes],
            "rejected_rows": [{"line": rejected.line, "reason": rejected.reason} for rejected in self.rejected],
        }


# --- reading and matching ---------------------------------------------------------------------------------------


def read_update_sheet(
    path: str | Path,
    *,
    max_bytes: int | None = MAX_FILE_BYTES,
    progress: Callable[[int], None] | None = None,
    mapping: dict[str, str] | None = None,
) -> Sheet:
    """Read and check every row of the sheet, with the importer's own reading (kit.importer.read_sheet; `mapping`
    names the columns it does not recognise by itself)."""
    result, rows = read_sheet(path, mapping=mapping, max_bytes=max_bytes)
    good = tuple((row.line, record) for row, record in checked_rows(rows, result, progress))
    return Sheet(Path(path).name, result, good)


def preview_update(
    path: str | Path, *, max_bytes: int | None = MAX_FILE_BYTES, progress: Callable[[int], None] | None = None
) -> UpdatePreview:
    """What updating the register from the sheet at `path` would do; nothing is written."""
    return plan_update(read_update_sheet(path, max_bytes=max_bytes, progress=progress))


def plan_update(sheet: Sheet) -> UpdatePreview:
    """Match every row of `sheet` to the register and say what would change (reads only)."""
    preview = UpdatePreview(sheet, state=register_state())
    register = Register.load()
    rows_of: dict[int, list[int]] = {}  # resident id -> lines of the rows matching them
    records = dict(sheet.rows)
    line_of = {record_key(record): line for line, record in reversed(sheet.rows)}  # the first row of a person
    involved: set[int] = set()  # residents in an ambiguous row or a clash: never counted missing
    for line, record in sheet.rows:
        outcome = register.match(record)
        if outcome is None:
            preview.new.append(New(line, record))
        elif isinstance(outcome, int):
            rows_of.setdefault(outcome, []).append(line)
        elif isinstance(outcome, Clash):
            resident, owner = outcome.resident, outcome.owner
            owner_row = line_of.get(owner.key)
            preview.clashes.append(
                PhoneClash(line, record.name, record.phone or "", resident.id, owner.id, owner.name, owner_row)
            )
            involved |= {resident.id, owner.id}
        else:
            candidates = tuple((person.id, person.name) for person in outcome)
            preview.ambiguous.append(Ambiguous(line, record.name, record.address, candidates))
            involved |= {person.id for person in outcome}
    matched = {resident_id: lines[0] for resident_id, lines in rows_of.items() if len(lines) == 1}
    for resident_id, lines in rows_of.items():
        if len(lines) > 1:
            person = register.by_id[resident_id]
            for line in lines:
                others = tuple(other for other in lines if other != line)
                record = records[line]
                preview.ambiguous.append(
                    Ambiguous(line, record.name, record.address, ((person.id, person.name),), others)
                )
            involved.add(resident_id)
    _compare(preview, sheet, register, matched, records)
    preview.missing = [
        Missing(person.id, person.name, person.address)
        for person in register.by_id.values()
        if person.moved_out_at is None and person.id not in rows_of and person.id not in involved
    ]
    preview.ambiguous.sort(key=lambda a: a.line)
    return preview


def _compare(
    preview: UpdatePreview,
    sheet: Sheet,
    register: Register,
    matched: dict[int, int],
    records: dict[int, ResidentRecord],
) -> None:
    """Compare each matched resident with their row, field by field (a pass over the register, in batches)."""
    compared = sheet.compared
    for view in iter_residents():
        line = matched.get(view.id)
        if line is None:
            continue
        changes = [change for name in compared if (change := _field_change(name, view, records[line]))]
        if "phone" in compared and "tags" not in compared and (tags := _phone_tags(view, records[line])):
            changes.append(tags)
        moved_out_at = register.by_id[view.id].moved_out_at
        if moved_out_at is not None:
            changes.append(FieldChange(MOVED_OUT, moved_out_at.date(), None))
        if changes:
            preview.changed.append(Changed(line, view.id, view.name, tuple(changes)))
        else:
            preview.unchanged += 1
    preview.changed.sort(key=lambda c: c.line)


def _field_change(name: str, view: ResidentView, record: ResidentRecord) -> FieldChange | None:
    old, new = getattr(view, name), getattr(record, name)
    if name == "tags":
        return None if set(old) == set(new) else FieldChange(name, tuple(old), tuple(new))
    return None if old == new else FieldChange(name, old, new)


def _phone_tags(view: ResidentView, record: ResidentRecord) -> FieldChange | None:
    """Without a tags column, the tags that follow the phone (no-phone, landline) still follow a new phone."""
    kept = tuple(tag for tag in view.tags if tag not in PHONE_TAGS)
    new = kept + tuple(tag for tag in record.tags if tag in PHONE_TAGS)
    return None if set(new) == set(view.tags) else FieldChange("tags", tuple(view.tags), new)


# --- applying -----------------------------------------------------------------------------------------------------


def refuse_clashes(preview: UpdatePreview) -> None:
    """Raise Conflict naming every phone clash (both rows or residents); nothing can be applied while one is left."""
    if not preview.clashes:
        return
    clashes = preview.clashes

    def listed(language: str) -> str:
        separator = ui_words.text(language, "errors.register.clash_separator")
        return separator.join(clash_line(clash, language) for clash in clashes)

    raise Conflict("register.clashes", clashes=listed)


def clash_line(clash: PhoneClash, language: str) -> str:
    """One phone clash in `language`, both residents named (the refusal's words; the preview has its own)."""

    def words(key: str, **values: object) -> str:
        return ui_words.text(language, f"errors.register.{key}", **values)

    where = words("clash_owner_line", line=clash.owner_line) if clash.owner_line is not None else ""
    return words(
        "clash", line=clash.line, name=clash.name, id=clash.resident_id, phone=clash.phone, owner=clash.owner_name,
        owner_id=clash.owner_id, where=where,
    )  # fmt: skip


def apply_update(
    preview: UpdatePreview, *, mark_missing: bool = False, skip_invalid: bool = False, actor: str = "cli"
) -> UpdatePreview:
    """Write what `preview` showed, in one transaction with its audit entries; returns the preview as applied.
    Refuses (nothing written) while a phone clashes, while a row is bad and `skip_invalid` is False, or when the
    register changed since the preview."""
    refuse_clashes(preview)
    if preview.rejected and mark_missing:
        problems = [(r.line, r.reason) for r in preview.rejected]
        raise ImportFailed("register.problems_before_moving", problems, count=len(problems))
    if preview.rejected and not skip_invalid:
        problems = [(r.line, r.reason) for r in preview.rejected]
        raise ImportFailed("register.rows_have_problems", problems, count=len(problems))
    applied = replace(preview, applied=True, marked_moved_out=len(preview.missing) if mark_missing else 0)
    with transaction():
        if register_state() != preview.state:
            raise Conflict("register.changed_since_preview")
        if preview.new:
            store_residents([new.record for new in preview.new])
        for changed in preview.changed:
            _apply_change(changed, actor)
        if mark_missing:
            for missing in preview.missing:
                set_moved_out(missing.resident_id, actor=actor)
        counts = applied.counts()
        audit.record(actor, "import-update", "resident", None, file=preview.sheet.file, **counts,
                     marked_moved_out=applied.marked_moved_out)  # fmt: skip
    return applied


def _apply_change(changed: Changed, actor: str) -> None:
    values = {change.field: change.new for change in changed.changes if change.field in EDITABLE}
    if "tags" in values:
        values["tags"] = list(values["tags"])
    if values:
        edit_resident(changed.resident_id, values, actor=actor)
    if any(change.field == MOVED_OUT for change in changed.changes):
        set_moved_out(changed.resident_id, undo=True, actor=actor)
