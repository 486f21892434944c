"""Who does a task: the eligible volunteer of the grid with the fewest unfinished tasks (one with the skill the need
asks for first), and the one alert that says a grid has nobody (the rules `kit.tasks` assigns by).

Decisions
- Eligible (`kit.volunteers.eligible`): active, on duty (not paused), and the number has not opted out of SMS. A
  volunteer who texted STOP is never told about a task, so giving them one would leave it undone while it looks
  handled.
- Skills steer first: a need that names a skill's words (data/skills.toml [needs]: "买药" asks for medical) goes to
  the least-loaded volunteer of the grid with that skill; with nobody skilled there, to the least-loaded one.
- Those who declined a task, or let its offer lapse, are skipped when it is offered again (`kit.task_offers`).
- Least loaded means fewest open, assigned or accepted tasks; a tie goes to the lowest volunteer id, so the
  choice is deterministic. A resident without a grid may be served by any eligible volunteer.
- A grid with nobody to give tasks to raises one `task_unassigned` alert per local day, not one per task, and
  names its volunteers who opted out: twenty-four stranded requests are one line to act on.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from typing import NamedTuple

import peewee

from kit.alerts import alert_text, raise_alert
from kit.alerts import alert_word as kind_word
from kit.clock import utcnow
from kit.community import community_zone
from kit.localtime import local_date
from kit.models import Grid, Task, Volunteer, VolunteerGrid
from kit.skills import skill_for_need
from kit.volunteers import eligible, stopped_in_grid

OPEN_STATES = ("open", "assigned", "accepted")


class Helper(NamedTuple):
    """An eligible volunteer, as much as assigning needs."""

    id: int
    name: str
    phone: str
    language: str
    skills: str = ""  # comma-separated, as Volunteer.skills


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
        for row in Volunteer.select(Volunteer.id, Volunteer.name, Volunteer.phone, Volunteer.language, Volunteer.skills)
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


def best_for(need: str, candidates: Sequence[int], helpers: dict[int, Helper], loads: Counter[int]) -> int | None:
    """Among `candidates`, the least-loaded one with the skill `need` asks for, else the least-loaded one."""
    skill = skill_for_need(need) if need else None
    if skill is not None:
        skilled = [c for c in candidates if skill in helpers[c].skills.split(",")]
        if skilled:
            return least_loaded(skilled, loads)
    return least_loaded(candidates, loads)


def suggest_volunteer(grid_id: int | None, need: str = "", *, skip: Collection[int] = ()) -> Volunteer | None:
    """The eligible volunteer covering `grid_id` with the fewest unfinished tasks (lowest id on a tie), one with the
    skill `need` asks for first, none of `skip`; any eligible volunteer when the grid is None; None when nobody is
    left."""
    helpers, by_grid = helpers_by_grid()
    candidates = [volunteer_id for volunteer_id in by_grid.get(grid_id, []) if volunteer_id not in skip]
    chosen = best_for(need, candidates, helpers, task_loads())
    return Volunteer.get_by_id(chosen) if chosen is not None else None


def grid_name(grid_id: int | None) -> str:
    if grid_id is None:
        return "(none)"
    return str(Grid.select(Grid.name).where(Grid.id == grid_id).scalar() or grid_id)


def nobody_covers(grid_id: int | None) -> str:
    """Why nobody can take a task in the grid, naming the volunteers there who texted STOP."""
    why = alert_text("alert_nobody_covers", grid=grid_name(grid_id))
    stopped = stopped_in_grid(grid_id)
    if stopped:
        why += alert_text("alert_nobody_reachable", names=", ".join(stopped))
    return why


def task_words(task_id: int, kind: str, resident_name: str = "") -> str:
    """A task as an alert names it, in the community's language: "任务12（代购代办，王秀英）"."""
    who = alert_text("alert_task_who", name=resident_name) if resident_name else ""
    return alert_text("alert_task_what", task=task_id, kind=kind_word(kind), who=who)


def alert_nobody(grid_id: int | None, what: str, *, task_id: int, resident_id: int | None = None) -> None:
    """One `task_unassigned` alert per grid per local day, however many tasks wait there. `what` names the task
    (`task_words`)."""
    day = local_date(utcnow(), community_zone()).isoformat()
    raise_alert(
        "task_unassigned",
        alert_text("alert_task_unassigned", what=what, why=nobody_covers(grid_id)),
        key=f"task_unassigned:grid:{grid_id}:{day}",
        resident_id=resident_id,
        task_id=task_id,
    )
