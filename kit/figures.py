"""A day's figures per grid: what the street office's daily sheet asks for and what a community pushes upward.

Only counts, never a name, phone or address: `DayFigures.as_dict()` is what leaves the laptop.

Decisions:
- The names are stable (`FIGURES`): machines read them in CSV and JSON and the district server stores them, so a
  figure is added at the end and never renamed. People read the labels in data/figures.toml, per language.
- Check-in figures (asked, answered, silent, well, unwell, help, unreachable) count the day's asks, from the same
  GROUP BY as the Today screen (`kit.checkin.round_summary`), so the sheet and the screen never disagree. A resident
  asked in two rounds on one day counts twice, as on the screen.
- "fever" counts residents who reported a fever that local day, by the one fever rule in `kit.reports`.
- The register figures (residents, monitored, red, yellow) and open tasks are as they stand now: a report for a
  past day says so in its `as_of` time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import peewee

from kit.checkin import round_summary
from kit.clock import utcnow
from kit.community import community_zone, get_community
from kit.health import FEVER_C
from kit.localtime import at_local, local_date
from kit.models import Grid, Report, Resident, Task
from kit.plaintext import visible
from kit.stats import natural_key

FIGURES: tuple[str, ...] = (
    "residents", "asked", "answered", "silent", "well", "unwell", "fever", "help", "unreachable", "opted_out",
    "monitored", "red", "yellow", "tasks_new", "tasks_open", "tasks_done",
)  # fmt: skip
NO_GRID = ""  # residents without a grid are counted under this name
OPEN_TASK_STATES = ("open", "assigned", "accepted")


@dataclass(frozen=True)
class GridFigures:
    grid: str
    figures: dict[str, int]


@dataclass(frozen=True)
class DayFigures:
    """One local day of one community: a row per grid, and the totals."""

    community: str
    day: date
    as_of: datetime  # UTC, naive: when the figures were counted
    grids: list[GridFigures] = field(default_factory=list)

    @property
    def totals(self) -> dict[str, int]:
        total = dict.fromkeys(FIGURES, 0)
        for row in self.grids:
            for name in FIGURES:
                total[name] += row.figures[name]
        return total

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, counts only; the labels as one line each, control characters shown (kit.plaintext)."""
        return {
            "community": visible(self.community),
            "date": self.day.isoformat(),
            "as_of": self.as_of.replace(microsecond=0).isoformat() + "Z",
            "figures": list(FIGURES),
            "grids": [{"grid": visible(row.grid), **row.figures} for row in self.grids],
            "totals": self.totals,
        }


def day_figures(day: date | None = None) -> DayFigures:
    """The figures of local `day` (default today), a row per grid in natural order, empty grids included."""
    zone = community_zone()
    now = utcnow()
    day = day or local_date(now, zone)
    rows: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIGURES, 0))
    for (name,) in Grid.select(Grid.name).tuples():
        rows[name] = dict.fromkeys(FIGURES, 0)  # every grid gets a row, even one with nobody in it
    _add_register(rows)
    _add_checkins(rows, day)
    start, end = at_local(day, time(0), zone), at_local(day + timedelta(days=1), time(0), zone)
    _add_fevers(rows, start, end)
    _add_tasks(rows, start, end)
    grids = [GridFigures(grid, rows[grid]) for grid in sorted(rows, key=natural_key)]
    return DayFigures(get_community().name, day, now, grids)


def _grid_name(column: Any) -> Any:
    """For SELECT only; GROUP BY the bare column: PostgreSQL does not see two COALESCE(name, $n) as the same."""
    return peewee.fn.COALESCE(column, NO_GRID)


def _add(rows: dict[str, dict[str, int]], figure: str, counts: Iterable[tuple[str | None, Any]]) -> None:
    for grid, count in counts:
        rows[grid or NO_GRID][figure] += int(count or 0)


def _register_count(condition: Any) -> Any:
    return peewee.fn.SUM(peewee.Case(None, [(condition, 1)], 0))


def _add_register(rows: dict[str, dict[str, int]]) -> None:
    query = (
        Resident.select(
            _grid_name(Grid.name),
            peewee.fn.COUNT(Resident.id),
            _register_count(Resident.monitoring != "none"),
            _register_count(Resident.status == "red"),
            _register_count(Resident.status == "yellow"),
        )
        .join(Grid, peewee.JOIN.LEFT_OUTER, on=(Resident.grid == Grid.id))
        .group_by(Grid.name)
        .tuples()
    )
    for grid, total, monitored, red, yellow in query:
        row = rows[grid or NO_GRID]
        row["residents"] += int(total)
        row["monitored"] += int(monitored or 0)
        row["red"] += int(red or 0)
        row["yellow"] += int(yellow or 0)


_FROM_SUMMARY = {
    "asked": "asked",
    "answered": "answered",
    "silent": "silent",
    "well": "well",
    "unwell": "unwell",
    "help": "help",
    "unreachable": "door_knock",
    "opted_out": "opted_out",
}


def _add_checkins(rows: dict[str, dict[str, int]], day: date) -> None:
    for checkin in round_summary(day)["rounds"]:
        for grid_row in checkin["grids"]:
            row = rows[grid_row["grid"] or NO_GRID]
            for figure, source in _FROM_SUMMARY.items():
                row[figure] += int(grid_row.get(source, 0))


def _add_fevers(rows: dict[str, dict[str, int]], start: datetime, end: datetime) -> None:
    fever = (Report.temperature_c >= FEVER_C) | (Report.symptoms.contains("fever"))
    query = (
        Report.select(_grid_name(Grid.name), peewee.fn.COUNT(peewee.fn.DISTINCT(Report.resident)))
        .join(Resident, on=(Report.resident == Resident.id))
        .join(Grid, peewee.JOIN.LEFT_OUTER, on=(Resident.grid == Grid.id))
        .where((Report.at >= start) & (Report.at < end) & fever)
        .group_by(Grid.name)
        .tuples()
    )
    _add(rows, "fever", query)


def _task_count(condition: Any) -> Any:
    query = (
        Task.select(_grid_name(Grid.name), peewee.fn.COUNT(Task.id))
        .join(Grid, peewee.JOIN.LEFT_OUTER, on=(Task.grid == Grid.id))
        .where(condition)
        .group_by(Grid.name)
        .tuples()
    )
    return list(query)


def _add_tasks(rows: dict[str, dict[str, int]], start: datetime, end: datetime) -> None:
    _add(rows, "tasks_new", _task_count((Task.created_at >= start) & (Task.created_at < end)))
    _add(rows, "tasks_done", _task_count((Task.done_at >= start) & (Task.done_at < end)))
    _add(rows, "tasks_open", _task_count(Task.state.in_(OPEN_TASK_STATES)))


def figure_labels(language: str) -> dict[str, str]:
    """What people read for each figure (and for community, date, grid, no_grid, total), in `language`;
    English for a language that has no table."""
    from data import read_toml

    tables = read_toml("figures.toml")
    return dict(tables.get(language) or tables["en"])
