"""Answers: `record_answer` (called by `kit.reports`) takes a resident off the ladder at any step, and cancels the
door-knock an answer of their own made needless. `open_asks`, `answered_by`, `mark_answered` and `cancel_needless`
are its parts, for answering many residents at once (`kit.report_batch`).

Decisions
- Which asks an answer answers is one rule (`answered_by`), applied to the asks read with `open_asks`: the single
  path and the batch read them the same way, so an answer in a burst and an answer alone end the same.
- The batch cancels door-knocks itself, one answer after another in the order the answers came: cancelling a task
  changes who the next help request goes to, so that order must be the order they came in.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import peewee

from kit.assignment import OPEN_STATES
from kit.bulk import update_rows
from kit.checkin.ladder import ON_THE_LADDER
from kit.clock import utcnow
from kit.community import community_zone
from kit.db import transaction
from kit.localtime import local_date
from kit.models import CheckinAsk, CheckinRound, Task
from kit.tasks import cancel_task

# An answer by these makes a door-knock needless: the resident's own, and one an operator heard by phone or vouches for.
REACHABLE_CHANNELS = ("sms", "voice", "family", "phone", "operator")


@dataclass(frozen=True)
class OpenAsk:
    """A resident's ask not answered yet, with its round and its door-knock task (if any)."""

    id: int
    round_id: int
    round_day: date
    started_at: datetime
    stage: str
    task_id: int | None
    task_state: str | None


def open_asks(resident_ids: Collection[int], days: Collection[date]) -> dict[int, list[OpenAsk]]:
    """The unanswered asks of `resident_ids` in the rounds of the local `days` and of the days before them, by
    resident, the latest round first: what answers on those days may answer, in two queries."""
    wanted = set(days) | {day - timedelta(days=1) for day in days}
    if not resident_ids or not wanted:
        return {}
    rounds = {
        round_id: (day, started_at)
        for round_id, day, started_at in CheckinRound.select(
            CheckinRound.id, CheckinRound.local_date, CheckinRound.started_at
        )
        .where(CheckinRound.local_date.in_(sorted(wanted)))
        .tuples()
    }
    if not rounds:
        return {}
    rows = (
        CheckinAsk.select(
            CheckinAsk.id, CheckinAsk.resident, CheckinAsk.round, CheckinAsk.stage, CheckinAsk.task, Task.state
        )
        .join(Task, peewee.JOIN.LEFT_OUTER, on=(CheckinAsk.task == Task.id))
        .where(
            CheckinAsk.resident.in_(sorted(set(resident_ids)))
            & CheckinAsk.round.in_(sorted(rounds))
            & (CheckinAsk.stage != "answered")
        )
        .tuples()
    )
    found: dict[int, list[OpenAsk]] = {}
    for ask_id, resident_id, round_id, stage, task_id, state in rows:
        day, started_at = rounds[round_id]
        found.setdefault(resident_id, []).append(OpenAsk(ask_id, round_id, day, started_at, stage, task_id, state))
    for asks in found.values():
        asks.sort(key=lambda ask: (ask.started_at, ask.round_id), reverse=True)
    return found


def answered_by(asks: Sequence[OpenAsk], at: datetime, zone: ZoneInfo | None = None) -> list[OpenAsk]:
    """Those of a resident's `asks` an answer at `at` answers, the latest round first: those of rounds of that local
    day, and those of the day before still on the ladder (a round started late in the evening whose prompt went out
    this morning). `zone`: the community's, when the caller has it already."""
    day = local_date(at, zone or community_zone())
    yesterday = day - timedelta(days=1)
    return [
        ask
        for ask in asks
        if (ask.round_day == day and ask.stage != "answered")
        or (ask.round_day == yesterday and ask.stage in ON_THE_LADDER)
    ]


def todays_round_id(resident_id: int, at: datetime | None = None) -> int | None:
    """The latest round an answer from `resident_id` at `at` (default now) answers, if any."""
    at = at or utcnow()
    mine = answered_by(open_asks([resident_id], [local_date(at, community_zone())]).get(resident_id, []), at)
    return mine[0].round_id if mine else None


def mark_answered(answered: Sequence[tuple[OpenAsk, str, datetime]]) -> None:
    """Mark asks answered, each with its outcome and time, in one statement (the caller holds the transaction)."""
    now = utcnow()
    update_rows(
        CheckinAsk,
        [CheckinAsk.stage, CheckinAsk.outcome, CheckinAsk.answered_at, CheckinAsk.next_step_at, CheckinAsk.updated_at],
        CheckinAsk.id,
        [("answered", outcome, at, None, now, ask.id) for ask, outcome, at in answered],
    )


def cancel_needless(asks: Sequence[OpenAsk], channel: str) -> bool:
    """Cancel the open door-knocks of the asks an answer by `channel` answered, when it was the resident's own.
    Returns whether it cancelled any."""
    if channel not in REACHABLE_CHANNELS:
        return False
    needless = [ask.task_id for ask in sorted(asks, key=lambda ask: ask.id) if ask.task_state in OPEN_STATES]
    for task_id in needless:
        if task_id is not None:
            cancel_task(task_id, reason=f"the resident answered the check-in ({channel})", actor="checkin")
    return bool(needless)


def record_answer(resident_id: int, outcome: str, *, at: datetime | None = None, channel: str = "sms") -> int:
    """Take `resident_id` off the ladder: every ask of the local day of `at` (default now) not yet answered, and
    any of the day before still on the ladder, becomes 'answered' with `outcome` (well, unwell, help, visited).
    An answer the resident gave themselves (by SMS, voice or through family) cancels the door-knock it made
    needless. Returns how many asks it answered."""
    at = at or utcnow()
    with transaction():
        asks = answered_by(open_asks([resident_id], [local_date(at, community_zone())]).get(resident_id, []), at)
        if not asks:
            return 0
        mark_answered([(ask, outcome, at) for ask in asks])
        cancel_needless(asks, channel)
    return len(asks)
