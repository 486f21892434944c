"""Starting a check-in round: who is asked (the audience), and the start written a chunk at a time.

Decisions
- The monitored and those living alone (tagged elderly-alone) are asked first: their prompts carry
  `PRIORITY_FIRST`, one ahead of the rest of the round, so the dispatcher sends them first whatever chunk wrote them
  and however long the round takes to go out (`linli capacity` says how long).
- Residents without a phone (or tagged no-phone) skip the messages: their ask starts at door_knock, with a task.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import peewee

from kit import audit
from kit.bulk import CHUNK, insert_rows
from kit.clock import utcnow
from kit.community import community_zone
from kit.config import CheckinSettings
from kit.db import database, transaction
from kit.errors import NotFound, ValidationError
from kit.localtime import at_local, local_date, parse_hhmm
from kit.models import CheckinAsk, CheckinRound, Grid, JobRun, OptOut, Resident, ResidentTag
from kit.outbox import PRIORITY_CHECKIN, Draft, queue_many
from kit.people import NO_PHONE
from kit.retention import still_here
from kit.tasks import Visit, create_door_knocks
from kit.templates import render
from kit.vocabulary import parse_tags

LIVING_ALONE = "elderly-alone"  # the tag (data/vocabulary.toml) of residents asked first, with the monitored
PRIORITY_FIRST = PRIORITY_CHECKIN - 1  # their prompts: the dispatcher sends them before the rest of the round

ROUND_ASKED = "checkin-round-asked"  # the JobRun (key: the round's id) that says every chunk of a start is written


def audience_condition(audience: str, day: date) -> tuple[str, peewee.Expression | None]:
    """The audience in its stored form and the condition on `Resident` that selects it."""
    text = " ".join(audience.split())
    kind, _, value = text.partition(":")
    kind = kind.strip().lower()
    value = value.strip()
    if kind == "all" and not value:
        return "all", None
    if kind == "monitored" and not value:
        return "monitored", monitored_condition(day)
    if kind == "grid" and value:
        grid = Grid.get_or_none(Grid.name == value)
        if grid is None:
            known = ", ".join(name for (name,) in Grid.select(Grid.name).order_by(Grid.name).tuples()) or "none yet"
            raise NotFound(f"No grid '{value}'. Grids: {known}.")
        return f"grid:{grid.name}", Resident.grid == grid.id
    if kind == "tag" and value:
        tags = parse_tags(value)
        if not tags:
            raise ValidationError(f"'{value}' is not a tag.", field="audience")
        tagged = ResidentTag.select(ResidentTag.resident).where(ResidentTag.tag == tags[0])
        return f"tag:{tags[0]}", Resident.id.in_(tagged)
    raise ValidationError(
        f"The audience '{audience}' should be all, monitored, grid:NAME or tag:NAME.", field="audience"
    )


def monitored_condition(day: date) -> peewee.Expression:
    """The residents under monitoring on `day` (any category but none and recovered, not past its end)."""
    return Resident.monitoring.not_in(["none", "recovered"]) & (
        Resident.monitoring_until.is_null() | (Resident.monitoring_until >= day)
    )


def asked_first_condition(day: date) -> peewee.Expression:
    """The residents whose prompt goes out first in a round: the monitored and those living alone."""
    alone = ResidentTag.select(ResidentTag.resident).where(ResidentTag.tag == LIVING_ALONE)
    return monitored_condition(day) | Resident.id.in_(alone)


def round_expiry(day: date, started_at: datetime, settings: CheckinSettings, zone: ZoneInfo) -> datetime:
    """Naive UTC after which the round's messages are dropped: `expire_at` on `day`, or, for a round started
    after that, the first `expire_at` after it started."""
    at = parse_hhmm(settings.expire_at, "checkin.expire_at")
    expiry = at_local(day, at, zone)
    if expiry > started_at:
        return expiry
    started_day = local_date(started_at, zone)
    expiry = at_local(started_day, at, zone)
    return expiry if expiry > started_at else at_local(started_day + timedelta(days=1), at, zone)


def hours(value: float) -> timedelta:
    """A setting given in hours, as a duration."""
    return timedelta(hours=value)


def start_round(
    local_day: date | None = None,
    audience: str | None = None,
    *,
    settings: CheckinSettings,
    actor: str = "scheduler",
) -> CheckinRound:
    """Ask everybody in `audience` (default: the setting) on `local_day` (default: today). Idempotent per day and
    audience: a second call returns the round already started and queues nothing.

    The asks are written `CHUNK` residents per transaction, so a round for a whole district never holds the write
    lock for long: webhooks and the dispatcher write between chunks. A start cut short (a crash between chunks) is
    completed by starting the round again: a chunk asks only residents without an ask in the round, in the same
    transaction as their messages (which have keys), so nobody is asked or texted twice. The round counts as
    started (`asked` set, the start audited) when its last chunk is written."""
    zone = community_zone()
    now = utcnow()
    day = local_day or local_date(now, zone)
    stored, condition = audience_condition(audience or settings.audience, day)
    condition = still_here() if condition is None else condition & still_here()
    with transaction():
        round_ = CheckinRound.get_or_none((CheckinRound.local_date == day) & (CheckinRound.audience == stored))
        if round_ is None:
            round_ = CheckinRound.create(local_date=day, audience=stored, started_at=now, created_by=actor)
        elif _fully_started(round_):
            return round_
    query = Resident.select(Resident.id).order_by(Resident.id)
    if condition is not None:
        query = query.where(condition)
    ids = [rid for (rid,) in query.tuples()]
    expires = round_expiry(day, round_.started_at, settings, zone)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        _ask_residents(round_, condition, chunk[0], chunk[-1], expires, settings=settings, actor=actor)
    _knock_on_doors(round_, actor)
    return _finish_start(round_, actor)


def _fully_started(round_: CheckinRound) -> bool:
    """Whether every chunk of the round's start was written (rounds started in one go have only `asked` to say so)."""
    marked = JobRun.select().where((JobRun.job == ROUND_ASKED) & (JobRun.key == str(round_.id))).exists()
    return bool(marked or round_.asked)


def _ask_residents(
    round_: CheckinRound,
    condition: peewee.Expression | None,
    first: int,
    last: int,
    expires: datetime,
    *,
    settings: CheckinSettings,
    actor: str,
) -> None:
    """Ask the residents of the audience with ids from `first` to `last` who have no ask in the round yet: their
    asks, prompts and door-knocks in one transaction."""
    now = utcnow()
    with transaction():
        already = CheckinAsk.select(CheckinAsk.resident).where(
            (CheckinAsk.round == round_.id) & CheckinAsk.resident.between(first, last)
        )
        query = Resident.select(Resident.id, Resident.phone, Resident.language, Resident.grid, Resident.opted_out)
        query = query.where(Resident.id.between(first, last) & Resident.id.not_in(already))
        if condition is not None:
            query = query.where(condition)
        residents = list(query.order_by(Resident.id).tuples())
        tagged = ResidentTag.select(ResidentTag.resident).where(
            (ResidentTag.tag == NO_PHONE) & ResidentTag.resident.between(first, last)
        )
        no_phone = {rid for (rid,) in tagged.tuples()}
        in_chunk = Resident.id.between(first, last) & asked_first_condition(round_.local_date)
        first_ones = {rid for (rid,) in Resident.select(Resident.id).where(in_chunk).tuples()}
        stopped = {phone for (phone,) in OptOut.select(OptOut.phone).tuples()}
        remind_at = now + hours(settings.reminder_after_hours)
        deadline = now + hours(settings.door_knock_deadline_hours)
        prompts: dict[str, str] = {}
        asks: list[tuple[Any, ...]] = []
        drafts: list[Draft] = []
        visits: list[Visit] = []
        for rid, phone, language, grid_id, opted_out in residents:
            if phone is None or rid in no_phone or ((opted_out or phone in stopped) and not settings.call_opted_out):
                visits.append(Visit(rid, grid_id))
            elif opted_out or phone in stopped:  # no SMS: the ladder's next pass places the call
                asks.append((round_.id, rid, "reminded", now, None, now))
            else:
                asks.append((round_.id, rid, "asked", remind_at, None, now))
                if language not in prompts:
                    prompts[language] = render("checkin", language)
                drafts.append(_prompt(round_.id, rid, phone, language, prompts[language], rid in first_ones, expires))
        # Their tasks are handed out after the last chunk (`_knock_on_doors`): one alert per grid nobody covers.
        asks += [(round_.id, visit.resident_id, "door_knock", deadline, None, now) for visit in visits]
        fields = [
            CheckinAsk.round, CheckinAsk.resident, CheckinAsk.stage, CheckinAsk.next_step_at, CheckinAsk.task,
            CheckinAsk.updated_at,
        ]  # fmt: skip
        insert_rows(CheckinAsk, fields, asks)
        queue_many(drafts)


def _prompt(round_id: int, rid: int, phone: str, language: str, body: str, first: bool, expires: datetime) -> Draft:
    """The check-in prompt to one resident (`first`: one of those asked first)."""
    return Draft(
        peer=phone,
        body=body,
        kind="checkin",
        key=f"checkin:{round_id}:{rid}",
        language=language,
        resident_id=rid,
        round_id=round_id,
        priority=PRIORITY_FIRST if first else PRIORITY_CHECKIN,
        expires_at=expires,
    )


def _knock_on_doors(round_: CheckinRound, actor: str) -> None:
    """Door-knock tasks for the round's asks that start at the door and have none yet, `CHUNK` at a time, each
    chunk's tasks and asks in one transaction: a start cut short hands each one out once."""
    table = "checkin_ask".join(database.quote)
    sql = f"UPDATE {table} SET task_id = {database.param} WHERE id = {database.param}"
    waiting = (CheckinAsk.round == round_.id) & (CheckinAsk.stage == "door_knock") & CheckinAsk.task.is_null()
    while True:
        with transaction():
            query = (
                CheckinAsk.select(CheckinAsk.id, CheckinAsk.resident, Resident.grid, CheckinAsk.next_step_at)
                .join(Resident, on=(CheckinAsk.resident == Resident.id))
                .where(waiting)
                .order_by(CheckinAsk.id)
                .limit(CHUNK)
            )
            by_deadline: dict[datetime, list[tuple[int, Visit]]] = defaultdict(list)
            for ask_id, resident_id, grid_id, deadline in query.tuples():
                by_deadline[deadline].append((ask_id, Visit(resident_id, grid_id)))
            if not by_deadline:
                return
            for deadline, asks in by_deadline.items():
                tasks = create_door_knocks([v for _, v in asks], due_at=deadline, round_id=round_.id, actor=actor)
                database.cursor().executemany(sql, [(tasks[visit.resident_id], ask_id) for ask_id, visit in asks])


def _finish_start(round_: CheckinRound, actor: str) -> CheckinRound:
    """Mark the round started once every chunk is written: count its asks, audit the start (once)."""
    with transaction():
        round_ = CheckinRound.get_by_id(round_.id)
        if _fully_started(round_):  # another process finished the same start meanwhile
            return round_
        stages = Counter(
            dict(
                CheckinAsk.select(CheckinAsk.stage, peewee.fn.COUNT(CheckinAsk.id))
                .where(CheckinAsk.round == round_.id)
                .group_by(CheckinAsk.stage)
                .tuples()
            )
        )
        round_.asked = sum(stages.values())
        round_.save()
        JobRun.create(job=ROUND_ASKED, key=str(round_.id), at=utcnow())
        audit.record(
            actor, "start", "checkin_round", round_.id, date=round_.local_date.isoformat(), audience=round_.audience,
            asked=round_.asked, prompts=stages["asked"], door_knocks=stages["door_knock"],
            opted_out=stages["opted_out"],
        )  # fmt: skip
    return round_
