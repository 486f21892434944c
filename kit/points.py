"""Neighbour points (邻里积分): a resident or a volunteer who helps a neighbour earns points, kept in one ledger
(`PointEntry`) that `award` alone writes, and read a month at a time (`month_points`) so the committee can thank
people.

Two things earn points: a task done (its `Task.points`, to the volunteer who did it, and to them as a resident when
the volunteer is one: the same person, one entry), and a second contact's answer about a neighbour the check-in
ladder asked them about (`SECOND_CONTACT_POINTS`).

Decisions
- One ledger and one writer. `Volunteer.points` stays the running total the volunteer lists show; `award` adds to
  it in the same transaction as the entry, so the two grow together (the migration wrote the tasks done before the
  ledger into it).
- An award is made once: each entry has a key (`task:{id}`, `second_contact:{round}:{resident}`), so completing a
  task again, or a second contact texting "1" twice about the same round, awards nothing more.
- A volunteer is the resident with the same number when exactly one resident who still lives here has it, or, on
  a number a household shares, the one with the volunteer's name; otherwise the entry names the volunteer only
  (never a guess).
- A second contact who is neither a resident nor a volunteer (a daughter in another city) is kept by number: the
  committee can still thank them. The grid of an entry is where the help was given: the task's grid, or the grid
  of the neighbour answered for.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

import peewee

from kit.clock import utcnow
from kit.community import community_zone
from kit.db import transaction
from kit.errors import NotFound, ValidationError
from kit.jsonable import record_dict
from kit.localtime import at_local, local_date
from kit.models import Grid, Message, Resident, Task, Volunteer
from kit.volunteer_models import PointEntry

SECOND_CONTACT_POINTS = 1  # for answering the ladder's question about a neighbour
ROLES = ("resident", "volunteer", "contact")  # a resident (who may volunteer too), a volunteer, a number only


# --- awarding -------------------------------------------------------------------------------------------------


def award(
    key: str,
    points: int,
    reason: str,
    *,
    resident_id: int | None = None,
    volunteer_id: int | None = None,
    phone: str | None = None,
    neighbour_id: int | None = None,
    grid_id: int | None = None,
    task_id: int | None = None,
    round_id: int | None = None,
    at: datetime | None = None,
) -> bool:
    """Write one award to the ledger unless `key` was awarded already (see the module's decisions); a volunteer's
    running total grows with it. Returns whether anything was awarded."""
    if points <= 0 or (resident_id is None and volunteer_id is None and not phone):
        return False
    with transaction():
        if PointEntry.select().where(PointEntry.key == key).exists():
            return False
        PointEntry.create(
            key=key,
            resident=resident_id,
            volunteer=volunteer_id,
            phone=None if resident_id is not None or volunteer_id is not None else phone,
            neighbour=neighbour_id,
            grid=grid_id,
            points=points,
            reason=reason,
            task=task_id,
            round=round_id,
            at=at or utcnow(),
        )
        if volunteer_id is not None:
            Volunteer.update(points=Volunteer.points + points).where(Volunteer.id == volunteer_id).execute()
    return True


def award_task(task: Task) -> bool:
    """The points of `task`, just done, to the volunteer who did it (as a resident too, when they are one)."""
    if task.volunteer_id is None:
        return False
    volunteer = Volunteer.get_by_id(task.volunteer_id)
    return award(
        f"task:{task.id}",
        task.points,
        "task",
        resident_id=resident_with_number(volunteer.phone, name=volunteer.name),
        volunteer_id=volunteer.id,
        neighbour_id=task.resident_id,
        grid_id=task.grid_id,
        task_id=task.id,
        round_id=task.round_id,
    )


def award_second_contact(peer: str, resident_id: int, *, at: datetime | None = None) -> bool:
    """Points to `peer`, the second contact who answered the ladder's question about `resident_id`: once per round
    they were asked about (once per question, for a question outside a round)."""
    asked = (
        Message.select(Message.id, Message.round)
        .where(
            (Message.direction == "out")
            & (Message.kind == "second_contact")
            & (Message.peer == peer)
            & (Message.resident == resident_id)
        )
        .order_by(Message.id.desc())
        .first()
    )
    neighbour = Resident.get_or_none(Resident.id == resident_id)
    if asked is None or neighbour is None:
        return False
    round_id = asked.round_id
    key = f"second_contact:{round_id}:{resident_id}" if round_id is not None else f"second_contact:m{asked.id}"
    volunteer = Volunteer.get_or_none(Volunteer.phone == peer)
    helper = resident_with_number(peer, name=volunteer.name if volunteer is not None else None)
    return award(
        key,
        SECOND_CONTACT_POINTS,
        "second_contact",
        resident_id=helper if helper != resident_id else None,
        volunteer_id=volunteer.id if volunteer is not None else None,
        phone=peer,
        neighbour_id=resident_id,
        grid_id=neighbour.grid_id,
        round_id=round_id,
        at=at,
    )


def resident_with_number(phone: str | None, *, name: str | None = None) -> int | None:
    """The resident who still lives here with number `phone`: the only one, or among those sharing it the one
    called `name`; None when there is none or it cannot be told."""
    if not phone:
        return None
    rows = list(
        Resident.select(Resident.id, Resident.name)
        .where((Resident.phone == phone) & Resident.moved_out_at.is_null())
        .order_by(Resident.id)
        .tuples()
    )
    if len(rows) == 1:
        return int(rows[0][0])
    named = [rid for rid, resident_name in rows if name is not None and resident_name == name]
    return int(named[0]) if len(named) == 1 else None


# --- reading a month --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonPoints:
    """One helper's points in a month: who (name, role, number), where they helped, what for."""

    name: str
    role: str  # ROLES
    phone: str
    grids: tuple[str, ...]
    points: int
    tasks: int  # tasks done
    answers: int  # answers given for a neighbour
    answered_for: tuple[str, ...]  # the neighbours a contact answered for (who they are to the committee)

    def as_dict(self) -> dict[str, Any]:
        return record_dict(self)


@dataclass(frozen=True)
class GridPoints:
    """A grid's points in a month: how many, earned by how many people, for how many tasks and answers."""

    grid: str  # "" for help given outside any grid
    points: int
    people: int
    tasks: int
    answers: int

    def as_dict(self) -> dict[str, Any]:
        return record_dict(self)


@dataclass(frozen=True)
class MonthPoints:
    month: str  # "2026-11"
    people: tuple[PersonPoints, ...]
    grids: tuple[GridPoints, ...]

    @property
    def total(self) -> int:
        return sum(grid.points for grid in self.grids)


def parse_month(text: str | None) -> date:
    """'2026-11' as the first day of that month; None or '' is this month, in the community's time zone."""
    if not text:
        return local_date(utcnow(), community_zone()).replace(day=1)
    try:
        year, month = (int(part) for part in text.strip().split("-"))
        return date(year, month, 1)
    except ValueError:
        raise ValidationError("points.not_a_month", text=text, field="month") from None


@dataclass
class _Tally:
    name: str = ""
    role: str = ""
    phone: str = ""
    grids: set[str] = field(default_factory=set)
    points: int = 0
    tasks: int = 0
    answers: int = 0
    answered_for: list[str] = field(default_factory=list)


def month_points(month: date, *, grid: str | None = None) -> MonthPoints:
    """Every helper's points in the local month of `month` (in grid `grid` only, when given), the most first, and
    each grid's, by name."""
    zone = community_zone()
    first = month.replace(day=1)
    after = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    columns = (
        PointEntry.resident, PointEntry.volunteer, PointEntry.phone, PointEntry.neighbour, Grid.name,
        PointEntry.points, PointEntry.reason,
    )  # fmt: skip
    query = (
        PointEntry.select(*columns)
        .join(Grid, peewee.JOIN.LEFT_OUTER, on=(PointEntry.grid == Grid.id))
        .where((PointEntry.at >= at_local(first, time(0), zone)) & (PointEntry.at < at_local(after, time(0), zone)))
        .order_by(PointEntry.id)
    )
    if grid:
        if not Grid.select().where(Grid.name == grid).exists():
            known = ", ".join(name for (name,) in Grid.select(Grid.name).order_by(Grid.name).tuples())
            if not known:
                raise NotFound("points.no_grid_yet", grid=grid)
            raise NotFound("points.no_grid", grid=grid, known=known)
        query = query.where(Grid.name == grid)
    rows = list(query.tuples())
    residents = _residents({r for r, *_ in rows} | {n for _, _, _, n, *_ in rows})
    volunteers = {v.id: v for v in Volunteer.select().where(Volunteer.id.in_({v for _, v, *_ in rows}))}
    people: dict[tuple[str, object], _Tally] = {}
    grids: dict[str, _Tally] = defaultdict(_Tally)
    helpers: dict[str, set[tuple[str, object]]] = defaultdict(set)  # who earned points in each grid
    for resident_id, volunteer_id, phone, neighbour_id, grid_name, points, reason in rows:
        who = _who(resident_id, volunteer_id, phone, residents, volunteers)
        tally = people.setdefault(who[:2], _Tally(name=who[2], role=who[0], phone=who[3]))
        for counted in (tally, grids[grid_name or ""]):
            counted.points += points
            counted.tasks += reason == "task"
            counted.answers += reason == "second_contact"
        tally.grids.add(grid_name or "")
        helpers[grid_name or ""].add(who[:2])
        neighbour = residents.get(neighbour_id, ("", None))[0] if neighbour_id is not None else ""
        if who[0] == "contact" and neighbour and neighbour not in tally.answered_for:
            tally.answered_for.append(neighbour)
    return MonthPoints(
        month=first.strftime("%Y-%m"),
        people=tuple(
            sorted(
                (_person(tally) for tally in people.values()),
                key=lambda person: (-person.points, person.name, person.phone),
            )
        ),
        grids=tuple(
            GridPoints(name, tally.points, len(helpers[name]), tally.tasks, tally.answers)
            for name, tally in sorted(grids.items())
        ),
    )


def _residents(ids: set[int | None]) -> dict[int, tuple[str, str]]:
    wanted = [rid for rid in ids if rid is not None]
    query = Resident.select(Resident.id, Resident.name, Resident.phone).where(Resident.id.in_(wanted))
    return {rid: (name, phone or "") for rid, name, phone in query.tuples()}


def _who(
    resident_id: int | None,
    volunteer_id: int | None,
    phone: str | None,
    residents: dict[int, tuple[str, str]],
    volunteers: dict[int, Volunteer],
) -> tuple[str, object, str, str]:
    """(role, identity, name, number) of an entry's helper."""
    if resident_id is not None and resident_id in residents:
        name, number = residents[resident_id]
        return "resident", resident_id, name, number
    if volunteer_id is not None and volunteer_id in volunteers:
        volunteer = volunteers[volunteer_id]
        return "volunteer", volunteer_id, volunteer.name, volunteer.phone
    return "contact", phone or "", "", phone or ""


def _person(tally: _Tally) -> PersonPoints:
    return PersonPoints(
        name=tally.name,
        role=tally.role,
        phone=tally.phone,
        grids=tuple(sorted(tally.grids)),
        points=tally.points,
        tasks=tally.tasks,
        answers=tally.answers,
        answered_for=tuple(tally.answered_for),
    )
