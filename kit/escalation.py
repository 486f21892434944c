"""Escalation: tasks that run late, and tasks whose volunteer can no longer be reached.

Decisions
- A task whose assignment SMS the outbox skipped because the volunteer opted out (they texted STOP after it was
  given) is handed on to the next eligible volunteer with a `task_reassigned` alert, or reopened under the grid's
  one alert (`hand_on_unreached`; after a STOP and on every escalation pass).
- An unfinished task past its due time raises one `task_overdue` alert; an open help request is offered to a
  volunteer again first.
- Door-knocks created by the check-in ladder are escalated by the ladder (an `unreachable` alert), not here.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from kit import audit
from kit.alerts import alert_text, alert_word, raise_alert
from kit.assignment import OPEN_STATES, alert_nobody, helpers_by_grid, least_loaded, suggest_volunteer, task_loads
from kit.clock import utcnow
from kit.community import community_zone
from kit.db import transaction
from kit.models import Message, OptOut, Task, Volunteer
from kit.people import deadline_text, people
from kit.tasks import give_task

HELP_DUE_HOURS = 4.0  # a help request not done within this is escalated to an operator


def hand_on_unreached(*, actor: str = "escalation") -> int:
    """Tasks whose assignment SMS the outbox skipped (or will skip) because the volunteer's number opted out: each
    goes to the least-loaded other eligible volunteer of its grid, with a `task_reassigned` alert; with nobody left
    it goes back to open under the grid's one `task_unassigned` alert. Returns how many were handed on or reopened."""
    unreached = (
        Task.select(Task.id)
        .join(Message, on=((Message.task == Task.id) & (Message.volunteer == Task.volunteer)))
        .where(
            Task.state.in_(("assigned", "accepted"))
            & (Message.kind == "task")
            & Message.key.contains(":assign:")
            & (  # skipped; or queued (the dispatcher will skip it) or failed to a number that opted out since
                ((Message.status == "skipped") & (Message.error == "opted out"))
                | (Message.status.in_(("queued", "failed")) & Message.peer.in_(OptOut.select(OptOut.phone)))
            )
        )
        .distinct()
        .tuples()
    )
    ids = sorted(task_id for (task_id,) in unreached)
    if not ids:
        return 0
    with transaction():
        helpers, by_grid = helpers_by_grid()
        loads = task_loads()
        for task in Task.select().where(Task.id.in_(ids)).order_by(Task.id):
            before = Volunteer.get_by_id(task.volunteer_id)
            what = alert_text(
                "alert_task_opted_out", task=task.id, kind=alert_word(task.kind), name=before.name, phone=before.phone
            )
            chosen = least_loaded([v for v in by_grid.get(task.grid_id, []) if v != before.id], loads)
            if chosen is None:
                Task.update(state="open", volunteer=None, assigned_at=None).where(Task.id == task.id).execute()
                audit.record(actor, "unassign", "task", task.id, volunteer=before.id, reason="opted out")
                now = alert_text("alert_task_now", what=what)
                alert_nobody(task.grid_id, now, task_id=task.id, resident_id=task.resident_id)
                continue
            loads[chosen] += 1
            give_task(task, Volunteer.get_by_id(chosen), actor=actor)
            raise_alert(
                "task_reassigned",
                alert_text("alert_task_reassigned", what=what, name=helpers[chosen].name, phone=helpers[chosen].phone),
                key=f"task_reassigned:{task.id}:{before.id}",
                resident_id=task.resident_id,
                task_id=task.id,
            )
    return len(ids)


def escalate_overdue() -> int:
    """Unfinished tasks past their due time, not yet escalated: an alert each (`task_overdue`), and an unassigned
    help request is offered to a volunteer again. Ladder door-knocks are left to the ladder. Returns how many.
    Tasks whose SMS never reached their volunteer are handed on first (`hand_on_unreached`)."""
    hand_on_unreached()
    now = utcnow()
    zone = community_zone()
    overdue = list(
        Task.select()
        .where(
            Task.state.in_(OPEN_STATES)
            & (Task.due_at <= now)
            & Task.escalated_at.is_null()
            & ~((Task.kind == "door_knock") & Task.round.is_null(False))
        )
        .order_by(Task.id)
    )
    for task in overdue:
        with transaction():
            if task.state == "open" and task.kind == "help":
                volunteer = suggest_volunteer(task.grid_id)
                if volunteer is not None:
                    give_task(task, volunteer, actor="escalation")
            person = people([task.resident_id]).get(task.resident_id) if task.resident_id else None
            who = alert_text("alert_task_overdue_who", name=person.name, address=person.address) if person else ""
            helper = Volunteer.get_or_none(Volunteer.id == task.volunteer_id) if task.volunteer_id else None
            doer = (
                alert_text("alert_call_helper", name=helper.name, phone=helper.phone)
                if helper
                else alert_text("alert_assign_it")
            )
            raise_alert(
                "task_overdue",
                alert_text(
                    "alert_task_overdue",
                    task=task.id,
                    kind=alert_word(task.kind),
                    who=who.rstrip(),
                    due=deadline_text(task.due_at, zone),
                    doer=doer,
                ),
                key=f"task_overdue:{task.id}",
                resident_id=task.resident_id,
                task_id=task.id,
            )
            Task.update(escalated_at=now).where(Task.id == task.id).execute()
    return len(overdue)


def help_due_at(at: datetime) -> datetime:
    """When a help request made at `at` should be done by."""
    return at + timedelta(hours=HELP_DUE_HOURS)
