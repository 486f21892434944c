"""The door-knock list: the residents to visit today (`door_knock_list`) and the sheet to print (`door_knock_sheet`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import peewee

from kit.clock import utcnow
from kit.community import community_zone
from kit.localtime import local_date
from kit.models import CheckinAsk, CheckinRound, Grid, Household, Resident, ResidentTag, Task, Volunteer, format_address
from kit.outbox import opted_out_among
from kit.people import NO_PHONE, deadline_text


@dataclass(frozen=True)
class DoorKnock:
    """A resident to visit today."""

    resident_id: int
    name: str
    address: str
    grid: str | None
    phone: str | None
    second_phone: str | None
    reason: str  # no-phone, opted-out (of SMS), unreachable
    task_id: int | None
    volunteer: str
    due_at: datetime | None
    overdue: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "resident_id": self.resident_id,
            "name": self.name,
            "address": self.address,
            "grid": self.grid,
            "phone": self.phone,
            "second_phone": self.second_phone,
            "reason": self.reason,
            "task_id": self.task_id,
            "volunteer": self.volunteer,
            "due_at": self.due_at.isoformat() if self.due_at else None,
            "overdue": self.overdue,
        }


def _why_knock(no_phone: bool, opted_out: bool) -> str:
    return "no-phone" if no_phone else "opted-out" if opted_out else "unreachable"


def door_knock_list(local_day: date | None = None, grid: str | None = None) -> list[DoorKnock]:
    """Residents to visit today (or on `local_day`), optionally in one grid: those without a phone and those the
    ladder could not reach, not yet answered or visited; ordered by grid and address, for printing."""
    zone = community_zone()
    now = utcnow()
    day = local_day or local_date(now, zone)
    rounds = CheckinRound.select(CheckinRound.id).where(CheckinRound.local_date == day)
    columns = (
        Resident.id, Resident.name, Resident.phone, Resident.second_phone, Household.building, Household.unit,
        Household.room, Grid.name, Task.id, Task.due_at, Volunteer.name,
    )  # fmt: skip
    query = (
        CheckinAsk.select(*columns)
        .join(Resident, on=(CheckinAsk.resident == Resident.id))
        .join(Household, peewee.JOIN.LEFT_OUTER, on=(Resident.household == Household.id))
        .switch(Resident)
        .join(Grid, peewee.JOIN.LEFT_OUTER, on=(Resident.grid == Grid.id))
        .switch(CheckinAsk)
        .join(Task, peewee.JOIN.LEFT_OUTER, on=(CheckinAsk.task == Task.id))
        .join(Volunteer, peewee.JOIN.LEFT_OUTER, on=(Task.volunteer == Volunteer.id))
        .where(CheckinAsk.round.in_(rounds) & CheckinAsk.stage.in_(["door_knock", "alerted"]))
    )
    if grid is not None:
        query = query.where(Grid.name == grid)
    rows = list(query.tuples())
    no_phone = {
        rid
        for (rid,) in ResidentTag.select(ResidentTag.resident)
        .where((ResidentTag.tag == NO_PHONE) & ResidentTag.resident.in_([row[0] for row in rows]))
        .tuples()
    }
    stopped = opted_out_among(row[2] for row in rows if row[2])
    seen: set[int] = set()
    visits = []
    for rid, name, phone, second, building, unit, room, grid_name, task_id, due_at, helper in rows:
        if rid in seen:  # asked by two rounds: one visit
            continue
        seen.add(rid)
        visits.append(
            DoorKnock(
                resident_id=rid,
                name=name,
                address=format_address(building or "", unit or "", room or ""),
                grid=grid_name,
                phone=phone,
                second_phone=second,
                reason=_why_knock(phone is None or rid in no_phone, phone in stopped),
                task_id=task_id,
                volunteer=helper or "",
                due_at=due_at,
                overdue=due_at is not None and due_at <= now,
            )
        )
    return sorted(visits, key=lambda v: (v.grid or "", v.address, v.name))


def door_knock_sheet(local_day: date | None = None, grid: str | None = None) -> str:
    """The door-knock list as plain text to print: one line per visit, grouped by grid."""
    zone = community_zone()
    visits = door_knock_list(local_day, grid)
    day = local_day or local_date(utcnow(), zone)
    lines = [f"Door-knock list {day.isoformat()}: {len(visits)} visit(s)"]
    per_grid = Counter(v.grid for v in visits)
    current: object = object()
    for visit in visits:
        if visit.grid != current:
            current = visit.grid
            lines += ["", f"Grid {visit.grid or '(none)'} ({per_grid[visit.grid]})"]
        due = deadline_text(visit.due_at, zone) if visit.due_at else ""
        task = f"task {visit.task_id}" if visit.task_id else "no task"
        late = " OVERDUE" if visit.overdue else ""
        phones = " / ".join(p for p in (visit.phone, visit.second_phone) if p) or "-"
        lines.append(
            f"[ ] {visit.address or '-'}  {visit.name}  {phones}  {visit.reason}  {task} by {due}{late}  "
            f"{visit.volunteer or 'unassigned'}".rstrip()
        )
    return "\n".join(lines)
