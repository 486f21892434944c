"""Rows for the street office's exports: health reports, messages and tasks as plain dicts.

Each function streams its rows a batch at a time (keyset paging on the id), joins the names people read (resident,
grid, address, volunteer) instead of bare ids, and gives times in the community's local time with the offset
(2026-11-20T09:05:00+08:00). `day` is a local date: the rows created on it. kit.exporter writes them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import peewee

from kit.community import community_zone
from kit.errors import ValidationError
from kit.localtime import at_local, to_local
from kit.models import TASK_STATES, Grid, Household, Message, Report, Resident, Task, Volunteer, format_address

BATCH = 2000

REPORT_COLUMNS = (
    "id", "at", "resident_id", "resident", "phone", "grid", "address", "channel", "kind", "temperature_c",
    "symptoms", "text", "round_id",
)  # fmt: skip
MESSAGE_COLUMNS = (
    "id", "created_at", "direction", "channel", "kind", "peer", "resident", "volunteer", "language", "body",
    "status", "gateway", "provider_id", "segments", "attempts", "sent_at", "notice_id", "task_id", "round_id",
    "intent", "error_code", "error",
)  # fmt: skip
TASK_COLUMNS = (
    "id", "kind", "state", "resident_id", "resident", "resident_phone", "address", "grid", "volunteer",
    "volunteer_phone", "need", "source", "created_at", "due_at", "assigned_at", "done_at", "escalated_at", "points",
    "notes",
)  # fmt: skip
DIRECTIONS = ("in", "out")


def _day_bounds(day: date | None, zone: ZoneInfo) -> tuple[datetime, datetime] | None:
    if day is None:
        return None
    return at_local(day, time(0, 0), zone), at_local(day + timedelta(days=1), time(0, 0), zone)


def _local(value: datetime | None, zone: ZoneInfo) -> str | None:
    return to_local(value, zone).isoformat(timespec="seconds") if value is not None else None


def _paged(query: peewee.ModelSelect, id_field: peewee.Field, batch: int) -> Iterator[dict[str, Any]]:
    """The query's rows as dicts, `batch` at a time, in id order."""
    last = 0
    while True:
        rows = list(query.where(id_field > last).order_by(id_field).limit(batch).dicts())
        if not rows:
            return
        yield from rows
        last = rows[-1]["id"]


def report_rows(day: date | None = None, *, batch: int = BATCH) -> Iterator[dict[str, Any]]:
    """Every health report (of local `day`), with the resident's name, phone, grid and address."""
    zone = community_zone()
    query = (
        Report.select(
            Report.id,
            Report.at,
            Report.channel,
            Report.kind,
            Report.temperature_c,
            Report.symptoms,
            Report.text,
            Report.round.alias("round_id"),
            Resident.id.alias("resident_id"),
            Resident.name.alias("resident"),
            Resident.phone,
            Grid.name.alias("grid"),
            Household.building,
            Household.unit,
            Household.room,
        )
        .join(Resident, peewee.JOIN.LEFT_OUTER, on=(Report.resident == Resident.id))
        .join(Grid, peewee.JOIN.LEFT_OUTER, on=(Resident.grid == Grid.id))
        .switch(Resident)
        .join(Household, peewee.JOIN.LEFT_OUTER, on=(Resident.household == Household.id))
    )
    bounds = _day_bounds(day, zone)
    if bounds:
        query = query.where((Report.at >= bounds[0]) & (Report.at < bounds[1]))
    for row in _paged(query, Report.id, batch):
        yield {
            "id": row["id"],
            "at": _local(row["at"], zone),
            "resident_id": row["resident_id"],
            "resident": row["resident"],
            "phone": row["phone"],
            "grid": row["grid"],
            "address": _address(row),
            "channel": row["channel"],
            "kind": row["kind"],
            "temperature_c": row["temperature_c"],
            "symptoms": [s for s in (row["symptoms"] or "").split(",") if s],
            "text": row["text"],
            "round_id": row["round_id"],
        }


def message_rows(
    day: date | None = None, direction: str | None = None, *, batch: int = BATCH
) -> Iterator[dict[str, Any]]:
    """Every message in and out (of local `day`, of one `direction`), with the resident's or volunteer's name."""
    if direction is not None and direction not in DIRECTIONS:
        raise ValidationError("records.bad_direction", field="direction", direction=direction)
    return _message_rows(day, direction, batch)


def _message_rows(day: date | None, direction: str | None, batch: int) -> Iterator[dict[str, Any]]:
    zone = community_zone()
    volunteer = Volunteer.alias()
    query = (
        Message.select(
            Message.id,
            Message.created_at,
            Message.direction,
            Message.channel,
            Message.kind,
            Message.peer,
            Message.language,
            Message.body,
            Message.status,
            Message.gateway,
            Message.provider_id,
            Message.segments,
            Message.attempts,
            Message.sent_at,
            Message.notice_id,
            Message.task.alias("task_id"),
            Message.round.alias("round_id"),
            Message.intent,
            Message.error_code,
            Message.error,
            Resident.name.alias("resident"),
            volunteer.name.alias("volunteer"),
        )
        .join(Resident, peewee.JOIN.LEFT_OUTER, on=(Message.resident == Resident.id))
        .switch(Message)
        .join(volunteer, peewee.JOIN.LEFT_OUTER, on=(Message.volunteer == volunteer.id))
    )
    bounds = _day_bounds(day, zone)
    if bounds:
        query = query.where((Message.created_at >= bounds[0]) & (Message.created_at < bounds[1]))
    if direction:
        query = query.where(Message.direction == direction)
    for row in _paged(query, Message.id, batch):
        yield {
            **{column: row.get(column) for column in MESSAGE_COLUMNS},
            "created_at": _local(row["created_at"], zone),
            "sent_at": _local(row["sent_at"], zone),
            "intent": row["intent"] or None,
        }


def task_rows(day: date | None = None, state: str | None = None, *, batch: int = BATCH) -> Iterator[dict[str, Any]]:
    """Every task (created on local `day`, in `state`), with the resident, address, grid and volunteer."""
    if state is not None and state not in TASK_STATES:
        raise ValidationError("records.bad_task_state", field="state", state=state, states=", ".join(TASK_STATES))
    return _task_rows(day, state, batch)


def _task_rows(day: date | None, state: str | None, batch: int) -> Iterator[dict[str, Any]]:
    zone = community_zone()
    query = (
        Task.select(
            Task.id,
            Task.kind,
            Task.state,
            Task.need,
            Task.source,
            Task.created_at,
            Task.due_at,
            Task.assigned_at,
            Task.done_at,
            Task.escalated_at,
            Task.points,
            Task.notes,
            Resident.id.alias("resident_id"),
            Resident.name.alias("resident"),
            Resident.phone.alias("resident_phone"),
            Grid.name.alias("grid"),
            Household.building,
            Household.unit,
            Household.room,
            Volunteer.name.alias("volunteer"),
            Volunteer.phone.alias("volunteer_phone"),
        )
        .join(Resident, peewee.JOIN.LEFT_OUTER, on=(Task.resident == Resident.id))
        .join(Household, peewee.JOIN.LEFT_OUTER, on=(Resident.household == Household.id))
        .switch(Task)
        .join(Grid, peewee.JOIN.LEFT_OUTER, on=(Task.grid == Grid.id))
        .switch(Task)
        .join(Volunteer, peewee.JOIN.LEFT_OUTER, on=(Task.volunteer == Volunteer.id))
    )
    bounds = _day_bounds(day, zone)
    if bounds:
        query = query.where((Task.created_at >= bounds[0]) & (Task.created_at < bounds[1]))
    if state:
        query = query.where(Task.state == state)
    times = ("created_at", "due_at", "assigned_at", "done_at", "escalated_at")
    for row in _paged(query, Task.id, batch):
        shaped = {column: row.get(column) for column in TASK_COLUMNS}
        shaped.update({name: _local(row[name], zone) for name in times})
        shaped["address"] = _address(row)
        yield shaped


def _address(row: dict[str, Any]) -> str:
    return format_address(row.get("building") or "", row.get("unit") or "", row.get("room") or "")
