"""The ladder: `advance_ladder` moves every silent resident on, one rung at a time (`_Ladder`, one method per rung).

Decisions
- Each step waits from when the previous message actually went out, not from when it was queued: a prompt held
  by quiet hours or the budget until 07:00 is followed by its reminder three hours after 07:00, not at once.
  A message that ended without going out (expired, opted out, failed, a call that was busy) does not hold the
  ladder back: the next step comes on time.
- No step is taken during quiet hours except raising the alert; so a door-knock is never handed out at night.
- A resident with no second contact skips that step: the door-knock comes when the second contact would have.
- A call that ended busy, unanswered, failed or cancelled is placed once more (key ":call2")
  `checkin.call_retry_minutes` after it ended; the ladder first looks at a call that long after queueing it,
  and every `RECHECK` while it is still ringing. The second contact waits from the last call. A call that was
  picked up is not an answer: only the keypad's report (`record_answer`, channel "voice") takes the resident off.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import peewee

from kit.bulk import CHUNK, Turns
from kit.checkin.rounds import hours, round_expiry
from kit.checkin.rungs import (
    PENDING,
    Due,
    Move,
    Reminders,
    apply_moves,
    ask_key,
    call_draft,
    fill_second_contact_names,
    raise_unreachable,
    reminder_draft,
    second_contact_draft,
)
from kit.clock import utcnow
from kit.community import community_zone
from kit.config import CheckinSettings, DispatchSettings
from kit.db import database
from kit.localtime import in_quiet_hours, parse_hhmm, quiet_ends
from kit.models import CheckinAsk, CheckinRound, Message, Resident, Task
from kit.outbox import Draft, opted_out_among, queue_many
from kit.people import covered_by_a_sharer
from kit.tasks import Visit, create_door_knocks
from kit.template_mode import sendable_in_bulk

ON_THE_LADDER = ("asked", "reminded", "called", "second_contact", "door_knock")
RECHECK = timedelta(minutes=10)  # how soon to look again at an ask whose last message has not gone out yet
UNANSWERED_CALL = ("busy", "no-answer", "failed", "canceled", "cancelled")  # a call worth placing once more
IN_FLIGHT = "sent"  # what the outbox calls a call that is ringing or in progress
RETRY = ":call2"  # the key suffix of the second call

# Asks moved on per transaction, at most, by the rungs written in Python (measured: 35-50 us each, so 50-80 ms a
# batch), and asks reminded per transaction by the database itself (`Reminders`: about 10 us each). Fewer, larger
# transactions: each is followed by a pause that lets waiting writers in, and a loaded machine takes fewer rows
# per transaction (`kit.bulk.Turns`).
BATCH = 3 * CHUNK
RANGE = 18 * CHUNK

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


def _due(now: datetime, stages: tuple[str, ...] = ON_THE_LADDER) -> peewee.Expression:
    return CheckinAsk.stage.in_(stages) & (CheckinAsk.next_step_at <= now)


def _due_reader(now: datetime) -> Callable[[int, int], list[Due]]:
    """Reads the asks with ids from `first` to `last` whose step is due, with what moving them on needs.

    The statement is built once and run per batch with the batch's bounds (its last two parameters), and only the
    date columns are converted, once per distinct value: peewee's query building and row conversion cost more than
    the query itself."""
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
        .where(_due(now) & CheckinAsk.id.between(0, 0))
        .order_by(CheckinAsk.id)
    )
    sql, params = query.sql()
    to_date, to_time = CheckinRound.local_date.python_value, CheckinRound.started_at.python_value
    dates: dict[object, date] = {}
    times: dict[object, datetime] = {}

    def rows(first: int, last: int) -> list[tuple[Any, ...]]:
        return list(database.execute_sql(sql, [*params[:-2], first, last]).fetchall())

    def read(first: int, last: int) -> list[Due]:
        due = []
        for ask, round_id, resident, stage, task, day, started, phone, second, language, grid, out, *rest in rows(
            first, last
        ):
            state, volunteer, task_due = rest
            if day not in dates:
                dates[day] = to_date(day)
            if started not in times:
                times[started] = to_time(started)
            task_due = None if task_due is None else to_time(task_due)
            due.append(
                Due(ask, round_id, resident, stage, task, dates[day], times[started], phone, second, language, grid,
                    bool(out), state, volunteer, task_due)
            )  # fmt: skip
        return due

    return read


class _Sent(NamedTuple):
    """The outbox row of the message a stage sent."""

    status: str
    sent_at: datetime | None
    queued_at: datetime
    changed_at: datetime  # when its status last changed: when a call ended


def _last_sent(due: Iterable[Due]) -> dict[str, _Sent]:
    """The message each ask's stage sent last (and a called ask's second call), by key: one prepared statement per
    500 keys (building the query with peewee costs more than running it)."""
    keys = []
    for d in due:
        if d.stage in _SENT_AT_STAGE:
            keys.append(ask_key(d, _SENT_AT_STAGE[d.stage]))
        if d.stage == "called":
            keys.append(ask_key(d, RETRY))
    table, key = ("message".join(database.quote), "key".join(database.quote))
    times: dict[object, datetime | None] = {}  # a batch's messages share a few distinct times: convert each once

    def to_python(value: object) -> Any:
        if value not in times:
            times[value] = Message.sent_at.python_value(value)
        return times[value]

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
    """Move every silent resident whose next step is due one step on (see kit.checkin's doc). Idempotent: a step
    moves the ask's `next_step_at` into the future and its messages carry keys. The reminders come first, written
    by the database for up to `RANGE` asks per transaction (`Reminders`); then every other rung, up to `BATCH`
    asks per transaction. The transactions take turns with other writers (`Turns`), so webhooks and the dispatcher are
    never kept waiting long, and a step cut short is finished by the next. `dispatch` gives the quiet hours
    (default: the default settings)."""
    now = utcnow()
    ladder = _Ladder(settings, dispatch or DispatchSettings(), community_zone(), now)
    turns = Turns()
    # The reminders first, a range of the asks at "asked" at a time; then every other rung. When the SMS pool sends
    # only approved templates and one has no reminder in some language, they are queued one by one, each vetted
    # (kit.outbox).
    in_bulk = not ladder.is_quiet and sendable_in_bulk("reminder")
    asked, rounds = _due_ids(now, ("asked",)) if in_bulk else ([], set())
    if asked:
        reminders = ladder.reminders(rounds)
        for asks in turns.chunks(asked, RANGE):
            with turns.transaction():
                ladder.report.reminded += reminders.run(asks[0], asks[-1])
    ids, _ = _due_ids(now)
    due_asks = _due_reader(now)
    for batch in turns.chunks(ids, BATCH):
        with turns.transaction():
            due = due_asks(batch[0], batch[-1])  # read again under the lock: another run may have moved them
            if due:
                ladder.step(due)
    return ladder.report


def _due_ids(now: datetime, stages: tuple[str, ...] = ON_THE_LADDER) -> tuple[list[int], set[int]]:
    """The ids of the asks at one of `stages` whose step is due, in order, and their rounds."""
    query = CheckinAsk.select(CheckinAsk.id, CheckinAsk.round).where(_due(now, stages)).order_by(CheckinAsk.id)
    sql, params = query.sql()  # read raw: 100,000 rows through peewee's rows take longer than reading them
    rows = database.execute_sql(sql, params).fetchall()
    return [ask_id for ask_id, _ in rows], {round_id for _, round_id in rows}


@dataclass
class _Batch:
    """What moving one batch of asks on writes, gathered first and written together (`_Ladder.write`)."""

    sent: dict[str, _Sent]
    stopped: set[str]  # opted out at the carrier too, not only in the register
    covered: set[int]  # asks whose reminder or call an earlier resident's on the same phone gives (kit.people)
    moves: list[Move] = field(default_factory=list)
    drafts: list[Draft] = field(default_factory=list)
    knocks: dict[int, list[Due]] = field(default_factory=lambda: defaultdict(list))  # round -> asks knocked on now
    overdue: list[Due] = field(default_factory=list)


class _Ladder:
    """One run of the ladder at one moment, a batch of due asks at a time: `step` finds the rung each ask is due
    for, and that rung's method moves it on."""

    def __init__(self, settings: CheckinSettings, dispatch: DispatchSettings, zone: ZoneInfo, now: datetime) -> None:
        self.settings = settings
        self.zone = zone
        self.now = now
        self.quiet = _quiet_hours(dispatch)
        self.is_quiet = in_quiet_hours(now, zone, *self.quiet)
        self.waits = {
            "asked": hours(settings.reminder_after_hours),
            "reminded": hours(settings.call_after_hours),
            "called": hours(settings.second_contact_after_hours),
            "second_contact": hours(settings.door_knock_after_hours),
        }
        self.retry = timedelta(minutes=settings.call_retry_minutes)
        self.expiries: dict[int, datetime] = {}
        self.report = LadderReport()
        self.batch = _Batch(sent={}, stopped=set(), covered=set())

    def reminders(self, round_ids: set[int]) -> Reminders:
        """The reminder rung for whole ranges of asks of these rounds (`kit.checkin.rungs.Reminders`)."""
        for round_id, day, started_at in (
            CheckinRound.select(CheckinRound.id, CheckinRound.local_date, CheckinRound.started_at)
            .where(CheckinRound.id.in_(sorted(round_ids)))
            .tuples()
        ):
            self.expiry(round_id, day, started_at)
        expiries = {round_id: self.expiries[round_id] for round_id in round_ids}
        return Reminders(self.now, after=self.waits["asked"], then=self.now + self.waits["reminded"], expiries=expiries)

    def step(self, due: list[Due]) -> None:
        """Move each ask of `due` on, queue what that says, create the door-knocks, raise the alerts; the caller
        holds the transaction."""
        self.batch = _Batch(
            sent=_last_sent(d for d in due if d.stage != "door_knock"),
            stopped=opted_out_among(d.phone for d in due if d.phone),
            covered=covered_by_a_sharer((d.ask_id, d.round_id, d.resident_id, d.phone) for d in due),
        )
        for ask in due:
            if ask.stage == "door_knock":
                self.alert(ask)
            elif self.is_quiet:
                self.stay(ask, quiet_ends(self.now, self.zone, *self.quiet))
                self.report.waiting += 1
            else:
                self.climb(ask)
        self.write()

    def climb(self, ask: Due) -> None:
        """Outside quiet hours: place the call again, wait for the last message, or take the next rung."""
        last = self.batch.sent.get(ask_key(ask, _SENT_AT_STAGE[ask.stage]))
        expires = self._expiry(ask)
        live = self.now < expires
        retried: _Sent | None = None
        if ask.stage == "called":
            retried = self.batch.sent.get(ask_key(ask, RETRY))
            if retried is None and last is not None and last.status in UNANSWERED_CALL and live:
                self.retry_call(ask, last, expires)
                return
            last = retried or last
        if self.wait_for_last(ask, last, retried):
            return
        out = ask.opted_out or ask.phone in self.batch.stopped  # no SMS to them, and still followed
        if out and ask.stage in ("asked", "reminded"):
            self.report.opted_out += 1
        if out and ask.stage in ("asked", "reminded") and not self.settings.call_opted_out:
            self.door_knock(ask)  # neither SMS nor call: straight to the door
        elif ask.stage == "asked" and not out:
            self.reminder(ask, expires, live)
        elif ask.stage in ("asked", "reminded"):  # opted out of SMS: no reminder, the call comes now
            self.call(ask, expires, live)
        elif ask.stage == "called" and ask.second_phone and ask.second_phone != ask.phone:
            self.second_contact(ask, expires, live)
        else:  # second_contact, or called with nobody to contact: knock on the door
            self.door_knock(ask)

    def wait_for_last(self, ask: Due, last: _Sent | None, retried: _Sent | None) -> bool:
        """Whether `ask` stays where it is: its last message has not gone out yet, or not long enough ago."""
        now, waits = self.now, self.waits
        status, sent_at = (last.status, last.sent_at) if last else ("", None)
        if sent_at is None and status in PENDING:
            self.stay(ask, now + RECHECK)
            self.report.waiting += 1
            return True
        if ask.stage == "called" and last is not None:
            # The second contact waits from the last call: from when it went out, else from when it was queued
            # (the ladder looked early, to place the call again if it ended unanswered).
            since = sent_at or last.queued_at
            if since + waits["called"] > now:
                later = since + waits["called"]
                if status == IN_FLIGHT and retried is None:  # still ringing: look again soon
                    later = min(later, now + RECHECK)
                self.stay(ask, later)
                return True
        elif sent_at is not None and sent_at + waits[ask.stage] > now:
            self.stay(ask, sent_at + waits[ask.stage])
            return True
        return False

    def reminder(self, ask: Due, expires: datetime, live: bool) -> None:
        if live and ask.phone and ask.ask_id not in self.batch.covered:
            self.batch.drafts.append(reminder_draft(ask, expires))
        self.move(ask, "reminded", self.now + self.waits["reminded"])
        self.report.reminded += 1

    def call(self, ask: Due, expires: datetime, live: bool) -> None:
        look = self.now + self.waits["called"]
        if live and ask.phone and ask.ask_id not in self.batch.covered:
            self.batch.drafts.append(call_draft(ask, expires))
            look = self.now + min(self.waits["called"], self.retry)  # in time to place it again if it goes unanswered
        self.move(ask, "called", look)
        self.report.called += 1

    def retry_call(self, ask: Due, last: _Sent, expires: datetime) -> None:
        at = max(self.now, last.changed_at + self.retry)
        self.batch.drafts.append(call_draft(ask, expires, suffix=RETRY, not_before=at))
        self.move(ask, "called", at)
        self.report.retried += 1

    def second_contact(self, ask: Due, expires: datetime, live: bool) -> None:
        if live:
            self.batch.drafts.append(second_contact_draft(ask, expires))
        self.move(ask, "second_contact", self.now + self.waits["second_contact"])
        self.report.second_contact += 1

    def door_knock(self, ask: Due) -> None:
        """The task is created with the batch's others (`write`)."""
        self.batch.knocks[ask.round_id].append(ask)
        self.report.door_knock += 1

    def alert(self, ask: Due) -> None:
        """At the door-knock's deadline: visited if its task is done, else an alert (raised in `write`)."""
        if ask.task_state == "done":
            self.batch.moves.append(Move(ask.ask_id, "answered", None, "visited", ask.task_id, self.now))
            self.report.visited += 1
        else:
            self.batch.overdue.append(ask)
            self.batch.moves.append(Move(ask.ask_id, "alerted", None, "unreachable", ask.task_id, None))
            self.report.alerted += 1

    def stay(self, ask: Due, until: datetime) -> None:
        self.move(ask, ask.stage, until)

    def move(self, ask: Due, stage: str, next_step_at: datetime) -> None:
        self.batch.moves.append(Move(ask.ask_id, stage, next_step_at, "", ask.task_id, None))

    def write(self) -> None:
        """Create the batch's door-knocks, queue its messages, raise its alerts and write its asks' new stages."""
        batch, now = self.batch, self.now
        deadline = now + hours(self.settings.door_knock_deadline_hours)
        for round_id, asks in batch.knocks.items():
            visits = [Visit(ask.resident_id, ask.grid_id) for ask in asks]
            tasks = create_door_knocks(visits, due_at=deadline, round_id=round_id, actor="ladder")
            batch.moves += [Move(a.ask_id, "door_knock", deadline, "", tasks[a.resident_id], None) for a in asks]
        fill_second_contact_names(batch.drafts)
        queue_many(batch.drafts)
        raise_unreachable(batch.overdue, self.zone, now)
        apply_moves(batch.moves, now)

    def _expiry(self, ask: Due) -> datetime:
        return self.expiry(ask.round_id, ask.local_date, ask.started_at)

    def expiry(self, round_id: int, day: date, started_at: datetime) -> datetime:
        if round_id not in self.expiries:
            self.expiries[round_id] = round_expiry(day, started_at, self.settings, self.zone)
        return self.expiries[round_id]
