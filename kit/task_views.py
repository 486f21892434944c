"""Tasks as operators read them: newest first with names instead of ids, and counts per state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import peewee

from kit import ui_words
from kit.assignment import OPEN_STATES
from kit.errors import ValidationError
from kit.jsonable import record_dict
from kit.models import TASK_STATES, Grid, Household, Resident, Task, Volunteer, format_address


@dataclass(frozen=True)
class TaskView:
    id: int
    kind: str
    state: str
    need: str
    source: str
    resident_id: int | None
    resident: str
    address: str
    phone: str | None
    grid: str | None
    volunteer_id: int | None
    volunteer: str
    due_at: datetime | None
    created_at: datetime
    done_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return record_dict(self)


def state_word(state: str) -> Callable[[str], str]:
    """A task's state in a language ("done", "已完成"), for an error that names it (`task_state` words)."""
    return ui_words.later(f"task_state.{state}")


def list_tasks(
    state: str | None = None,
    *,
    kind: str | None = None,
    volunteer_id: int | None = None,
    resident_id: int | None = None,
    limit: int | None = 200,
) -> list[TaskView]:
    """Tasks newest first, with names instead of ids. `state` may be a state or "unfinished"."""
    if state is not None and state != "unfinished" and state not in TASK_STATES:
        raise ValidationError("tasks.not_a_state", state=state, states=", ".join(TASK_STATES), field="state")
    columns = (
        Task, Resident.name.alias("resident_name"), Resident.phone.alias("resident_phone"),
        Household.building, Household.unit, Household.room, Grid.name.alias("grid_name"),
        Volunteer.name.alias("volunteer_name"),
    )  # fmt: skip
    query = (
        Task.select(*columns)
        .join(Resident, peewee.JOIN.LEFT_OUTER, on=(Task.resident == Resident.id))
        .join(Household, peewee.JOIN.LEFT_OUTER, on=(Resident.household == Household.id))
        .switch(Task)
        .join(Grid, peewee.JOIN.LEFT_OUTER, on=(Task.grid == Grid.id))
        .switch(Task)
        .join(Volunteer, peewee.JOIN.LEFT_OUTER, on=(Task.volunteer == Volunteer.id))
        .order_by(Task.id.desc())
    )
    if state == "unfinished":
        query = query.where(Task.state.in_(OPEN_STATES))
    elif state is not None:
        query = query.where(Task.state == state)
    if kind is not None:
        query = query.where(Task.kind == kind)
    if volunteer_id is not None:
        query = query.where(Task.volunteer == volunteer_id)
    if resident_id is not None:
        query = query.where(Task.resident == resident_id)
    if limit is not None:
        query = query.limit(limit)
    return [
        TaskView(
            id=row["id"],
            kind=row["kind"],
            state=row["state"],
            need=row["need"],
            source=row["source"],
            resident_id=row["resident"],
            resident=row["resident_name"] or "",
            address=format_address(row["building"] or "", row["unit"] or "", row["room"] or ""),
            phone=row["resident_phone"],
            grid=row["grid_name"],
            volunteer_id=row["volunteer"],
            volunteer=row["volunteer_name"] or "",
            due_at=row["due_at"],
            created_at=row["created_at"],
            done_at=row["done_at"],
        )
        for row in query.dicts()
    ]


def task_counts() -> dict[str, int]:
    """Tasks per state, every state present, in one GROUP BY."""
    counts = dict.fromkeys(TASK_STATES, 0)
    for state, count in Task.select(Task.state, peewee.fn.COUNT(Task.id)).group_by(Task.state).tuples():
        counts[state] = int(count)
    return counts
