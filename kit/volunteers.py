"""Volunteers: people with a phone, skills and the grids they cover, earning neighbour points (邻里积分); on duty,
paused or no longer active.

Decisions
- A volunteer is `active` (still one of ours) and, while active, on duty or paused (`paused_at`). Paused means off
  duty for a while: no tasks, no door-knocks; the tasks they were offered but had not accepted go on to others at
  once, and the ones they accepted stay theirs (they said they would do them). Deactivating hands on every open task.
- Sign-ups (JOIN / 报名 志愿者 by SMS) wait for an operator: `kit.volunteer_signups`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import peewee

from kit import audit
from kit.clock import utcnow
from kit.community import get_community
from kit.db import transaction
from kit.errors import Conflict, NotFound, ValidationError
from kit.jsonable import record_dict
from kit.models import Grid, OptOut, Volunteer, VolunteerGrid
from kit.phones import normalize_phone
from kit.residents import grid_id_for
from kit.skills import SKILLS as SKILLS  # re-exported: where volunteers' skills were always read from
from kit.skills import parse_skills as parse_skills
from kit.vocabulary import normalize_language


@dataclass(frozen=True)
class VolunteerView:
    id: int
    name: str
    phone: str
    language: str
    skills: tuple[str, ...]
    grids: tuple[str, ...]
    points: int
    active: bool
    status: str = "active"  # active, paused, inactive

    def as_dict(self) -> dict[str, Any]:
        return record_dict(self)


# --- registering and reading ------------------------------------------------------------------------------------


def add_volunteer(
    name: str,
    phone: str,
    *,
    skills: str | Iterable[str] | None = None,
    grids: Iterable[str] = (),
    language: str | None = None,
    actor: str = "cli",
) -> Volunteer:
    community = get_community()
    name = clean_name(name)
    number = normalize_phone(phone, community.region)
    skill_list = parse_skills(skills)
    code = normalize_language(language, community.language_list) or community.language
    with transaction():
        if Volunteer.get_or_none(Volunteer.phone == number) is not None:
            raise Conflict("volunteers.phone_taken", phone=number)
        volunteer = Volunteer.create(name=name, phone=number, skills=",".join(skill_list), language=code)
        cover_grids(volunteer.id, grids)
        audit.record(actor, "add", "volunteer", volunteer.id, name=name, phone=number, grids=list(grids))
    return volunteer


def clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise ValidationError("volunteers.name_empty", field="name")
    return name


def cover_grids(volunteer_id: int, grids: Iterable[str]) -> None:
    for grid_name in grids:
        grid_id = grid_id_for(grid_name.strip())
        if grid_id is not None:
            VolunteerGrid.get_or_create(volunteer=volunteer_id, grid=grid_id)


def get_volunteer(key: int | str) -> Volunteer:
    volunteer: Volunteer | None
    if isinstance(key, int) or (isinstance(key, str) and key.isdigit() and len(key) < 9):
        volunteer = Volunteer.get_or_none(Volunteer.id == int(key))
    else:
        volunteer = Volunteer.get_or_none(Volunteer.phone == normalize_phone(str(key), get_community().region))
    if volunteer is None:
        raise NotFound("volunteers.not_found", volunteer=key)
    return volunteer


def list_volunteers(grid: str | None = None, *, active_only: bool = False) -> list[VolunteerView]:
    query = Volunteer.select().order_by(Volunteer.id)
    if grid:
        query = query.where(
            Volunteer.id.in_(VolunteerGrid.select(VolunteerGrid.volunteer).join(Grid).where(Grid.name == grid))
        )
    if active_only:
        query = query.where(Volunteer.active == True)  # noqa: E712 - peewee expression
    volunteers = list(query)
    grids: dict[int, list[str]] = {}
    if volunteers:
        rows = (
            VolunteerGrid.select(VolunteerGrid.volunteer, Grid.name)
            .join(Grid)
            .where(VolunteerGrid.volunteer.in_([v.id for v in volunteers]))
            .order_by(Grid.name)
            .tuples()
        )
        for volunteer_id, grid_name in rows:
            grids.setdefault(volunteer_id, []).append(grid_name)
    return [
        VolunteerView(
            id=v.id,
            name=v.name,
            phone=v.phone,
            language=v.language,
            skills=tuple(v.skill_list),
            grids=tuple(grids.get(v.id, ())),
            points=v.points,
            active=v.active,
            status=v.status,
        )
        for v in volunteers
    ]


def grids_of(volunteer_id: int) -> list[str]:
    """The names of the grids a volunteer covers, in name order."""
    query = VolunteerGrid.select(Grid.name).join(Grid).where(VolunteerGrid.volunteer == volunteer_id)
    return [name for (name,) in query.order_by(Grid.name).tuples()]


def eligible() -> peewee.ColumnBase:
    """The condition on `Volunteer` for who may be given a task: active, on duty (not paused), and their number has
    not opted out of SMS (a volunteer who texted STOP would never be told about the task, so nobody would do it)."""
    return (
        (Volunteer.active == True)  # noqa: E712 - peewee expression
        & Volunteer.paused_at.is_null()
        & Volunteer.phone.not_in(OptOut.select(OptOut.phone))
    )


def stopped_in_grid(grid_id: int | None) -> list[str]:
    """Names of the active volunteers covering `grid_id` (any grid when None) whose number opted out of SMS."""
    query = Volunteer.select(Volunteer.name).where(
        (Volunteer.active == True) & Volunteer.phone.in_(OptOut.select(OptOut.phone))  # noqa: E712
    )
    if grid_id is not None:
        query = query.where(
            Volunteer.id.in_(VolunteerGrid.select(VolunteerGrid.volunteer).where(VolunteerGrid.grid == grid_id))
        )
    return [name for (name,) in query.order_by(Volunteer.id).tuples()]


def volunteers_for_grid(grid_id: int | None) -> peewee.ModelSelect:
    """Volunteers who may be given a task (`eligible`) covering `grid_id` (all of them when the grid is unknown)."""
    query = Volunteer.select().where(eligible())
    if grid_id is not None:
        query = query.where(
            Volunteer.id.in_(VolunteerGrid.select(VolunteerGrid.volunteer).where(VolunteerGrid.grid == grid_id))
        )
    return query


# --- on duty, paused, gone ----------------------------------------------------------------------------------------


def pause(volunteer_id: int, actor: str) -> Volunteer:
    """Take a volunteer off duty: no new tasks or door-knocks; the tasks offered to them and not accepted yet go on
    to the next volunteer at once (accepted ones stay theirs). Pausing a paused volunteer is refused."""
    from kit.task_offers import hand_on_tasks_of  # kit.task_offers assigns through kit.assignment, which reads here

    with transaction():
        volunteer = _active(volunteer_id)
        if volunteer.paused_at is not None:
            raise Conflict("volunteers.already_paused", name=volunteer.name)
        volunteer.paused_at = utcnow()
        volunteer.save()
        audit.record(actor, "pause", "volunteer", volunteer.id)
        hand_on_tasks_of(volunteer.id, ("assigned",), actor=actor, reason="paused")
    return volunteer


def resume(volunteer_id: int, actor: str) -> Volunteer:
    """Put a paused volunteer back on duty (a deactivated one back on the list): tasks can reach them again."""
    with transaction():
        volunteer = get_volunteer(volunteer_id)
        if volunteer.active and volunteer.paused_at is None:
            raise Conflict("volunteers.already_on_duty", name=volunteer.name)
        was = volunteer.status
        volunteer.active = True
        volunteer.paused_at = None
        volunteer.save()
        audit.record(actor, "resume", "volunteer", volunteer.id, was=was)
    return volunteer


def deactivate(volunteer_id: int, actor: str) -> Volunteer:
    """Take a volunteer off the list (kept, with their points and history): every open task of theirs goes on to the
    next volunteer. `resume` brings them back."""
    from kit.task_offers import hand_on_tasks_of  # see pause

    with transaction():
        volunteer = get_volunteer(volunteer_id)
        if not volunteer.active:
            raise Conflict("volunteers.already_inactive", name=volunteer.name)
        volunteer.active = False
        volunteer.paused_at = None
        volunteer.save()
        audit.record(actor, "deactivate", "volunteer", volunteer.id)
        hand_on_tasks_of(volunteer.id, ("assigned", "accepted"), actor=actor, reason="inactive")
    return volunteer


def update(
    volunteer_id: int,
    *,
    actor: str,
    name: str | None = None,
    phone: str | None = None,
    grids: Iterable[str] | None = None,
    skills: str | Iterable[str] | None = None,
    language: str | None = None,
) -> Volunteer:
    """Change what is given (None leaves a field as it is); `grids` replaces the grids covered. Audited field by
    field, old and new."""
    community = get_community()
    with transaction():
        volunteer = get_volunteer(volunteer_id)
        changes: dict[str, list[Any]] = {}
        new: dict[str, Any] = {}
        if name is not None:
            new["name"] = clean_name(name)
        if phone is not None:
            new["phone"] = normalize_phone(phone, community.region)
            other = Volunteer.get_or_none((Volunteer.phone == new["phone"]) & (Volunteer.id != volunteer.id))
            if other is not None:
                raise Conflict("volunteers.phone_of_another", phone=new["phone"], id=other.id, name=other.name)
        if skills is not None:
            new["skills"] = ",".join(parse_skills(skills))
        if language is not None:
            new["language"] = normalize_language(language, community.language_list) or community.language
        for field, value in new.items():
            if getattr(volunteer, field) != value:
                changes[field] = [getattr(volunteer, field), value]
                setattr(volunteer, field, value)
        if grids is not None:
            wanted = [grid.strip() for grid in grids if grid.strip()]
            before = grids_of(volunteer.id)
            if sorted(wanted) != sorted(before):
                VolunteerGrid.delete().where(VolunteerGrid.volunteer == volunteer.id).execute()
                cover_grids(volunteer.id, wanted)
                changes["grids"] = [list(before), wanted]
        if changes:
            volunteer.save()
            audit.record(actor, "edit", "volunteer", volunteer.id, **changes)
    return volunteer


def _active(volunteer_id: int) -> Volunteer:
    volunteer = get_volunteer(volunteer_id)
    if not volunteer.active:
        raise Conflict("volunteers.inactive", name=volunteer.name)
    return volunteer
