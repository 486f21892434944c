"""The daily check-in round and the ladder for residents who do not answer (design.md, "The check-in ladder").

`start_round` asks everybody in the audience: one `CheckinAsk` each and the prompt queued in their language.
`advance_ladder` moves every silent resident on, one step at a time:

    asked -> reminded (SMS) -> called (voice, tried twice) -> second_contact (SMS to a family member, if there is one)
          -> door_knock (a task for the grid's volunteer, with a deadline) -> alerted (the task was not done in time)

An answer (`record_answer`, called by `kit.reports`) takes a resident off the ladder at any step. Every step changes
the ask and queues its messages in one transaction, with keys, so running it twice queues once.

Decisions
- Each step waits from when the previous message actually went out, not from when it was queued: a prompt held
  by quiet hours or the budget until 07:00 is followed by its reminder three hours after 07:00, not at once.
  A message that ended without going out (expired, opted out, failed, a call that was busy) does not hold the
  ladder back: the next step comes on time.
- No step is taken during quiet hours except raising the alert; so a door-knock is never handed out at night.
- Messages of a round expire at `checkin.expire_at` on the round's day (the first such time after the round
  started, for a round started later than that). After it, the SMS and call steps are still taken on time but
  queue nothing, so a silent resident still reaches the door-knock.
- The monitored and those living alone (tagged elderly-alone) are asked first: their prompts carry
  `PRIORITY_FIRST`, one ahead of the rest of the round, so the dispatcher sends them first whatever chunk wrote them
  and however long the round takes to go out (`linli capacity` says how long).
- Residents without a phone (or tagged no-phone) skip the messages: their ask starts at door_knock, with a task.
- Opting out of SMS is not opting out of care. A resident who opted out (STOP, TD, or at the carrier) gets no
  SMS but stays on the ladder: with `checkin.call_opted_out` (the default) their ask starts at "reminded" and the
  next pass places the check-in call, then the second contact and the door-knock follow as for anybody; without
  it they go straight to the door-knock list, like residents without a phone. A resident who opts out mid-ladder
  gets no reminder: at the reminder's time they are called (or sent to the door). The outbox lets the check-in
  call through to an opted-out number (`kit.outbox.opt_out_stops`); every other message to it is skipped.
  Asks with stage "opted_out" (rounds before this rule) stay off the ladder.
- A resident with no second contact skips that step: the door-knock comes when the second contact would have.
- A call that ended busy, unanswered, failed or cancelled is placed once more (key ":call2")
  `checkin.call_retry_minutes` after it ended; the ladder first looks at a call that long after queueing it,
  and every `RECHECK` while it is still ringing. The second contact waits from the last call. A call that was
  picked up is not an answer: only the keypad's report (`record_answer`, channel "voice") takes the resident off.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import peewee

from kit import audit
from kit.bulk import CHUNK, insert_rows
from kit.clock import utcnow
from kit.community import community_zone
from kit.config import CheckinSettings, DispatchSettings
from kit.db import database, transaction
from kit.errors import NotFound, ValidationError
from kit.localtime import at_local, in_quiet_hours, local_date, parse_hhmm, quiet_ends, to_local
from kit.models import (
    Alert,
    CheckinAsk,
    CheckinRound,
    Grid,
    Household,
    JobRun,
    Message,
    OptOut,
    Resident,
    ResidentTag,
    Task,
    Volunteer,
    format_address,
)
from kit.outbox import PRIORITY_CHECKIN, Draft, opted_out_among, queue_many
from kit.retention import still_here
from kit.tasks import NO_PHONE, OPEN_STATES, Visit, cancel_task, create_door_knocks, deadline_text, people
from kit.templates import render
from kit.vocabulary import parse_tags

ON_THE_LADDER = ("asked", "reminded", "called", "second_contact", "door_knock")
ESCALATED = ("called", "second_contact", "door_knock", "alerted")  # beyond the reminder
PENDING = ("queued", "sending")  # a message that may still go out
RECHECK = timedelta(minutes=10)  # how soon to look again at an ask whose last message has not gone out yet
UNANSWERED_CALL = ("busy", "no-answer", "failed", "canceled", "cancelled")  # a call worth placing once more
IN_FLIGHT = "sent"  # what the outbox calls a call that is ringing or in progress
RETRY = ":call2"  # the key suffix of the second call
REACHABLE_CHANNELS = ("sms", "voice", "family")  # an answer by these makes a door-knock needless

LIVING_ALONE = "elderly-alone"  # the tag (data/vocabulary.toml) of residents asked first, with the monitored
PRIORITY_FIRST = PRIORITY_CHECKIN - 1  # their prompts: the dispatcher sends them before the rest of the round

BATCH = CHUNK  # asks moved on per transaction, as every long write: well under the busy timeout
ROUND_ASKED = "checkin-round-asked"  # the JobRun (key: the round's id) that says every chunk of a start is written

# The key suffix of the message each stage sent last; the next step waits from when it went out.
_SENT_AT_STAGE = {"asked": "", "reminded": ":reminder", "called": ":call", "second_contact": ":second"}


@dataclass
class LadderReport:
    """What one `advance_ladder` did, per step."""

    reminded: int = 0
    called: int = 0
    second_contact: int = 0
    door_knock: int = 0
    alerted: int = 0
    opted_out: int = 0  # opted out of SMS: called without a reminder, or (no calls allowed) sent to the door
    visited: int = 0  # the door-knock was done before its deadline
    waiting: int = 0  # due, but waiting for quiet hours to end or for the previous message to go out
    retried: int = 0  # calls placed once more after ending busy, unanswered or failed


# --- who is asked -------------------------------------------------------------------------------------------


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


def _hours(value: float) -> timedelta:
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
        remind_at = now + _hours(settings.reminder_after_hours)
        deadline = now + _hours(settings.door_knock_deadline_hours)
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
                drafts.append(
                    Draft(
                        peer=phone,
                        body=prompts[language],
                        kind="checkin",
                        key=f"checkin:{round_.id}:{rid}",
                        language=language,
                        resident_id=rid,
                        round_id=round_.id,
                        priority=PRIORITY_FIRST if rid in first_ones else PRIORITY_CHECKIN,
                        expires_at=expires,
                    )
                )
        # Their tasks are handed out after the last chunk (`_knock_on_doors`): one alert per grid nobody covers.
        asks += [(round_.id, visit.resident_id, "door_knock", deadline, None, now) for visit in visits]
        fields = [
            CheckinAsk.round, CheckinAsk.resident, CheckinAsk.stage, CheckinAsk.next_step_at, CheckinAsk.task,
            CheckinAsk.updated_at,
        ]  # fmt: skip
        insert_rows(CheckinAsk, fields, asks)
        queue_many(drafts)


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


# --- the ladder ---------------------------------------------------------------------------------------------


class _Due(NamedTuple):
    ask_id: int
    round_id: int
    resident_id: int
    stage: str
    task_id: int | None
    local_date: date
    started_at: datetime
    phone: str | None
    second_phone: str | None
    language: str
    grid_id: int | None
    opted_out: bool
    task_state: str | None
    volunteer_id: int | None
    task_due_at: datetime | None


class _Move(NamedTuple):
    ask_id: int
    stage: str
    next_step_at: datetime | None
    outcome: str
    task_id: int | None
    answered_at: datetime | None


def _due(now: datetime) -> peewee.Expression:
    return CheckinAsk.stage.in_(ON_THE_LADDER) & (CheckinAsk.next_step_at <= now)


def _due_asks(now: datetime, first: int, last: int) -> list[_Due]:
    """The asks with ids from `first` to `last` whose step is due, with what moving them on needs."""
    columns = (
        CheckinAsk.id, CheckinAsk.round, CheckinAsk.resident, CheckinAsk.stage, CheckinAsk.task,
        CheckinRound.local_date, CheckinRound.started_at, Resident.phone, Resident.second_phone,
        Resident.language, Resident.grid, Resident.opted_out, Task.state, Task.volunteer, Task.due_at,
    )  # fmt: skip
    query = (
        CheckinAsk.select(*columns)
        .join(CheckinRound, on=(CheckinAsk.round == CheckinRound.id))
        .switch(CheckinAsk)
        .join(Resident, on=(CheckinAsk.resident == Resident.id))
        .switch(CheckinAsk)
        .join(Task, peewee.JOIN.LEFT_OUTER, on=(CheckinAsk.task == Task.id))
        .where(_due(now) & CheckinAsk.id.between(first, last))
        .order_by(CheckinAsk.id)
        .tuples()
    )
    return [_Due(*row) for row in query]


def _ask_key(due: _Due, suffix: str = "") -> str:
    return f"checkin:{due.round_id}:{due.resident_id}{suffix}"


class _Sent(NamedTuple):
    """The outbox row of the message a stage sent."""

    status: str
    sent_at: datetime | None
    queued_at: datetime
    changed_at: datetime  # when its status last changed: when a call ended


def _last_sent(due: Iterable[_Due]) -> dict[str, _Sent]:
    """The message each ask's stage sent last (and a called ask's second call), by key: one prepared statement per
    500 keys (building the query with peewee costs more than running it)."""
    keys = []
    for d in due:
        if d.stage in _SENT_AT_STAGE:
            keys.append(_ask_key(d, _SENT_AT_STAGE[d.stage]))
        if d.stage == "called":
            keys.append(_ask_key(d, RETRY))
    table, key = ("message".join(database.quote), "key".join(database.quote))
    to_python = Message.sent_at.python_value
    found: dict[str, _Sent] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        marks = ", ".join([database.param] * len(chunk))
        cursor = database.execute_sql(
            f"SELECT {key}, status, sent_at, created_at, updated_at FROM {table} WHERE {key} IN ({marks})", chunk
        )
        for found_key, status, sent_at, created_at, updated_at in cursor.fetchall():
            found[found_key] = _Sent(status, to_python(sent_at), to_python(created_at), to_python(updated_at))
    return found


def _quiet_hours(dispatch: DispatchSettings) -> tuple[time, time]:
    return parse_hhmm(dispatch.quiet_start, "quiet_start"), parse_hhmm(dispatch.quiet_end, "quiet_end")


def advance_ladder(*, settings: CheckinSettings, dispatch: DispatchSettings | None = None) -> LadderReport:
    """Move every silent resident whose next step is due one step on (see the module's doc). Idempotent: a step
    moves the ask's `next_step_at` into the future and its messages carry keys. Works through `BATCH` asks per
    transaction, so webhooks and the dispatcher are never kept waiting long. `dispatch` gives the quiet hours
    (default: the default settings)."""
    now = utcnow()
    ladder = _Ladder(settings, dispatch or DispatchSettings(), community_zone(), now)
    ids = [ask_id for (ask_id,) in CheckinAsk.select(CheckinAsk.id).where(_due(now)).order_by(CheckinAsk.id).tuples()]
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        with transaction():
            due = _due_asks(now, batch[0], batch[-1])  # read again under the lock: another run may have moved them
            if due:
                ladder.step(due)
    return ladder.report


class _Ladder:
    """One run of the ladder at one moment, a batch of due asks at a time."""

    def __init__(self, settings: CheckinSettings, dispatch: DispatchSettings, zone: ZoneInfo, now: datetime) -> None:
        self.settings = settings
        self.zone = zone
        self.now = now
        self.quiet = _quiet_hours(dispatch)
        self.is_quiet = in_quiet_hours(now, zone, *self.quiet)
        self.waits = {
            "asked": _hours(settings.reminder_after_hours),
            "reminded": _hours(settings.call_after_hours),
            "called": _hours(settings.second_contact_after_hours),
            "second_contact": _hours(settings.door_knock_after_hours),
        }
        self.retry = timedelta(minutes=settings.call_retry_minutes)
        self.expiries: dict[int, datetime] = {}
        self.report = LadderReport()

    def step(self, due: list[_Due]) -> None:
        """Move each ask of `due` on, queue what that says, create the door-knocks, raise the alerts; the caller
        holds the transaction."""
        now, waits, report = self.now, self.waits, self.report
        sent = _last_sent(d for d in due if d.stage != "door_knock")
        stopped = opted_out_among(d.phone for d in due if d.phone)  # at the carrier too, not only in the register
        moves: list[_Move] = []
        drafts: list[Draft] = []
        knocks: dict[int, list[_Due]] = defaultdict(list)  # round -> asks that get a door-knock now
        overdue: list[_Due] = []
        for ask in due:
            if ask.stage == "door_knock":
                if ask.task_state == "done":
                    moves.append(_Move(ask.ask_id, "answered", None, "visited", ask.task_id, now))
                    report.visited += 1
                else:
                    overdue.append(ask)
                    moves.append(_Move(ask.ask_id, "alerted", None, "unreachable", ask.task_id, None))
                    report.alerted += 1
                continue
            out = ask.opted_out or ask.phone in stopped  # no SMS to them, and still followed
            if self.is_quiet:
                moves.append(
                    _Move(ask.ask_id, ask.stage, quiet_ends(now, self.zone, *self.quiet), "", ask.task_id, None)
                )
                report.waiting += 1
                continue
            last = sent.get(_ask_key(ask, _SENT_AT_STAGE[ask.stage]))
            expires = self._expiry(ask)
            live = now < expires
            if ask.stage == "called":
                retried = sent.get(_ask_key(ask, RETRY))
                if retried is None and last is not None and last.status in UNANSWERED_CALL and live:
                    at = max(now, last.changed_at + self.retry)
                    drafts.append(_call(ask, expires, suffix=RETRY, not_before=at))
                    moves.append(_Move(ask.ask_id, "called", at, "", ask.task_id, None))
                    report.retried += 1
                    continue
                last = retried or last
            status, sent_at = (last.status, last.sent_at) if last else ("", None)
            if sent_at is None and status in PENDING:
                moves.append(_Move(ask.ask_id, ask.stage, now + RECHECK, "", ask.task_id, None))
                report.waiting += 1
                continue
            if ask.stage == "called" and last is not None:
                # The second contact waits from the last call: from when it went out, else from when it was queued
                # (the ladder looked early, to place the call again if it ended unanswered).
                since = sent_at or last.queued_at
                if since + waits["called"] > now:
                    later = since + waits["called"]
                    if status == IN_FLIGHT and retried is None:  # still ringing: look again soon
                        later = min(later, now + RECHECK)
                    moves.append(_Move(ask.ask_id, ask.stage, later, "", ask.task_id, None))
                    continue
            elif sent_at is not None and sent_at + waits[ask.stage] > now:
                moves.append(_Move(ask.ask_id, ask.stage, sent_at + waits[ask.stage], "", ask.task_id, None))
                continue
            if out and ask.stage in ("asked", "reminded"):
                report.opted_out += 1
            if out and ask.stage in ("asked", "reminded") and not self.settings.call_opted_out:
                knocks[ask.round_id].append(ask)  # neither SMS nor call: straight to the door
                report.door_knock += 1
            elif ask.stage == "asked" and not out:
                if live and ask.phone:
                    drafts.append(_reminder(ask, expires))
                moves.append(_Move(ask.ask_id, "reminded", now + waits["reminded"], "", ask.task_id, None))
                report.reminded += 1
            elif ask.stage in ("asked", "reminded"):  # opted out of SMS: no reminder, the call comes now
                look = now + waits["called"]
                if live and ask.phone:
                    drafts.append(_call(ask, expires))
                    look = now + min(waits["called"], self.retry)  # in time to place it again if it goes unanswered
                moves.append(_Move(ask.ask_id, "called", look, "", ask.task_id, None))
                report.called += 1
            elif ask.stage == "called" and ask.second_phone and ask.second_phone != ask.phone:
                if live:
                    drafts.append(_second_contact(ask, expires))
                moves.append(_Move(ask.ask_id, "second_contact", now + waits["second_contact"], "", ask.task_id, None))
                report.second_contact += 1
            else:  # second_contact, or called with nobody to contact: knock on the door
                knocks[ask.round_id].append(ask)
                report.door_knock += 1
        deadline = now + _hours(self.settings.door_knock_deadline_hours)
        for round_id, asks in knocks.items():
            visits = [Visit(ask.resident_id, ask.grid_id) for ask in asks]
            tasks = create_door_knocks(visits, due_at=deadline, round_id=round_id, actor="ladder")
            moves += [_Move(a.ask_id, "door_knock", deadline, "", tasks[a.resident_id], None) for a in asks]
        _fill_second_contact_names(drafts)
        queue_many(drafts)
        _raise_unreachable(overdue, self.zone, now)
        _apply(moves, now)

    def _expiry(self, ask: _Due) -> datetime:
        if ask.round_id not in self.expiries:
            self.expiries[ask.round_id] = round_expiry(ask.local_date, ask.started_at, self.settings, self.zone)
        return self.expiries[ask.round_id]


def _reminder(ask: _Due, expires: datetime) -> Draft:
    return Draft(
        peer=ask.phone or "",
        body=render("reminder", ask.language),
        kind="reminder",
        key=_ask_key(ask, ":reminder"),
        language=ask.language,
        resident_id=ask.resident_id,
        round_id=ask.round_id,
        priority=PRIORITY_CHECKIN,
        expires_at=expires,
    )


def _call(ask: _Due, expires: datetime, *, suffix: str = ":call", not_before: datetime | None = None) -> Draft:
    """The check-in call (`suffix` ":call2" for the second try): the voice gateway speaks `body` and reads the
    keypad."""
    return Draft(
        peer=ask.phone or "",
        body=render("checkin_call", ask.language),
        kind="checkin_call",
        key=_ask_key(ask, suffix),
        channel="voice",
        language=ask.language,
        resident_id=ask.resident_id,
        round_id=ask.round_id,
        priority=PRIORITY_CHECKIN,
        not_before=not_before,
        expires_at=expires,
    )


def _second_contact(ask: _Due, expires: datetime) -> Draft:
    # The body needs the resident's name and address; filled in for all second contacts at once.
    return Draft(
        peer=ask.second_phone or "",
        body="",
        kind="second_contact",
        key=_ask_key(ask, ":second"),
        language=ask.language,
        resident_id=ask.resident_id,
        round_id=ask.round_id,
        priority=PRIORITY_CHECKIN,
        expires_at=expires,
    )


def _fill_second_contact_names(drafts: list[Draft]) -> None:
    wanted = [d.resident_id for d in drafts if d.kind == "second_contact" and d.resident_id is not None]
    if not wanted:
        return
    persons = people(wanted)
    for index, draft in enumerate(drafts):
        if draft.kind == "second_contact" and draft.resident_id in persons:
            person = persons[draft.resident_id]
            body = render("second_contact", draft.language, name=person.name, address=person.address or "-")
            drafts[index] = replace(draft, body=body)


def _raise_unreachable(overdue: list[_Due], zone: ZoneInfo, now: datetime) -> None:
    """An urgent `unreachable` alert per resident whose door-knock is overdue, inserted in bulk."""
    if not overdue:
        return
    persons = people([ask.resident_id for ask in overdue])
    helper_ids = sorted({ask.volunteer_id for ask in overdue if ask.volunteer_id is not None})
    helpers = {
        volunteer_id: (name, phone)
        for volunteer_id, name, phone in Volunteer.select(Volunteer.id, Volunteer.name, Volunteer.phone)
        .where(Volunteer.id.in_(helper_ids))
        .tuples()
    }
    keys = [f"unreachable:{ask.ask_id}" for ask in overdue]
    raised: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        raised.update(key for (key,) in Alert.select(Alert.key).where(Alert.key.in_(chunk)).tuples())
    rows = []
    for ask, key in zip(overdue, keys):
        if key in raised:
            continue
        person = persons.get(ask.resident_id)
        who = f"{person.name} ({person.address or 'no address'})" if person else f"resident {ask.resident_id}"
        why = "has no phone" if person and person.no_phone else "did not answer the check-in, the reminder or the call"
        by = f" by {deadline_text(ask.task_due_at, zone)}" if ask.task_due_at else ""
        helper = helpers.get(ask.volunteer_id) if ask.volunteer_id is not None else None
        then = f"Call {helper[0]} ({helper[1]}) or send someone now." if helper else "Send someone now."
        text = f"Nobody has reached {who} today: they {why}, and door-knock task {ask.task_id} was not done{by}. {then}"
        rows.append(("unreachable", "urgent", ask.resident_id, ask.task_id, text, key, now))
    fields = [Alert.kind, Alert.severity, Alert.resident, Alert.task, Alert.text, Alert.key, Alert.created_at]
    insert_rows(Alert, fields, rows)


def _apply(moves: list[_Move], now: datetime) -> None:
    """Write the asks' new stages with one prepared statement."""
    if not moves:
        return
    mark = database.param
    table = "checkin_ask".join(database.quote)
    sql = (
        f"UPDATE {table} SET stage = {mark}, next_step_at = {mark}, outcome = {mark}, task_id = {mark}, "
        f"answered_at = COALESCE({mark}, answered_at), updated_at = {mark} WHERE id = {mark}"
    )
    to_db = CheckinAsk.next_step_at.db_value
    rows = [
        (m.stage, to_db(m.next_step_at), m.outcome, m.task_id, to_db(m.answered_at), to_db(now), m.ask_id)
        for m in moves
    ]
    database.cursor().executemany(sql, rows)


# --- answers ------------------------------------------------------------------------------------------------


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
    return (
        CheckinAsk.select(CheckinAsk.round)
        .join(CheckinRound)
        .where(_answerable(resident_id, at or utcnow()))
        .order_by(CheckinRound.started_at.desc(), CheckinRound.id.desc())
        .scalar()
    )


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


# --- reading ------------------------------------------------------------------------------------------------

_FIGURES = ("asked", "answered", "silent", "escalated", "door_knock", "alerted", "opted_out")
_OUTCOMES = ("well", "unwell", "help", "visited")


def _blank() -> dict[str, int]:
    return dict.fromkeys(_FIGURES + _OUTCOMES, 0)


def _count(figures: dict[str, int], stage: str, outcome: str, count: int, opted_out: bool = False) -> None:
    figures["asked"] += count
    if opted_out and stage != "opted_out":  # followed without SMS: counted here and where they are on the ladder
        figures["opted_out"] += count
    if stage == "answered":
        figures["answered"] += count
        if outcome in _OUTCOMES:
            figures[outcome] += count
    elif stage == "opted_out":
        figures["opted_out"] += count
    else:
        figures["silent"] += count
        if stage in ESCALATED:
            figures["escalated"] += count
        if stage in ("door_knock", "alerted"):
            figures["door_knock"] += count
        if stage == "alerted":
            figures["alerted"] += count


def round_summary(local_day: date | None = None) -> dict[str, Any]:
    """Today's (or `local_day`'s) rounds for the TUI and `linli status`, counted with one GROUP BY.

    Per round, per grid and in total: asked (everybody in the audience), answered, silent (not answered yet,
    wherever on the ladder), escalated (silent and past the reminder), door_knock (silent and waiting for a
    door-knock, alerted included), alerted, opted_out (of SMS: followed by call and door-knock, and counted where
    they are too), and the answers: well, unwell, help, visited."""
    zone = community_zone()
    day = local_day or local_date(utcnow(), zone)
    rounds = list(CheckinRound.select().where(CheckinRound.local_date == day).order_by(CheckinRound.id))
    rows = (
        CheckinAsk.select(
            CheckinAsk.round, Grid.name, CheckinAsk.stage, CheckinAsk.outcome, Resident.opted_out, OptOut.phone,
            peewee.fn.COUNT(CheckinAsk.id),
        )
        .join(Resident, on=(CheckinAsk.resident == Resident.id))
        .join(Grid, peewee.JOIN.LEFT_OUTER, on=(Resident.grid == Grid.id))
        .join(OptOut, peewee.JOIN.LEFT_OUTER, on=(Resident.phone == OptOut.phone))
        .where(CheckinAsk.round.in_([r.id for r in rounds]))
        .group_by(CheckinAsk.round, Grid.name, CheckinAsk.stage, CheckinAsk.outcome, Resident.opted_out, OptOut.phone)
        .tuples()
    )  # fmt: skip
    per_round: dict[int, dict[str, int]] = defaultdict(_blank)
    per_grid: dict[int, dict[str | None, dict[str, int]]] = defaultdict(lambda: defaultdict(_blank))
    total = _blank()
    for round_id, grid, stage, outcome, opted_out, stopped, count in rows:  # stopped: opted out at the carrier
        for figures in (per_round[round_id], per_grid[round_id][grid], total):
            _count(figures, stage, outcome, int(count), bool(opted_out) or stopped is not None)
    return {
        "date": day.isoformat(),
        "rounds": [
            {
                "id": r.id,
                "audience": r.audience,
                "started_at": to_local(r.started_at, zone).strftime("%H:%M"),
                **per_round[r.id],
                "grids": [
                    {"grid": grid, **figures}
                    for grid, figures in sorted(per_grid[r.id].items(), key=lambda item: item[0] or "")
                ],
            }
            for r in rounds
        ],
        "total": total,
    }


@dataclass(frozen=True)
class DoorKnock:
    """A resident to visit today."""

    resident_id: int
    name: str
    address: str
    grid: str | None
    phone: str | None
    second_phone: str | None
    reason: str  # no-phone, opted-out (of SMS), unreachable
    task_id: int | None
    volunteer: str
    due_at: datetime | None
    overdue: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "resident_id": self.resident_id,
            "name": self.name,
            "address": self.address,
            "grid": self.grid,
            "phone": self.phone,
            "second_phone": self.second_phone,
            "reason": self.reason,
            "task_id": self.task_id,
            "volunteer": self.volunteer,
            "due_at": self.due_at.isoformat() if self.due_at else None,
            "overdue": self.overdue,
        }


def _why_knock(no_phone: bool, opted_out: bool) -> str:
    return "no-phone" if no_phone else "opted-out" if opted_out else "unreachable"


def door_knock_list(local_day: date | None = None, grid: str | None = None) -> list[DoorKnock]:
    """Residents to visit today (or on `local_day`), optionally in one grid: those without a phone and those the
    ladder could not reach, not yet answered or visited; ordered by grid and address, for printing."""
    zone = community_zone()
    now = utcnow()
    day = local_day or local_date(now, zone)
    rounds = CheckinRound.select(CheckinRound.id).where(CheckinRound.local_date == day)
    columns = (
        Resident.id, Resident.name, Resident.phone, Resident.second_phone, Household.building, Household.unit,
        Household.room, Grid.name, Task.id, Task.due_at, Volunteer.name,
    )  # fmt: skip
    query = (
        CheckinAsk.select(*columns)
        .join(Resident, on=(CheckinAsk.resident == Resident.id))
        .join(Household, peewee.JOIN.LEFT_OUTER, on=(Resident.household == Household.id))
        .switch(Resident)
        .join(Grid, peewee.JOIN.LEFT_OUTER, on=(Resident.grid == Grid.id))
        .switch(CheckinAsk)
        .join(Task, peewee.JOIN.LEFT_OUTER, on=(CheckinAsk.task == Task.id))
        .join(Volunteer, peewee.JOIN.LEFT_OUTER, on=(Task.volunteer == Volunteer.id))
        .where(CheckinAsk.round.in_(rounds) & CheckinAsk.stage.in_(["door_knock", "alerted"]))
    )
    if grid is not None:
        query = query.where(Grid.name == grid)
    rows = list(query.tuples())
    no_phone = {
        rid
        for (rid,) in ResidentTag.select(ResidentTag.resident)
        .where((ResidentTag.tag == NO_PHONE) & ResidentTag.resident.in_([row[0] for row in rows]))
        .tuples()
    }
    stopped = opted_out_among(row[2] for row in rows if row[2])
    seen: set[int] = set()
    visits = []
    for rid, name, phone, second, building, unit, room, grid_name, task_id, due_at, helper in rows:
        if rid in seen:  # asked by two rounds: one visit
            continue
        seen.add(rid)
        visits.append(
            DoorKnock(
                resident_id=rid,
                name=name,
                address=format_address(building or "", unit or "", room or ""),
                grid=grid_name,
                phone=phone,
                second_phone=second,
                reason=_why_knock(phone is None or rid in no_phone, phone in stopped),
                task_id=task_id,
                volunteer=helper or "",
                due_at=due_at,
                overdue=due_at is not None and due_at <= now,
            )
        )
    return sorted(visits, key=lambda v: (v.grid or "", v.address, v.name))


def door_knock_sheet(local_day: date | None = None, grid: str | None = None) -> str:
    """The door-knock list as plain text to print: one line per visit, grouped by grid."""
    zone = community_zone()
    visits = door_knock_list(local_day, grid)
    day = local_day or local_date(utcnow(), zone)
    lines = [f"Door-knock list {day.isoformat()}: {len(visits)} visit(s)"]
    per_grid = Counter(v.grid for v in visits)
    current: object = object()
    for visit in visits:
        if visit.grid != current:
            current = visit.grid
            lines += ["", f"Grid {visit.grid or '(none)'} ({per_grid[visit.grid]})"]
        due = deadline_text(visit.due_at, zone) if visit.due_at else ""
        task = f"task {visit.task_id}" if visit.task_id else "no task"
        late = " OVERDUE" if visit.overdue else ""
        phones = " / ".join(p for p in (visit.phone, visit.second_phone) if p) or "-"
        lines.append(
            f"[ ] {visit.address or '-'}  {visit.name}  {phones}  {visit.reason}  {task} by {due}{late}  "
            f"{visit.volunteer or 'unassigned'}".rstrip()
        )
    return "\n".join(lines)
