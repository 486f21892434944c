"""Who does a task: the eligible volunteer of the grid with the fewest unfinished tasks, and the one alert that
says a grid has nobody (the rules `kit.tasks` assigns by).

Decisions
- Eligible (`kit.volunteers.eligible`): active, and the number has not opted out of SMS. A volunteer who texted
  STOP is never told about a task, so giving them one would leave it undone while it looks handled.
- Least loaded means fewest open, assigned or accepted tasks; a tie goes to the lowest volunteer id, so the
  choice is deterministic. A resident without a grid may be served by any eligible volunteer.
- A grid with nobody to give tasks to raises one `task_unassigned` alert per local day, not one per task, and
  names its volunteers who opted out: twenty-four stranded requests are one line to act on.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import NamedTuple

import peewee

from kit.alerts import raise_alert
from kit.clock import utcnow
from kit.community import community_zone
from kit.localtime import local_date
from kit.models import Grid, Task, Volunteer, VolunteerGrid
from kit.volunteers import eligible, stopped_in_grid

OPEN_STATES = ("open", "assigned", "accepted")


class Helper(NamedTuple):
    """An eligible volunteer, as much as assigning needs."""

    id: int
    name: str
    phone: str
    language: str


def task_loads() -> Counter[int]:
    """Unfinished tasks per volunteer, in one GROUP BY."""
    rows = (
        Task.select(Task.volunteer, peewee.fn.COUNT(Task.id))
        .where(Task.state.in_(OPEN_STATES) & Task.volunteer.is_null(False))
        .group_by(Task.volunteer)
        .tuples()
    )
    return Counter({volunteer_id: int(count) for volunteer_id, count in rows})


def helpers_by_grid() -> tuple[dict[int, Helper], dict[int | None, list[int]]]:
    """Every eligible volunteer, and the ids of those covering each grid (None: all of them), in two queries."""
    helpers = {
        row[0]: Helper(*row)
        for row in Volunteer.select(Volunteer.id, Volunteer.name, Volunteer.phone, Volunteer.language)
        .where(eligible())
        .order_by(Volunteer.id)
        .tuples()
    }
    by_grid: dict[int | None, list[int]] = {None: sorted(helpers)}
    for volunteer_id, grid_id in VolunteerGrid.select(VolunteerGrid.volunteer, VolunteerGrid.grid).tuples():
        if volunteer_id in helpers:
            by_grid.setdefault(grid_id, []).append(volunteer_id)
    return helpers, by_grid


def least_loaded(candidates: Sequence[int], loads: Counter[int]) -> int | None:
    if not candidates:
        return None
    return min(candidates, key=lambda volunteer_id: (loads[volunteer_id], volunteer_id))


def suggest_volunteer(grid_id: int | None) -> Volunteer | None:
    """The eligible volunteer covering `grid_id` with the fewest unfinished tasks (lowest id on a tie); any eligible
    volunteer when the grid is None; None when nobody covers the grid."""
    _, by_grid = helpers_by_grid()
    chosen = least_loaded(by_grid.get(grid_id, []), task_loads())
    return Volunteer.get_by_id(chosen) if chosen is not None else None


def grid_name(grid_id: int | None) -> str:
    if grid_id is None:
        return "(none)"
    return str(Grid.select(Grid.name).where(Grid.id == grid_id).scalar() or grid_id)


def nobody_covers(grid_id: int | None) -> str:
    """Why nobody can take a task in the grid, naming the volunteers there who texted STOP."""
    why = f"no active volunteer covers grid {grid_name(grid_id)}"
    stopped = stopped_in_grid(grid_id)
    if stopped:
        why += f" ({', '.join(stopped)} opted out of SMS, so no task can reach them)"
    return why


def alert_nobody(grid_id: int | None, what: str, *, task_id: int, resident_id: int | None = None) -> None:
    """One `task_unassigned` alert per grid per local day, however many tasks wait there."""
    day = local_date(utcnow(), community_zone()).isoformat()
    raise_alert(
        "task_unassigned",
        f"{what} nobody to do it: {nobody_covers(grid_id)}. Assign it by hand, or add a volunteer for that grid; "
        "more tasks there today wait without another alert.",
        key=f"task_unassigned:grid:{grid_id}:{day}",
        resident_id=resident_id,
        task_id=task_id,
    )
