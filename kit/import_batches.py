"""What an import has written so far, and taking it out again when a later batch fails (see kit.importer).

Decisions:
- Residents are remembered as runs of consecutive ids (one run per batch on SQLite, where the ids after the highest
  are the batch's own), so a long import costs a few numbers of memory, not one per resident.
- Grids and households the import created go too, unless something else has come to use them meanwhile (an
  operator who put a volunteer on a new grid between two batches keeps it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from kit.db import transaction
from kit.errors import LinliError, StorageError
from kit.models import Grid, Household, Resident, ResidentTag, VolunteerGrid
from kit.storage import storage_error

CHUNK = 500  # ids in one IN (...) query


@dataclass
class Written:
    """What an import has committed so far, to undo it if a later batch fails."""

    residents: list[tuple[int, int]] = field(default_factory=list)  # runs of consecutive ids: (first, last)
    households: list[int] = field(default_factory=list)
    grids: list[int] = field(default_factory=list)

    def add_residents(self, ids: Sequence[int]) -> None:
        for resident_id in ids:
            if self.residents and self.residents[-1][1] == resident_id - 1:
                self.residents[-1] = (self.residents[-1][0], resident_id)
            else:
                self.residents.append((resident_id, resident_id))

    @property
    def count(self) -> int:
        return sum(last - first + 1 for first, last in self.residents)


def undo(written: Written, cause: BaseException) -> None:
    """Delete what a failed import wrote, a batch per transaction; grids and households it created go too unless
    something else has come to use them meanwhile. If that fails as well, say which residents remain."""
    try:
        for first, last in written.residents:
            with transaction():
                ResidentTag.delete().where(ResidentTag.resident.between(first, last)).execute()
                Resident.delete().where(Resident.id.between(first, last)).execute()
        for start in range(0, len(written.households), CHUNK):
            with transaction():
                _delete_unused(Household, written.households[start : start + CHUNK], [Resident.household])
        for start in range(0, len(written.grids), CHUNK):
            with transaction():
                used_by = [Resident.grid, Household.grid, VolunteerGrid.grid]
                _delete_unused(Grid, written.grids[start : start + CHUNK], used_by)
    except Exception as error:
        first, last = written.residents[0][0], written.residents[-1][1]
        raise StorageError(
            "import.undo_failed",
            why=_said(storage_error(cause) or cause),
            count=f"{written.count:,}",
            first=first,
            last=last,
            reason=_said(storage_error(error) or error),
        ) from error


def _said(error: BaseException) -> Callable[[str], str] | str:
    """An error's words: a LinliError's in the reader's language, any other's as it says them."""
    return error.text if isinstance(error, LinliError) else str(error)


def _delete_unused(model: type[Grid] | type[Household], ids: list[int], used_by: list[Any]) -> None:
    used: set[int] = set()
    for column in used_by:
        used.update(value for (value,) in column.model.select(column).where(column.in_(ids)).tuples())
    unused = [value for value in ids if value not in used]
    if unused:
        model.delete().where(model.id.in_(unused)).execute()
