"""The volunteers as an operator's board lists them: the sign-ups waiting for a decision, then every volunteer with
their status, grids, skills, open tasks and points.

Decisions
- One read for the whole board (a community has tens of volunteers, not thousands): the sign-ups, the volunteers
  and their open tasks in a handful of queries.
- A sign-up is a row too, with status "pending": the operator approves or declines it where they see the others.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from kit.assignment import task_loads
from kit.jsonable import record_dict
from kit.volunteer_signups import pending_signups
from kit.volunteers import list_volunteers

VOLUNTEER_STATUSES = ("pending", "active", "paused", "inactive")  # the board's order
_GRID_SEPARATORS = re.compile(r"[,;，；、]+")  # not "/": a grid may be called "3/4号楼"


@dataclass(frozen=True)
class VolunteerRow:
    """A volunteer (`kind` "volunteer") or a sign-up waiting for an operator (`kind` "signup", status "pending")."""

    kind: str
    id: int
    name: str  # "" for a sign-up from a number nobody knows
    phone: str
    grids: tuple[str, ...]
    skills: tuple[str, ...]
    status: str  # VOLUNTEER_STATUSES
    open_tasks: int
    points: int
    text: str = ""  # a sign-up: what they sent, as they sent it
    grid_asked: str = ""  # a sign-up: a grid they asked for that does not exist (an operator names one)

    @property
    def is_signup(self) -> bool:
        return self.kind == "signup"

    def as_dict(self) -> dict[str, Any]:
        return record_dict(self)


def volunteer_board() -> list[VolunteerRow]:
    """The sign-ups waiting (oldest first), then the volunteers: on duty, paused, inactive, each in the order they
    joined."""
    loads = task_loads()
    rows = [
        VolunteerRow(
            kind="signup",
            id=signup.id,
            name=signup.name,
            phone=signup.phone,
            grids=(signup.grid,) if signup.grid else (),
            skills=signup.skills,
            status="pending",
            open_tasks=0,
            points=0,
            text=signup.text,
            grid_asked="" if signup.grid else signup.grid_asked,
        )
        for signup in pending_signups()
    ]
    volunteers = [
        VolunteerRow(
            kind="volunteer",
            id=view.id,
            name=view.name,
            phone=view.phone,
            grids=view.grids,
            skills=view.skills,
            status=view.status,
            open_tasks=loads.get(view.id, 0),
            points=view.points,
        )
        for view in list_volunteers()
    ]
    volunteers.sort(key=lambda row: (VOLUNTEER_STATUSES.index(row.status), row.id))
    return rows + volunteers


def split_grids(text: str) -> list[str]:
    """The grids an operator typed in one field: '第1网格，第2网格' -> ['第1网格', '第2网格'] (empty: none)."""
    return [name for name in (" ".join(part.split()) for part in _GRID_SEPARATORS.split(text)) if name]
