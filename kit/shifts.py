"""Shifts: who is on duty, since when, and what the next operator needs to know at a hand-over.

Decisions:
- A shift starts when an operator signs in to the terminal UI, and is an audit entry ("shift-start"), so the
  trail itself says who was on duty when; no table of its own.
- The summary counts what came in since the outgoing shift started (replies and other inbound messages, alerts
  raised, tasks created) and what is still open now, whenever it came: unacknowledged alerts, tasks nobody has,
  tasks past their due time, inbound messages not yet handled (or that failed), and replies of the last day that
  the parser could not read and nobody corrected. With no shift on record it looks back one day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from kit import audit
from kit.clock import utcnow
from kit.db import transaction
from kit.models import Alert, AuditEntry, Message, Operator, Task
from kit.views import overdue_task_count

LOOK_BACK = timedelta(days=1)
UNREAD_INTENT = '"intent": "unknown"'  # how kit.outbox.mark_handled stores a reply the parser could not read


@dataclass(frozen=True)
class Shift:
    operator: str
    started_at: datetime  # naive UTC


@dataclass(frozen=True)
class ShiftSummary:
    since: datetime  # naive UTC: the start of the outgoing shift
    previous: str  # who was on duty ("" when nobody signed in before)
    replies: int
    alerts: int
    tasks: int
    open_alerts: int
    unassigned_tasks: int
    overdue_tasks: int
    unhandled_inbox: int
    unparsed_inbox: int


def start_shift(operator: Operator, *, handed_over_by: str = "") -> Shift:
    """Record that `operator` is on duty from now."""
    extra = {"from": handed_over_by} if handed_over_by else {}
    with transaction():
        entry = audit.record(operator.name, "shift-start", "operator", operator.id, role=operator.role, **extra)
    return Shift(operator.name, entry.at)


def current_shift() -> Shift | None:
    """The latest shift on record, or None when nobody ever signed in."""
    entry = (
        AuditEntry.select()
        .where((AuditEntry.action == "shift-start") & (AuditEntry.entity == "operator"))
        .order_by(AuditEntry.id.desc())
        .first()
    )
    return Shift(entry.actor, entry.at) if entry is not None else None


def shift_summary() -> ShiftSummary:
    """What came in during the current shift, and what is still open now."""
    now = utcnow()
    shift = current_shift()
    since = shift.started_at if shift is not None else now - LOOK_BACK
    inbound = Message.select().where(Message.direction == "in")
    unfinished = Task.select().where(Task.state.in_(["open", "assigned", "accepted"]))
    unparsed = inbound.where(
        (Message.status == "handled")
        & Message.intent.contains(UNREAD_INTENT)
        & (Message.corrected_intent == "")
        & (Message.created_at >= now - LOOK_BACK)
    )
    return ShiftSummary(
        since=since,
        previous=shift.operator if shift is not None else "",
        replies=int(inbound.where(Message.created_at >= since).count()),
        alerts=int(Alert.select().where(Alert.created_at >= since).count()),
        tasks=int(Task.select().where(Task.created_at >= since).count()),
        open_alerts=int(Alert.select().where(Alert.acknowledged_at.is_null()).count()),
        unassigned_tasks=int(unfinished.where(Task.volunteer.is_null()).count()),
        overdue_tasks=overdue_task_count(now),
        unhandled_inbox=int(inbound.where(Message.status.in_(["received", "error"])).count()),
        unparsed_inbox=int(unparsed.count()),
    )
