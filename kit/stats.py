"""The community at a glance, for `linli status` and the street office: counts grouped in SQL, never row by row.

`community_status()` is a JSON-ready dict built from one small function per figure; later issues add their own
(check-ins, outbox) the same way.
"""

from __future__ import annotations

import re
from typing import Any

import peewee

from kit.community import get_community
from kit.config import RetentionSettings
from kit.db import database
from kit.migrations import LATEST, current_version
from kit.models import HEALTH_STATUSES, MONITORING_CATEGORIES, Grid, Resident, ResidentTag, Volunteer


def community_figures() -> dict[str, Any]:
    community = get_community()
    return {
        "name": community.name,
        "region": community.region,
        "timezone": community.timezone,
        "languages": community.language_list,
    }


def schema_figures() -> dict[str, int]:
    return {"version": current_version(database.obj), "latest": LATEST}


def _grouped(column: peewee.Field) -> dict[str, int]:
    query = Resident.select(column, peewee.fn.COUNT(Resident.id)).group_by(column).tuples()
    return {value: int(count) for value, count in query}


def residents_by_status() -> dict[str, int]:
    """Every health status, zero included, in the order green, yellow, red."""
    counts = _grouped(Resident.status)
    return {status: counts.get(status, 0) for status in HEALTH_STATUSES}


def residents_by_monitoring() -> dict[str, int]:
    counts = _grouped(Resident.monitoring)
    return {category: counts.get(category, 0) for category in MONITORING_CATEGORIES}


def residents_by_tag() -> dict[str, int]:
    """Residents per tag, the most common first."""
    count = peewee.fn.COUNT(ResidentTag.id)
    query = (
        ResidentTag.select(ResidentTag.tag, count)
        .group_by(ResidentTag.tag)
        .order_by(count.desc(), ResidentTag.tag)
        .tuples()
    )
    return {tag: int(n) for tag, n in query}


def residents_by_grid() -> dict[str, int]:
    """Residents per grid, empty grids included, in natural order (第2网格 before 第10网格)."""
    query = (
        Grid.select(Grid.name, peewee.fn.COUNT(Resident.id))
        .join(Resident, peewee.JOIN.LEFT_OUTER, on=(Resident.grid == Grid.id))
        .group_by(Grid.id, Grid.name)
        .tuples()
    )
    return {name: int(n) for name, n in sorted(query, key=lambda row: natural_key(row[0]))}


def natural_key(text: str) -> list[Any]:
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", text) if part]


def resident_figures() -> dict[str, Any]:
    return {
        "total": Resident.select().count(),
        "by_status": residents_by_status(),
        "by_monitoring": residents_by_monitoring(),
        "by_tag": residents_by_tag(),
        "by_grid": residents_by_grid(),
        "without_grid": Resident.select().where(Resident.grid.is_null()).count(),
        "without_phone": Resident.select().where(Resident.phone.is_null()).count(),
        "opted_out": Resident.select().where(Resident.opted_out == True).count(),  # noqa: E712 - peewee
    }


def volunteer_figures() -> dict[str, int]:
    active = peewee.fn.SUM(peewee.Case(None, [(Volunteer.active == True, 1)], 0))  # noqa: E712 - peewee
    total, active_count = Volunteer.select(peewee.fn.COUNT(Volunteer.id), active).tuples().get()
    return {"total": int(total), "active": int(active_count or 0)}


def today_figures() -> dict[str, Any]:
    """Today's check-in (asked, answered, silent, escalated, ...), open alerts, open tasks and the outbox."""
    from kit.alerts import count_open
    from kit.checkin import round_summary
    from kit.needs_reading import count as needing_reading
    from kit.outbox import counts_by_status
    from kit.tasks import task_counts

    summary = round_summary()
    return {
        "date": summary["date"],
        "checkin": summary["total"],
        "rounds": len(summary["rounds"]),
        "open_alerts": count_open(),
        "needs_reading": needing_reading(),  # replies nobody understood that no operator has read yet
        "tasks": task_counts(),
        "outbox": counts_by_status("out"),
        "inbox": counts_by_status("in"),
    }


def community_status(retention: RetentionSettings | None = None) -> dict[str, Any]:
    """Everything `linli status` shows, as a JSON-ready dict; with `retention`, the retention in force too."""
    figures = {
        "community": community_figures(),
        "schema": schema_figures(),
        "residents": resident_figures(),
        "volunteers": volunteer_figures(),
        "today": today_figures(),
    }
    if retention is not None:
        from kit.retention import retention_figures

        figures["retention"] = retention_figures(retention)
    return figures
