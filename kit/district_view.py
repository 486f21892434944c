"""What a district reads from the figures its communities pushed: who reported on a day and what, the trend of the
last days, and the table for the level above.

Decisions:
- Status is three indexed reads whatever the history's length: the day's reports (index on day), their grid rows
  (index on report), and, for the communities that did not report, their last reported day up to that day (the
  unique (community, day) index).
- The trend reads the reports' stored totals, one row per (community, day), never the grid rows: 14 days of 50
  communities is 700 small rows.
- Only communities whose token is not revoked are listed; a revoked community's figures stay stored.
- The words of the tables (beyond the figures' own labels in data/figures.toml) are in data/district.toml.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import peewee

from kit.district_models import DistrictCommunity, DistrictGridFigures, DistrictReport
from kit.errors import ValidationError
from kit.exporter import export_to_path
from kit.figures import FIGURES, figure_labels
from kit.jsonable import record_dict
from kit.stats import natural_key

TREND_FIGURES = ("asked", "answered", "fever", "unreachable")
TREND_DAYS = 14
MAX_TREND_DAYS = 366
BARS = "▁▂▃▄▅▆▇█"


@dataclass(frozen=True)
class CommunityStatus:
    """One community on one day: whether it reported, since when it has not, and what it reported."""

    name: str
    reported: bool
    last_reported: date | None  # the last day up to this one it reported for; None: never
    received_at: datetime | None = None  # UTC, naive
    totals: dict[str, int] = field(default_factory=dict)
    grids: list[dict[str, Any]] = field(default_factory=list)  # {"grid": label, figure: count, ...}

    def as_dict(self) -> dict[str, Any]:
        received = self.received_at.replace(microsecond=0).isoformat() + "Z" if self.received_at else None
        return {**record_dict(self), "received_at": received}  # UTC marked, to the second


@dataclass(frozen=True)
class DistrictStatus:
    day: date
    communities: list[CommunityStatus]

    @property
    def totals(self) -> dict[str, int]:
        total = dict.fromkeys(FIGURES, 0)
        for community in self.communities:
            for name, value in community.totals.items():
                if name in total:
                    total[name] += value
        return total

    @property
    def not_reported(self) -> list[CommunityStatus]:
        return [community for community in self.communities if not community.reported]


@dataclass(frozen=True)
class Trend:
    """The district's sums per day, oldest first: `series[figure][i]` is the sum on `days[i]`."""

    days: list[date]
    series: dict[str, list[int]]
    reporting: list[int]  # communities that reported each day


def district_status(day: date) -> DistrictStatus:
    """Every community (not revoked) on `day`, in natural order of name."""
    communities = list(
        DistrictCommunity.select(DistrictCommunity.id, DistrictCommunity.name)
        .where(DistrictCommunity.revoked_at.is_null())
        .tuples()
    )
    reports = {
        community_id: (report_id, received_at, json.loads(totals))
        for report_id, community_id, received_at, totals in DistrictReport.select(
            DistrictReport.id, DistrictReport.community, DistrictReport.received_at, DistrictReport.totals
        )
        .where(DistrictReport.day == day)
        .tuples()
    }
    grids = _grid_rows([report[0] for report in reports.values()])
    missing = [community_id for community_id, _ in communities if community_id not in reports]
    last = (
        dict(
            DistrictReport.select(DistrictReport.community, peewee.fn.MAX(DistrictReport.day))
            .where((DistrictReport.day <= day) & DistrictReport.community.in_(missing))
            .group_by(DistrictReport.community)
            .tuples()
        )
        if missing
        else {}
    )
    rows = []
    for community_id, name in sorted(communities, key=lambda row: natural_key(row[1])):
        report = reports.get(community_id)
        if report is None:
            rows.append(CommunityStatus(name, False, _as_date(last.get(community_id))))
            continue
        report_id, received_at, totals = report
        shown = sorted(grids[report_id], key=lambda row: natural_key(row["grid"]))
        rows.append(CommunityStatus(name, True, day, received_at, totals, shown))
    return DistrictStatus(day, rows)


def _grid_rows(report_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    grids: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for start in range(0, len(report_ids), 500):
        query = DistrictGridFigures.select(
            DistrictGridFigures.report, DistrictGridFigures.grid, DistrictGridFigures.figures
        ).where(DistrictGridFigures.report.in_(report_ids[start : start + 500]))
        for report_id, grid, figures in query.tuples():
            grids[report_id].append({"grid": grid, **json.loads(figures)})
    return grids


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])  # SQLite hands back MAX() of a date column as text


def district_trend(end: date, days: int = TREND_DAYS, figures: tuple[str, ...] = TREND_FIGURES) -> Trend:
    """The sums of `figures` over the communities (not revoked) for each of the `days` days up to `end`."""
    if not 1 <= days <= MAX_TREND_DAYS:
        raise ValidationError("district.trend_days", field="days", max=MAX_TREND_DAYS, days=days)
    start = end - timedelta(days=days - 1)
    span = [start + timedelta(days=offset) for offset in range(days)]
    index = {day: position for position, day in enumerate(span)}
    series = {name: [0] * days for name in figures}
    reporting = [0] * days
    query = (
        DistrictReport.select(DistrictReport.day, DistrictReport.totals)
        .join(DistrictCommunity)
        .where((DistrictReport.day >= start) & (DistrictReport.day <= end) & DistrictCommunity.revoked_at.is_null())
        .tuples()
    )
    for day, totals in query:
        position = index[_as_date(day)]  # type: ignore[index]
        reporting[position] += 1
        counts = json.loads(totals)
        for name in figures:
            series[name][position] += int(counts.get(name, 0))
    return Trend(span, series, reporting)


def bars(values: list[int]) -> str:
    """A small chart in one line of text, a block per value, scaled to the largest: ▁▂▃▄▅▆▇█."""
    top = max(values, default=0)
    if top <= 0:
        return BARS[0] * len(values)
    return "".join(BARS[min(len(BARS) - 1, round(value / top * (len(BARS) - 1)))] for value in values)


def district_words(language: str) -> dict[str, str]:
    """The district tables' words (reported, not reported, since, ...) in `language`; English for any other."""
    from data import read_toml

    tables = read_toml("district.toml")
    return dict(tables.get(language) or tables["en"])


def export_rows(status: DistrictStatus, language: str) -> tuple[list[str], list[dict[str, Any]]]:
    """The district's table for the level above: the headers in `language`, and a row per community and grid, a
    total per community, a row for each community that did not report, and the district's total last."""
    labels, words = figure_labels(language), district_words(language)
    columns = [labels["community"], labels["grid"], *(labels[name] for name in FIGURES), words["last_reported"]]

    def row(community: str, grid: str, figures: dict[str, int], last: date | None = None) -> dict[str, Any]:
        values = {labels[name]: figures.get(name) for name in FIGURES}
        return {labels["community"]: community, labels["grid"]: grid, **values, words["last_reported"]: last}

    rows: list[dict[str, Any]] = []
    for community in status.communities:
        if not community.reported:
            rows.append(row(community.name, words["not_reported"], {}, community.last_reported))
            continue
        for grid in community.grids:
            rows.append(row(community.name, grid["grid"] or labels["no_grid"], grid))
        rows.append(row(community.name, labels["total"], community.totals, community.last_reported))
    rows.append(row(words["district"], labels["total"], status.totals))
    return columns, rows


def export_status(day: date, path: str | os.PathLike[str], language: str) -> int:
    """Write the district's table of `day` to the XLSX file `path`; returns the rows written."""
    columns, rows = export_rows(district_status(day), language)
    return export_to_path(rows, columns, "xlsx", path)


@dataclass(frozen=True)
class CommunityLine:
    name: str
    created_at: datetime
    revoked_at: datetime | None
    last_reported: date | None


def list_communities() -> list[CommunityLine]:
    """Every community the district knows, revoked ones too, in natural order of name."""
    last = dict(
        DistrictReport.select(DistrictReport.community, peewee.fn.MAX(DistrictReport.day))
        .group_by(DistrictReport.community)
        .tuples()
    )
    rows = [
        CommunityLine(c.name, c.created_at, c.revoked_at, _as_date(last.get(c.id))) for c in DistrictCommunity.select()
    ]
    return sorted(rows, key=lambda row: natural_key(row.name))
