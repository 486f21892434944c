"""Volunteers: people with a phone, skills and the grids they cover, earning neighbour points (邻里积分)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import peewee

from kit import audit
from kit.community import get_community
from kit.db import transaction
from kit.errors import Conflict, NotFound, ValidationError
from kit.jsonable import record_dict
from kit.models import Grid, OptOut, Volunteer, VolunteerGrid
from kit.phones import normalize_phone
from kit.residents import grid_id_for
from kit.vocabulary import fold, normalize_language

_LIST_SEPARATORS = re.compile(r"[,;，；、/|]+")
SKILLS = ("errands", "medical", "counselling", "driving")
_SKILL_ALIASES = {
    "跑腿": "errands",
    "代购": "errands",
    "医疗": "medical",
    "医护": "medical",
    "心理": "counselling",
    "心理疏导": "counselling",
    "counseling": "counselling",
    "开车": "driving",
    "司机": "driving",
}


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

    def as_dict(self) -> dict[str, Any]:
        return record_dict(self)


def parse_skills(raw: str | Iterable[str] | None) -> list[str]:
    pieces = _LIST_SEPARATORS.split(raw) if isinstance(raw, str) else list(raw or [])
    skills: list[str] = []
    for piece in pieces:
        word = fold(piece)
        if not word:
            continue
        skill = _SKILL_ALIASES.get(word, word)
        if skill not in SKILLS:
            raise ValidationError(f"'{piece.strip()}' is not a skill; use: {', '.join(SKILLS)}.", field="skills")
        if skill not in skills:
            skills.append(skill)
    return skills


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
    name = " ".join(name.split())
    if not name:
        raise ValidationError("The volunteer's name is empty.", field="name")
    number = normalize_phone(phone, community.region)
    skill_list = parse_skills(skills)
    code = normalize_language(language, community.language_list) or community.language
    with transaction():
        if Volunteer.get_or_none(Volunteer.phone == number) is not None:
            raise Conflict(f"{number} is already a volunteer's number.")
        volunteer = Volunteer.create(name=name, phone=number, skills=",".join(skill_list), language=code)
        for grid_name in grids:
            grid_id = grid_id_for(grid_name.strip())
            if grid_id is not None:
                VolunteerGrid.get_or_create(volunteer=volunteer.id, grid=grid_id)
        audit.record(actor, "add", "volunteer", volunteer.id, name=name, phone=number, grids=list(grids))
    return volunteer


def get_volunteer(key: int | str) -> Volunteer:
    volunteer: Volunteer | None
    if isinstance(key, int) or (isinstance(key, str) and key.isdigit() and len(key) < 9):
        volunteer = Volunteer.get_or_none(Volunteer.id == int(key))
    else:
        volunteer = Volunteer.get_or_none(Volunteer.phone == normalize_phone(str(key), get_community().region))
    if volunteer is None:
        raise NotFound(f"No volunteer {key}.")
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
        )
        for v in volunteers
    ]


def eligible() -> peewee.ColumnBase:
    """The condition on `Volunteer` for who may be given a task: active, and their number has not opted out of SMS
    (a volunteer who texted STOP would never be told about the task, so nobody would do it)."""
    return (Volunteer.active == True) & Volunteer.phone.not_in(OptOut.select(OptOut.phone))  # noqa: E712


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
