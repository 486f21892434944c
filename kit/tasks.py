"""Tasks: work for a volunteer (help requests, errands, door-knocks), given to the least-loaded volunteer who
covers the grid, told by SMS, closed by the volunteer's "DONE 12" reply. The task number people see is its id.

Every change and the SMS it causes are written in one transaction; SMS keys (`task:{id}:assign:{volunteer}`,
`task:{id}:done:resident`, ...) make a retry or a second call queue nothing new.

Decisions
- Who gets a task (the least-loaded eligible volunteer of the grid) is `kit.assignment`'s rule.
- A task nobody covers stays open and raises a `task_unassigned` alert for an operator to assign it by hand (one
  per grid per local day, `kit.assignment.alert_nobody`).
- A task that runs late, or whose volunteer can no longer be reached, is `kit.escalation`'s business.
- Completing a door-knock marks the check-in ask it came from answered with outcome "visited".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from kit import audit
from kit.alerts import alert_text, raise_alert
from kit.assignment import (
    Helper,
    alert_nobody,
    grid_name,
    helpers_by_grid,
    least_loaded,
    nobody_covers,
    suggest_volunteer,
    task_loads,
    task_words,
)
from kit.bulk import insert_rows, reserve_ids
from kit.clock import utcnow
from kit.community import community_zone
from kit.db import transaction
from kit.errors import Conflict, NotFound, ValidationError
from kit.models import (
    TASK_KINDS,
    CheckinAsk,
    Resident,
    Task,
    Volunteer,
)
from kit.outbox import PRIORITY_REPLY, PRIORITY_TASK, Draft, is_opted_out, queue, queue_many
from kit.people import Person, deadline_text, people
from kit.points import award_task
from kit.task_views import TaskView as TaskView  # re-exported: the UI reads tasks through kit.tasks
from kit.task_views import list_tasks as list_tasks
from kit.task_views import state_word
from kit.task_views import task_counts as task_counts
from kit.templates import render, word


@dataclass(frozen=True)
class Visit:
    """One door-knock for `create_door_knocks`."""

    resident_id: int
    grid_id: int | None


# --- what the volunteer is told -------------------------------------------------------------------------------


def _tidy(text: str) -> str:
    """One space between words: parts a resident lacks (no address, no phone) leave no gaps."""
    return " ".join(text.split())


def assignment_draft(
    task_id: int, kind: str, need: str, due_at: datetime | None, helper: Helper, person: Person | None, zone: ZoneInfo
) -> Draft:
    """The SMS that gives task `task_id` to `helper`."""
    language = helper.language
    name = person.name if person else ""
    address = person.address if person else ""
    values: dict[str, object]
    if kind == "door_knock" and due_at is not None:
        template = "door_knock_no_phone" if person is not None and person.no_phone else "door_knock_for_volunteer"
        values = {"task": task_id, "name": name, "address": address, "deadline": deadline_text(due_at, zone)}
    else:
        template = "task_for_volunteer"
        values = {
            "task": task_id,
            "kind": word(kind, language),
            "name": name,
            "address": address,
            "phone": (person.phone or "") if person else "",
            "need": need or word(kind, language),
        }
    return Draft(
        peer=helper.phone,
        body=_tidy(render(template, language, **values)),
        kind="task",
        template=template,
        params=values,
        key=f"task:{task_id}:assign:{helper.id}",
        language=language,
        resident_id=person.id if person else None,
        volunteer_id=helper.id,
        task_id=task_id,
        priority=PRIORITY_TASK,
    )


def _helper_of(volunteer: Volunteer) -> Helper:
    return Helper(volunteer.id, volunteer.name, volunteer.phone, volunteer.language)


# --- creating and assigning -----------------------------------------------------------------------------------


def create_task(
    kind: str,
    *,
    resident_id: int | None = None,
    need: str = "",
    source: str = "operator",
    due_at: datetime | None = None,
    grid_id: int | None = None,
    round_id: int | None = None,
    points: int = 1,
    actor: str,
) -> Task:
    """Create a task and give it to the least-loaded volunteer of the grid (the resident's grid unless `grid_id`
    says otherwise); the volunteer gets an SMS. Nobody to give it to: it stays open and an alert says so."""
    if kind not in TASK_KINDS:
        raise ValidationError("tasks.not_a_kind", kind=kind, kinds=", ".join(TASK_KINDS), field="kind")
    now = utcnow()
    with transaction():
        resident = None
        if resident_id is not None:
            resident = Resident.get_or_none(Resident.id == resident_id)
            if resident is None:
                raise NotFound("residents.no_resident", resident=resident_id)
        grid = grid_id if grid_id is not None else (resident.grid_id if resident is not None else None)
        task = Task.create(
            kind=kind,
            state="open",
            resident=resident_id,
            grid=grid,
            need=need.strip(),
            source=source,
            round=round_id,
            due_at=due_at,
            created_at=now,
            points=points,
        )
        audit.record(actor, "create", "task", task.id, kind=kind, resident=resident_id, need=task.need)
        volunteer = suggest_volunteer(grid, task.need)
        if volunteer is not None:
            give_task(task, volunteer, actor=actor)
        else:
            named = task_words(task.id, kind, resident.name if resident is not None else "")
            alert_nobody(grid, named, task_id=task.id, resident_id=resident_id)
    return Task.get_by_id(task.id)


def create_door_knocks(
    visits: Sequence[Visit], *, due_at: datetime, round_id: int | None, actor: str
) -> dict[int, int]:
    """Door-knock tasks for many residents at once (the check-in round and the ladder), each given to the
    least-loaded volunteer of its grid, with one SMS per task. Returns resident id -> task id. The caller holds
    the transaction."""
    if not visits:
        return {}
    now = utcnow()
    zone = community_zone()
    helpers, by_grid = helpers_by_grid()
    loads = task_loads()
    persons = people([visit.resident_id for visit in visits])
    ids = reserve_ids(Task, len(visits))
    rows: list[tuple[Any, ...]] = []
    drafts: list[Draft] = []
    created: dict[int, int] = {}
    unassigned: Counter[int | None] = Counter()
    for task_id, visit in zip(ids, visits):
        chosen = least_loaded(by_grid.get(visit.grid_id, []), loads)
        if chosen is None:
            unassigned[visit.grid_id] += 1
        else:
            loads[chosen] += 1
            helper = helpers[chosen]
            drafts.append(
                assignment_draft(task_id, "door_knock", "", due_at, helper, persons.get(visit.resident_id), zone)
            )
        rows.append(
            (
                task_id, "door_knock", "open" if chosen is None else "assigned", visit.resident_id, chosen,
                visit.grid_id, "", "ladder", round_id, due_at, now, None if chosen is None else now, 1,
                None if chosen is None else now,
            )
        )  # fmt: skip
        created[visit.resident_id] = task_id
    fields = [
        Task.id, Task.kind, Task.state, Task.resident, Task.volunteer, Task.grid, Task.need, Task.source,
        Task.round, Task.due_at, Task.created_at, Task.assigned_at, Task.points, Task.offered_at,
    ]  # fmt: skip
    insert_rows(Task, fields, rows)
    queue_many(drafts)
    audit.record(actor, "create", "task", None, kind="door_knock", count=len(rows), first=ids[0], last=ids[-1])
    for grid_id, count in unassigned.items():
        raise_alert(
            "task_unassigned",
            alert_text("alert_doorknocks_unassigned", count=count, grid=grid_name(grid_id), why=nobody_covers(grid_id)),
            key=f"task_unassigned:{ids[0]}:{grid_id}",
        )
    return created


def give_task(task: Task, volunteer: Volunteer, *, actor: str) -> None:
    """Give `task` to `volunteer` (audited) and queue the SMS that tells them; the caller holds the transaction."""
    previous = task.volunteer_id
    now = utcnow()
    task.volunteer = volunteer.id
    task.state = "assigned"
    task.assigned_at = now
    task.offered_at = now  # waits for ACCEPT (kit.task_offers moves it on after accept_within_minutes)
    task.accepted_at = None
    task.save()
    audit.record(actor, "assign", "task", task.id, volunteer=volunteer.id, previous=previous)
    person = people([task.resident_id]).get(task.resident_id) if task.resident_id else None
    queue(assignment_draft(task.id, task.kind, task.need, task.due_at, _helper_of(volunteer), person, community_zone()))
    if previous is not None and previous != volunteer.id:
        _tell_cancelled(task, previous, reason="reassigned")


def assign_task(task_id: int, volunteer_id: int | None = None, *, actor: str) -> Task:
    """Give a task to `volunteer_id`, or to the least-loaded volunteer of its grid. The volunteer gets an SMS; a
    volunteer it is taken from is told it is cancelled for them."""
    with transaction():
        task = _get(task_id)
        if task.state in ("done", "cancelled"):
            raise Conflict("tasks.finished_nothing_to_assign", task=task_id, state=state_word(task.state))
        if volunteer_id is None:
            volunteer = suggest_volunteer(task.grid_id)
            if volunteer is None:
                raise NotFound.said(alert_text("alert_nobody_to_assign", why=nobody_covers(task.grid_id)))
        else:
            volunteer = Volunteer.get_or_none(Volunteer.id == volunteer_id)
            if volunteer is None:
                raise NotFound("volunteers.not_found", volunteer=volunteer_id)
            if not volunteer.active:
                raise ValidationError("tasks.volunteer_not_active", name=volunteer.name, field="volunteer")
            if is_opted_out(volunteer.phone):
                raise ValidationError(
                    "tasks.volunteer_opted_out", name=volunteer.name, phone=volunteer.phone, field="volunteer"
                )
        if task.volunteer_id == volunteer.id and task.state != "open":
            return task
        give_task(task, volunteer, actor=actor)
    return Task.get_by_id(task_id)


def _get(task_id: int) -> Task:
    task = Task.get_or_none(Task.id == task_id)
    if task is None:
        raise NotFound("tasks.no_task", task=task_id)
    return task


# --- finishing ------------------------------------------------------------------------------------------------


def complete_task(task_id: int, *, volunteer_id: int | None = None, actor: str) -> Task:
    """Mark a task done: the volunteer earns its points and is thanked, the resident is told (for door-knocks:
    the check-in ask is marked visited instead). With `volunteer_id`, only that volunteer's task is found.
    Completing a done task again changes nothing."""
    with transaction():
        task = Task.get_or_none(Task.id == task_id)
        if task is None or (volunteer_id is not None and task.volunteer_id != volunteer_id):
            raise NotFound("tasks.no_task" if volunteer_id is None else "tasks.no_task_for_volunteer", task=task_id)
        if task.state == "done":
            return task
        if task.state == "cancelled":
            raise Conflict("tasks.cancelled_cannot_complete", task=task_id)
        now = utcnow()
        task.state = "done"
        task.done_at = now
        task.save()
        audit.record(actor, "complete", "task", task.id, volunteer=task.volunteer_id, points=task.points)
        if task.kind == "door_knock":
            CheckinAsk.update(
                stage="answered", outcome="visited", answered_at=now, next_step_at=None, updated_at=now
            ).where((CheckinAsk.task == task.id) & (CheckinAsk.stage != "answered")).execute()
        elif task.resident_id is not None:
            resident = Resident.get_by_id(task.resident_id)
            if resident.phone:
                _tell(task, resident, "task_done_resident", key="done:resident", priority=PRIORITY_TASK)
        if task.volunteer_id is not None:
            award_task(task)  # kit.points: the ledger, and the volunteer's running total
            volunteer = Volunteer.get_by_id(task.volunteer_id)
            priority = PRIORITY_REPLY if volunteer_id is not None else PRIORITY_TASK
            _tell(task, volunteer, "task_done_volunteer", key="done:volunteer", priority=priority, points=task.points)
    return task


def cancel_task(task_id: int, *, reason: str = "", actor: str) -> Task:
    """Cancel a task that is not done; its volunteer is told not to go. Cancelling twice changes nothing."""
    with transaction():
        task = _get(task_id)
        if task.state == "cancelled":
            return task
        if task.state == "done":
            raise Conflict("tasks.done_cannot_cancel", task=task_id)
        task.state = "cancelled"
        if reason:
            task.notes = f"{task.notes}\n{reason}".strip()
        task.save()
        audit.record(actor, "cancel", "task", task.id, reason=reason)
        if task.volunteer_id is not None:
            _tell_cancelled(task, task.volunteer_id, reason="cancelled")
    return task


def _tell_cancelled(task: Task, volunteer_id: int, *, reason: str) -> None:
    volunteer = Volunteer.get_or_none(Volunteer.id == volunteer_id)
    if volunteer is None or is_opted_out(volunteer.phone):  # nothing can reach them: no text to skip
        return
    _tell(task, volunteer, "task_cancelled_volunteer", key=f"{reason}:{volunteer.id}", priority=PRIORITY_TASK)


def _tell(task: Task, person: Resident | Volunteer, text: str, *, key: str, priority: int, **values: Any) -> None:
    """Queue the text `text` about `task` to a resident or a volunteer, in their language, once per `key`."""
    is_resident = isinstance(person, Resident)
    queue(
        Draft(
            peer=person.phone,
            body=render(text, person.language, task=task.id, **values),
            kind="task",
            template=text,
            params={"task": task.id, **values},
            key=f"task:{task.id}:{key}",
            language=person.language,
            resident_id=person.id if is_resident else None,
            volunteer_id=None if is_resident else person.id,
            task_id=task.id,
            priority=priority,
        )
    )
