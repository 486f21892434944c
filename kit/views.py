"""Read-only views for the operators' screens: a resident's history, the inbox feed, a conversation, the gateways'
health, overdue tasks, volunteers to choose from.

Each is bounded (a limit, never a whole table) and returns plain dataclasses, so the terminal UI never touches the
models itself; it calls these from worker threads. Every write goes through the other kit services.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import peewee

from kit import needs_reading
from kit.models import GatewayHealth, Message, Report, Resident, Task, Volunteer
from kit.resident_search import ResidentFilter, ResidentView, find_residents


@dataclass(frozen=True)
class ReportLine:
    at: datetime
    channel: str
    kind: str
    temperature_c: float | None
    symptoms: str
    text: str


@dataclass(frozen=True)
class MessageLine:
    id: int
    at: datetime
    direction: str
    channel: str
    peer: str
    body: str
    status: str
    kind: str
    resident_id: int | None
    resident_name: str
    intent: dict[str, Any]
    corrected: dict[str, Any]
    language: str = ""
    provider_id: str = ""  # a voice call's rows: "<call>:<step>" (kit.voice.step_id)
    needs_reading: bool = False  # inbound: not understood and nobody has read it yet (kit.needs_reading)


@dataclass(frozen=True)
class TaskLine:
    id: int
    kind: str
    state: str
    need: str
    volunteer: str
    due_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class ResidentHistory:
    view: ResidentView
    reports: list[ReportLine] = field(default_factory=list)
    messages: list[MessageLine] = field(default_factory=list)
    tasks: list[TaskLine] = field(default_factory=list)


def resident_history(resident_id: int, limit: int = 8) -> ResidentHistory | None:
    """A resident with their latest reports, messages (in and out) and tasks, newest first. Their messages are the
    ones to and from them and their second contact: a task SMS that tells a volunteer about them is the volunteer's,
    not theirs."""
    views = find_residents(ResidentFilter(ids=[resident_id]), limit=1)
    if not views:
        return None
    reports = [
        ReportLine(r.at, r.channel, r.kind, r.temperature_c, r.symptoms, r.text)
        for r in Report.select().where(Report.resident == resident_id).order_by(Report.at.desc()).limit(limit)
    ]
    messages = [
        _message_line(row, views[0].name)
        for row in Message.select()
        .where((Message.resident == resident_id) & Message.volunteer.is_null())
        .order_by(Message.id.desc())
        .limit(limit)
    ]
    tasks = [
        TaskLine(row.id, row.kind, row.state, row.need, row.volunteer_name or "", row.due_at, row.created_at)
        for row in Task.select(Task, Volunteer.name.alias("volunteer_name"))
        .join(Volunteer, peewee.JOIN.LEFT_OUTER, on=(Task.volunteer == Volunteer.id))
        .where(Task.resident == resident_id)
        .order_by(Task.id.desc())
        .limit(limit)
        .objects()
    ]
    return ResidentHistory(views[0], reports, messages, tasks)


def _json(text: str) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _message_line(row: Message, resident_name: str) -> MessageLine:
    return MessageLine(
        id=row.id,
        at=row.created_at,
        direction=row.direction,
        channel=row.channel,
        peer=row.peer,
        body=row.body,
        status=row.status,
        kind=row.kind,
        resident_id=row.resident_id,
        resident_name=resident_name,
        intent=_json(row.intent),
        corrected=_json(row.corrected_intent),
        language=row.language,
        provider_id=row.provider_id or "",
        needs_reading=row.needs_reading_since is not None,
    )


def inbound_messages(*, after_id: int = 0, limit: int = 200, needs_reading_only: bool = False) -> list[MessageLine]:
    """Inbound messages newer than `after_id` (the newest `limit` of them), newest first, with the sender's name and
    whether each needs reading; with `needs_reading_only`, only those that do."""
    which = (Message.direction == "in") & (Message.id > after_id)
    query = (
        Message.select(Message, Resident.name.alias("resident_name"))
        .join(Resident, peewee.JOIN.LEFT_OUTER, on=(Message.resident == Resident.id))
        .where(which & needs_reading.condition() if needs_reading_only else which)
        .order_by(Message.id.desc())
        .limit(limit)
        .objects()
    )
    return [_message_line(row, row.resident_name or "") for row in query]


def conversation(phone: str, limit: int = 12) -> list[MessageLine]:
    """The latest messages to and from one number, oldest first (for the simulator panel)."""
    rows = list(Message.select().where(Message.peer == phone).order_by(Message.id.desc()).limit(limit))
    return [_message_line(row, "") for row in reversed(rows)]


@dataclass(frozen=True)
class GatewayLine:
    name: str
    last_success_at: datetime | None
    last_failure_at: datetime | None
    consecutive_failures: int
    last_error: str


def overdue_task_count(now: datetime) -> int:
    """Unfinished tasks past their due time."""
    return int(
        Task.select()
        .where(Task.state.in_(["open", "assigned", "accepted"]) & Task.due_at.is_null(False) & (Task.due_at <= now))
        .count()
    )


def gateway_health() -> list[GatewayLine]:
    return [
        GatewayLine(g.name, g.last_success_at, g.last_failure_at, g.consecutive_failures, g.last_error)
        for g in GatewayHealth.select().order_by(GatewayHealth.name).limit(20)
    ]


@dataclass(frozen=True)
class VolunteerChoice:
    id: int
    name: str
    load: int  # unfinished tasks
    in_grid: bool  # covers the task's grid


def volunteer_choices(grid_name: str | None) -> tuple[int | None, list[VolunteerChoice]]:
    """The volunteer the kit suggests for a task in `grid_name` and every active volunteer to choose from: those
    covering the grid first, least loaded first."""
    from kit.assignment import OPEN_STATES, suggest_volunteer
    from kit.models import Grid, VolunteerGrid

    grid_id = Grid.select(Grid.id).where(Grid.name == grid_name).scalar() if grid_name else None
    suggested = suggest_volunteer(grid_id)
    loads = dict(
        Task.select(Task.volunteer, peewee.fn.COUNT(Task.id))
        .where(Task.state.in_(list(OPEN_STATES)) & Task.volunteer.is_null(False))
        .group_by(Task.volunteer)
        .tuples()
    )
    covering = (
        {v for (v,) in VolunteerGrid.select(VolunteerGrid.volunteer).where(VolunteerGrid.grid == grid_id).tuples()}
        if grid_id is not None
        else set()
    )
    choices = [
        VolunteerChoice(vid, name, int(loads.get(vid, 0)), vid in covering)
        for vid, name in Volunteer.select(Volunteer.id, Volunteer.name)
        .where(Volunteer.active == True)  # noqa: E712 - a peewee expression
        .order_by(Volunteer.id)
        .limit(2000)
        .tuples()
    ]
    choices.sort(key=lambda c: (not c.in_grid, c.load, c.id))
    return (suggested.id if suggested is not None else None), choices
