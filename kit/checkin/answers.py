"""Answers: `record_answer` (called by `kit.reports`) takes a resident off the ladder at any step, and cancels the
door-knock an answer of their own made needless."""

from __future__ import annotations

from datetime import datetime, timedelta

import peewee

from kit.assignment import OPEN_STATES
from kit.checkin.ladder import ON_THE_LADDER
from kit.clock import utcnow
from kit.community import community_zone
from kit.db import transaction
from kit.localtime import local_date
from kit.models import CheckinAsk, CheckinRound, Task
from kit.tasks import cancel_task

REACHABLE_CHANNELS = ("sms", "voice", "family")  # an answer by these makes a door-knock needless


def _answerable(resident_id: int, at: datetime) -> peewee.Expression:
    """The asks an answer at `at` answers: those of rounds of that local day not answered yet, and those of the
    day before still on the ladder (a round started late in the evening whose prompt went out this morning)."""
    day = local_date(at, community_zone())
    today = CheckinRound.select(CheckinRound.id).where(CheckinRound.local_date == day)
    yesterday = CheckinRound.select(CheckinRound.id).where(CheckinRound.local_date == day - timedelta(days=1))
    return (CheckinAsk.resident == resident_id) & (
        (CheckinAsk.round.in_(today) & (CheckinAsk.stage != "answered"))
        | (CheckinAsk.round.in_(yesterday) & CheckinAsk.stage.in_(ON_THE_LADDER))
    )


def todays_round_id(resident_id: int, at: datetime | None = None) -> int | None:
    """The latest round an answer from `resident_id` at `at` (default now) answers, if any."""
    round_id: int | None = (
        CheckinAsk.select(CheckinAsk.round)
        .join(CheckinRound)
        .where(_answerable(resident_id, at or utcnow()))
        .order_by(CheckinRound.started_at.desc(), CheckinRound.id.desc())
        .scalar()
    )
    return round_id


def record_answer(resident_id: int, outcome: str, *, at: datetime | None = None, channel: str = "sms") -> int:
    """Take `resident_id` off the ladder: every ask of the local day of `at` (default now) not yet answered, and
    any of the day before still on the ladder, becomes 'answered' with `outcome` (well, unwell, help, visited).
    An answer the resident gave themselves (by SMS, voice or through family) cancels the door-knock it made
    needless. Returns how many asks it answered."""
    at = at or utcnow()
    with transaction():
        asks = list(
            CheckinAsk.select(CheckinAsk.id, CheckinAsk.task, Task.state)
            .join(Task, peewee.JOIN.LEFT_OUTER, on=(CheckinAsk.task == Task.id))
            .where(_answerable(resident_id, at))
            .tuples()
        )
        if not asks:
            return 0
        CheckinAsk.update(
            stage="answered", outcome=outcome, answered_at=at, next_step_at=None, updated_at=utcnow()
        ).where(CheckinAsk.id.in_([ask_id for ask_id, _, _ in asks])).execute()
        if channel in REACHABLE_CHANNELS:
            for _, task_id, state in asks:
                if task_id is not None and state in OPEN_STATES:
                    cancel_task(task_id, reason=f"the resident answered the check-in ({channel})", actor="checkin")
    return len(asks)
