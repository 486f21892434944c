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
from zoneinfo import ZoneInfo

import peewee

from kit import audit, template_mode
from kit.audience import Audience, monitored_condition, residents_in
from kit.bulk import CHUNK as ROWS_PER_WRITE
from kit.bulk import FIRST, LAST, Chunked, Turns, select_values
from kit.clock import utcnow
from kit.community import community_zone
from kit.config import CheckinSettings
from kit.db import database, transaction
from kit.landlines import sms_unreachable
from kit.localtime import at_local, local_date, parse_hhmm
from kit.models import CheckinAsk, CheckinRound, JobRun, Message, OptOut, Resident, ResidentTag
from kit.outbox import PRIORITY_CHECKIN
from kit.people import NO_PHONE, first_asked_on_phone
from kit.retention import still_here
from kit.segments import analyze
from kit.tasks import Visit, create_door_knocks
from kit.templates import languages, render

LIVING_ALONE = "elderly-alone"  # the tag (data/vocabulary.toml) of residents asked first, with the monitored
PRIORITY_FIRST = PRIORITY_CHECKIN - 1  # their prompts: the dispatcher sends them before the rest of the round

# Residents asked per transaction. Their rows are written by the database itself (INSERT ... SELECT), several times
# faster than rows built in Python, so a chunk of this size holds the write lock for about 100 ms on a quiet 2-core
# machine (`kit.bulk.HOLD`). Fewer, larger chunks: each is followed by a pause that lets waiting writers in, the
# same 30 ms for any chunk under about 128 ms; a loaded machine takes fewer residents per chunk (`kit.bulk.Turns`).
CHUNK = 24 * ROWS_PER_WRITE

# Door-knocks handed out per transaction: each transaction also reads every volunteer's load (`create_door_knocks`),
# so fewer, larger ones (measured: about 100 ms each).
KNOCKS = 2 * ROWS_PER_WRITE

ROUND_ASKED = "checkin-round-asked"  # the JobRun (key: the round's id) that says every chunk of a start is written


def audience_condition(audience: str, day: date) -> tuple[str, peewee.Expression | None]:
    """The audience in its stored form and the condition on `Resident` that selects it (`kit.audience`)."""
    parsed = Audience.parse(audience)
    return parsed.as_text(), residents_in(parsed, day)


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


def in_their_language(template: str) -> tuple[peewee.Case, peewee.Case]:
    """The text `template` in each resident's language (`render`'s fallback for any other) and its SMS segments, as
    SQL expressions on `Resident.language`: for messages written by INSERT ... SELECT."""
    bodies = {language: render(template, language) for language in languages()}
    other = render(template, "")
    body = peewee.Case(Resident.language, list(bodies.items()), other)
    counts = [(language, analyze(text).segments) for language, text in bodies.items()]
    return body, peewee.Case(Resident.language, counts, analyze(other).segments)


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
    template_mode.require_in_bulk("checkin")  # a template-only gateway with no approved check-in: refused now
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
    sql, params = query.sql()  # read raw: 100,000 ids through peewee's rows take longer than the whole chunk
    ids = [rid for (rid,) in database.execute_sql(sql, params).fetchall()]
    expires = round_expiry(day, round_.started_at, settings, zone)
    statements = [_asks_insert(round_, condition, settings), _prompts_insert(round_, expires)]
    turns = Turns()
    for chunk in turns.chunks(ids, CHUNK):
        _ask_residents(statements, chunk[0], chunk[-1], turns)
    _knock_on_doors(round_, actor, turns)
    return _finish_start(round_, actor, turns)


def _fully_started(round_: CheckinRound) -> bool:
    """Whether every chunk of the round's start was written (rounds started in one go have only `asked` to say so)."""
    marked = JobRun.select().where((JobRun.job == ROUND_ASKED) & (JobRun.key == str(round_.id))).exists()
    return bool(marked or round_.asked)


def _ask_residents(statements: list[Chunked], first: int, last: int, turns: Turns) -> None:
    """Ask the residents of the audience with ids from `first` to `last` who have no ask in the round yet: their
    asks and prompts in one transaction (taking its turn), each written by one INSERT ... SELECT (the rows follow
    from the register; building them in Python costs several times what the database needs to write them)."""
    with turns.transaction():
        for statement in statements:
            statement.run(first, last)


def _asks_insert(round_: CheckinRound, condition: peewee.Expression | None, settings: CheckinSettings) -> Chunked:
    """The asks of a chunk's residents not asked yet; the door-knocks last, as their tasks are handed out (after
    the last chunk, `_knock_on_doors`: one alert per grid nobody covers). Those who opted out of SMS get no prompt:
    the ladder's next pass places the call."""
    now = utcnow()
    already = CheckinAsk.select(CheckinAsk.resident).where(
        (CheckinAsk.round == round_.id) & CheckinAsk.resident.between(FIRST, LAST)
    )
    who = Resident.id.between(FIRST, LAST) & Resident.id.not_in(already)
    if condition is not None:
        who &= condition
    stopped = (Resident.opted_out == True) | Resident.phone.in_(OptOut.select(OptOut.phone))  # noqa: E712
    stopped |= sms_unreachable()  # a landline takes no SMS either: called, or knocked on, like those who opted out
    tagged = ResidentTag.select(ResidentTag.resident).where(ResidentTag.tag == NO_PHONE)
    no_phone = Resident.phone.is_null() | Resident.id.in_(tagged)
    at_door = no_phone if settings.call_opted_out else no_phone | stopped
    stage = peewee.Case(None, [(at_door, "door_knock"), (stopped, "reminded")], "asked")
    remind_at, deadline = now + hours(settings.reminder_after_hours), now + hours(settings.door_knock_deadline_hours)
    next_step = peewee.Case(None, [(at_door, deadline), (stopped, now)], remind_at)
    asks = (
        Resident.select(peewee.Value(round_.id), Resident.id, stage, next_step, peewee.Value(""), peewee.Value(now))
        .where(who)
        .order_by(peewee.Case(None, [(at_door, 1)], 0), Resident.id)
    )
    fields = [
        CheckinAsk.round, CheckinAsk.resident, CheckinAsk.stage, CheckinAsk.next_step_at, CheckinAsk.outcome,
        CheckinAsk.updated_at,
    ]  # fmt: skip
    return Chunked(CheckinAsk.insert_from(asks, fields))


def _prompts_insert(round_: CheckinRound, expires: datetime) -> Chunked:
    """The check-in prompt to each resident of a chunk asked by SMS (stage "asked"), in their language (`render`'s
    fallback for any other); those asked first (`asked_first_condition`) with `PRIORITY_FIRST`. A key already
    queued is left alone."""
    now = utcnow()
    body, segments = in_their_language("checkin")
    priority = peewee.Case(None, [(asked_first_condition(round_.local_date), PRIORITY_FIRST)], PRIORITY_CHECKIN)
    key = peewee.Value(f"checkin:{round_.id}:").concat(Resident.id.cast("TEXT"))
    values = {
        Message.direction: "out", Message.channel: "sms", Message.peer: Resident.phone, Message.body: body,
        Message.language: Resident.language, Message.kind: "checkin", Message.status: "queued", Message.gateway: "",
        Message.key: key, Message.resident: Resident.id, Message.round: round_.id, Message.segments: segments,
        Message.priority: priority, Message.attempts: 0, Message.not_before: now, Message.expires_at: expires,
        Message.claimed_by: "", Message.created_at: now, Message.updated_at: now, Message.error_code: "",
        Message.error: "", Message.intent: "", Message.corrected_intent: "",
    }  # fmt: skip
    asked = (CheckinAsk.round == round_.id) & CheckinAsk.resident.between(FIRST, LAST) & (CheckinAsk.stage == "asked")
    columns, fields = select_values(Message, values)
    prompts = (
        Resident.select(*columns)
        .join(CheckinAsk, on=(CheckinAsk.resident == Resident.id))
        .where(asked & first_asked_on_phone(round_.id))  # a household that shares a phone: one prompt
        .order_by(Resident.id)
    )
    return Chunked(Message.insert_from(prompts, fields).on_conflict("nothing"))


def _knock_on_doors(round_: CheckinRound, actor: str, turns: Turns) -> None:
    """Door-knock tasks for the round's asks that start at the door and have none yet, at most `KNOCKS` at a time,
    each chunk's tasks and asks in one transaction: a start cut short hands each one out once."""
    table = "checkin_ask".join(database.quote)
    sql = f"UPDATE {table} SET task_id = {database.param} WHERE id = {database.param}"
    waiting = (CheckinAsk.round == round_.id) & (CheckinAsk.stage == "door_knock") & CheckinAsk.task.is_null()
    size = KNOCKS
    while True:
        with turns.transaction():
            query = (
                CheckinAsk.select(CheckinAsk.id, CheckinAsk.resident, Resident.grid, CheckinAsk.next_step_at)
                .join(Resident, on=(CheckinAsk.resident == Resident.id))
                .where(waiting)
                .order_by(CheckinAsk.id)
                .limit(size)
            )
            by_deadline: dict[datetime, list[tuple[int, Visit]]] = defaultdict(list)
            for ask_id, resident_id, grid_id, deadline in query.tuples():
                by_deadline[deadline].append((ask_id, Visit(resident_id, grid_id)))
            if not by_deadline:
                return
            for deadline, asks in by_deadline.items():
                tasks = create_door_knocks([v for _, v in asks], due_at=deadline, round_id=round_.id, actor=actor)
                database.cursor().executemany(sql, [(tasks[visit.resident_id], ask_id) for ask_id, visit in asks])
            handed_out = sum(len(asks) for asks in by_deadline.values())
        if handed_out < size:
            return
        size = turns.resize(handed_out, KNOCKS)


def _finish_start(round_: CheckinRound, actor: str, turns: Turns) -> CheckinRound:
    """Mark the round started once every chunk is written: count its asks, audit the start (once)."""
    with turns.transaction():
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
