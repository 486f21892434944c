"""Offering a task and hearing back: a volunteer accepts it (ACCEPT 12 / 接 12), declines it (DECLINE 12 / 不接 12)
or lets `[tasks] accept_within_minutes` pass; and the tasks of a volunteer who pauses or leaves go on to others.

Decisions
- An offered task is "assigned" with `offered_at` set; accepted, it is "accepted" (`accepted_at`) and theirs until
  done. DONE on an offered task completes it all the same: doing it is the clearest acceptance.
- A decline, a lapsed offer or a pause writes the volunteer into `task_decline`, and the task goes at once to the
  next volunteer by `kit.assignment`'s rule (the skill the need asks for first, then the least loaded), skipping
  everyone in `task_decline` for it. With nobody left it goes back to open under one alert naming who declined.
- A lapsed offer with nobody else to take it stays with its volunteer (they may still answer) under one alert, and
  waits no longer: sending it back to open would only hide it.
- Tasks given before migration 0007 have no `offered_at` and never lapse: an upgrade moves nothing by itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from kit import audit
from kit.alerts import alert_text, raise_alert
from kit.assignment import grid_name, suggest_volunteer
from kit.clock import utcnow
from kit.db import transaction
from kit.errors import Conflict, NotFound
from kit.models import Task, Volunteer
from kit.outbox import PRIORITY_TASK, Draft, is_opted_out, queue
from kit.task_views import state_word
from kit.tasks import give_task
from kit.templates import render
from kit.volunteer_models import TaskDecline

FINISHED = ("done", "cancelled")


def declined_by(task_id: int) -> list[int]:
    """The volunteers who declined task `task_id` (or let its offer lapse, or paused while it waited on them)."""
    query = TaskDecline.select(TaskDecline.volunteer).where(TaskDecline.task == task_id).order_by(TaskDecline.id)
    return [volunteer_id for (volunteer_id,) in query.tuples()]


def task_of(task_id: int, volunteer_id: int) -> Task:
    """Task `task_id` if it is `volunteer_id`'s; NotFound for a task that does not exist or is someone else's."""
    task = Task.get_or_none(Task.id == task_id)
    if task is None or task.volunteer_id != volunteer_id:
        raise NotFound("tasks.no_task_for_volunteer", task=task_id)
    return task


def offered_to(volunteer_id: int) -> list[int]:
    """The tasks offered to a volunteer and not accepted yet, oldest first."""
    query = Task.select(Task.id).where((Task.volunteer == volunteer_id) & (Task.state == "assigned"))
    return [task_id for (task_id,) in query.order_by(Task.id).tuples()]


def accepted_by(volunteer_id: int) -> list[int]:
    """The tasks a volunteer accepted and has not done yet, oldest first."""
    query = Task.select(Task.id).where((Task.volunteer == volunteer_id) & (Task.state == "accepted"))
    return [task_id for (task_id,) in query.order_by(Task.id).tuples()]


def accept_task(task_id: int, *, volunteer_id: int, actor: str) -> Task:
    """The volunteer will do the task: "accepted", and it no longer lapses. Accepting it again changes nothing; a
    task that is done or cancelled cannot be accepted (Conflict), nor another volunteer's (NotFound)."""
    with transaction():
        task = task_of(task_id, volunteer_id)
        if task.state in FINISHED:
            raise Conflict("offers.finished", task=task_id, state=state_word(task.state))
        if task.state == "accepted":
            return task
        now = utcnow()
        Task.update(state="accepted", accepted_at=now, offered_at=None).where(Task.id == task.id).execute()
        audit.record(actor, "accept", "task", task.id, volunteer=volunteer_id)
    return Task.get_by_id(task_id)


def decline_task(task_id: int, *, volunteer_id: int, actor: str) -> Volunteer | None:
    """The volunteer will not do the task (offered or accepted): it goes at once to the next volunteer, skipping
    those who declined it. Returns who has it now (None: nobody left, it is open under an alert). A task that is
    done or cancelled cannot be declined (Conflict), nor another volunteer's (NotFound)."""
    with transaction():
        task = task_of(task_id, volunteer_id)
        if task.state in FINISHED:
            raise Conflict("offers.finished", task=task_id, state=state_word(task.state))
        return offer_next(task, actor=actor, reason="declined")


def offer_next(task: Task, *, actor: str, reason: str, tell_previous: bool = False) -> Volunteer | None:
    """Write the task's volunteer into `task_decline` (`reason`: declined, no_answer, paused, inactive) and give the
    task to the next volunteer; nobody left: open again under an alert. With `tell_previous`, the volunteer it is
    taken from is told it is cancelled for them. The caller holds the transaction."""
    before = Volunteer.get_by_id(task.volunteer_id)
    TaskDecline.insert(task=task.id, volunteer=before.id, at=utcnow(), reason=reason).on_conflict_ignore().execute()
    chosen = suggest_volunteer(task.grid_id, task.need, skip=declined_by(task.id))
    if chosen is not None:
        if not tell_previous:
            task.volunteer = None  # give_task tells a previous volunteer it is cancelled: they know already
        give_task(task, chosen, actor=actor)
        return chosen
    Task.update(state="open", volunteer=None, assigned_at=None, offered_at=None, accepted_at=None).where(
        Task.id == task.id
    ).execute()
    audit.record(actor, "unassign", "task", task.id, volunteer=before.id, reason=reason)
    names = Volunteer.select(Volunteer.name).where(Volunteer.id.in_(declined_by(task.id))).order_by(Volunteer.id)
    raise_alert(
        "task_unassigned",
        alert_text(
            "alert_task_nobody_left",
            task=task.id,
            kind=task.kind,
            names=", ".join(name for (name,) in names.tuples()),
            grid=grid_name(task.grid_id),
        ),
        key=f"task_unassigned:task:{task.id}:{before.id}",
        resident_id=task.resident_id,
        task_id=task.id,
    )
    return None


def hand_on_tasks_of(volunteer_id: int, states: Sequence[str], *, actor: str, reason: str) -> list[int]:
    """Offer the volunteer's tasks in `states` to the next volunteers (a pause: the ones not accepted; leaving: all).
    Returns their ids. The caller holds the transaction."""
    tasks = list(Task.select().where((Task.volunteer == volunteer_id) & Task.state.in_(list(states))).order_by(Task.id))
    for task in tasks:
        offer_next(task, actor=actor, reason=reason, tell_previous=reason == "inactive")
    return [task.id for task in tasks]


def move_on_unaccepted(minutes: int, *, actor: str = "scheduler") -> int:
    """Tasks offered more than `minutes` ago and not accepted go to the next volunteer; the volunteer who let the
    offer lapse is told. With nobody else to take it a task stays where it is, under one alert, and waits no longer.
    0 minutes: offers never lapse. Returns how many tasks were looked at."""
    if minutes <= 0:
        return 0
    cutoff = utcnow() - timedelta(minutes=minutes)
    lapsed = Task.select(Task.id).where((Task.state == "assigned") & (Task.offered_at <= cutoff))
    ids = [task_id for (task_id,) in lapsed.order_by(Task.id).tuples()]
    for task_id in ids:
        with transaction():
            task = Task.get_by_id(task_id)
            if task.state != "assigned" or task.offered_at is None or task.offered_at > cutoff:
                continue  # accepted, declined or moved meanwhile
            _move_on(task, minutes, actor=actor)
    return len(ids)


def _move_on(task: Task, minutes: int, *, actor: str) -> None:
    before = Volunteer.get_by_id(task.volunteer_id)
    if suggest_volunteer(task.grid_id, task.need, skip=[*declined_by(task.id), before.id]) is None:
        Task.update(offered_at=None).where(Task.id == task.id).execute()
        raise_alert(
            "task_not_accepted",
            alert_text("alert_task_not_accepted", task=task.id, name=before.name, phone=before.phone, minutes=minutes),
            key=f"task_not_accepted:{task.id}:{before.id}",
            resident_id=task.resident_id,
            task_id=task.id,
        )
        return
    if not is_opted_out(before.phone):
        queue(
            Draft(
                peer=before.phone,
                body=render("task_offer_lapsed", before.language, task=task.id, minutes=minutes),
                kind="task",
                template="task_offer_lapsed",
                params={"task": task.id, "minutes": minutes},
                key=f"task:{task.id}:lapsed:{before.id}",
                language=before.language,
                volunteer_id=before.id,
                task_id=task.id,
                priority=PRIORITY_TASK,
            )
        )
    offer_next(task, actor=actor, reason="no_answer")
