"""What the ladder's rungs write: an ask due for its next step (`Due`), its new stage (`Move`), the messages a
rung queues, the alerts for overdue door-knocks, and the asks' new stages in one statement; and the reminder rung
for a whole range of asks at once (`Reminders`).

Decisions
- The reminder is the rung a whole round reaches at once (three hours after the prompts went out), so it is
  written by the database itself, in one transaction per range of asks: one INSERT ... SELECT chooses the asks the
  per-ask rung (`reminder_draft`, in kit.checkin.ladder) would remind (due at "asked", the prompt gone out long
  enough ago or ended without going out, not opted out in the register nor at the carrier) into a temporary table
  (`ChosenAsk`); one INSERT ... SELECT queues their reminders, with their keys, and one UPDATE moves them on. Choosing
  once costs less than joining the prompts twice (measured: the range's statements take a fifth less). The per-ask
  rung stays for an ask whose prompt changed between the two, and for every ask when the SMS pool sends only
  approved templates and one has no reminder in some language (`kit.template_mode.sendable_in_bulk`): kit.outbox
  then vets each message as it is queued.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

import peewee

from kit import template_mode
from kit.alerts import alert_text, alert_who, language_read_once
from kit.bulk import FIRST, LAST, Chunked, insert_rows, select_values
from kit.bulk import to_db as bulk_to_db
from kit.checkin.rounds import in_their_language
from kit.db import database
from kit.models import Alert, CheckinAsk, Message, OptOut, Resident, Volunteer
from kit.outbox import PRIORITY_CHECKIN, Draft
from kit.people import deadline_text, first_silent_on_phone, only_for_shared, people
from kit.templates import render

PENDING = ("queued", "sending")  # a message that may still go out


class Due(NamedTuple):
    """An ask whose next step is due, with what moving it on needs."""

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


class Move(NamedTuple):
    """Where a step leaves an ask (`apply_moves` writes it)."""

    ask_id: int
    stage: str
    next_step_at: datetime | None
    outcome: str
    task_id: int | None
    answered_at: datetime | None


def ask_key(due: Due, suffix: str = "") -> str:
    return f"checkin:{due.round_id}:{due.resident_id}{suffix}"


def reminder_draft(ask: Due, expires: datetime) -> Draft:
    return Draft(
        peer=ask.phone or "",
        body=render("reminder", ask.language),
        kind="reminder",
        key=ask_key(ask, ":reminder"),
        language=ask.language,
        resident_id=ask.resident_id,
        round_id=ask.round_id,
        priority=PRIORITY_CHECKIN,
        expires_at=expires,
    )


def call_draft(ask: Due, expires: datetime, *, suffix: str = ":call", not_before: datetime | None = None) -> Draft:
    """The check-in call (`suffix` ":call2" for the second try): the voice gateway speaks `body` and reads the
    keypad."""
    return Draft(
        peer=ask.phone or "",
        body=render("checkin_call", ask.language),
        kind="checkin_call",
        key=ask_key(ask, suffix),
        channel="voice",
        language=ask.language,
        resident_id=ask.resident_id,
        round_id=ask.round_id,
        priority=PRIORITY_CHECKIN,
        not_before=not_before,
        expires_at=expires,
    )


def second_contact_draft(ask: Due, expires: datetime) -> Draft:
    # The body needs the resident's name and address; filled in for all second contacts at once.
    return Draft(
        peer=ask.second_phone or "",
        body="",
        kind="second_contact",
        key=ask_key(ask, ":second"),
        language=ask.language,
        resident_id=ask.resident_id,
        round_id=ask.round_id,
        priority=PRIORITY_CHECKIN,
        expires_at=expires,
    )


def fill_second_contact_names(drafts: list[Draft]) -> None:
    wanted = [d.resident_id for d in drafts if d.kind == "second_contact" and d.resident_id is not None]
    if not wanted:
        return
    persons = people(wanted)
    for index, draft in enumerate(drafts):
        if draft.kind == "second_contact" and draft.resident_id in persons:
            person = persons[draft.resident_id]
            values = {"name": person.name, "address": person.address or "-"}
            body = render("second_contact", draft.language, **values)
            drafts[index] = replace(draft, body=body, params=values)


def raise_unreachable(overdue: list[Due], zone: ZoneInfo, now: datetime) -> None:
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
    deadlines: dict[datetime, str] = {}  # the asks of a batch share a few deadlines: each is worded once
    with language_read_once():
        for ask, key in zip(overdue, keys):
            if key in raised:
                continue
            due = ask.task_due_at
            if due and due not in deadlines:
                deadlines[due] = alert_text("alert_unreachable_by", due=deadline_text(due, zone))
            person = persons.get(ask.resident_id)
            who = alert_who(person) if person else alert_text("alert_unreachable_resident", id=ask.resident_id)
            why = alert_text("alert_unreachable_no_phone" if person and person.no_phone else "alert_unreachable_silent")
            helper = helpers.get(ask.volunteer_id) if ask.volunteer_id is not None else None
            if helper:
                then = alert_text("alert_unreachable_call", name=helper[0], phone=helper[1])
            else:
                then = alert_text("alert_unreachable_send")
            by = deadlines[due] if due else ""
            text = alert_text("alert_unreachable", who=who, why=why, task=ask.task_id, by=by, then=then)
            rows.append(("unreachable", "urgent", ask.resident_id, ask.task_id, text, key, now))
    fields = [Alert.kind, Alert.severity, Alert.resident, Alert.task, Alert.text, Alert.key, Alert.created_at]
    insert_rows(Alert, fields, rows)


def apply_moves(moves: list[Move], now: datetime) -> None:
    """Write the asks' new stages with one prepared statement."""
    if not moves:
        return
    mark = database.param
    table = "checkin_ask".join(database.quote)
    sql = (
        f"UPDATE {table} SET stage = {mark}, next_step_at = {mark}, outcome = {mark}, task_id = {mark}, "
        f"answered_at = COALESCE({mark}, answered_at), updated_at = {mark} WHERE id = {mark}"
    )
    to_db = bulk_to_db(CheckinAsk.next_step_at)
    rows = [
        (m.stage, to_db(m.next_step_at), m.outcome, m.task_id, to_db(m.answered_at), to_db(now), m.ask_id)
        for m in moves
    ]
    database.cursor().executemany(sql, rows)


def _key(suffix: str = "") -> peewee.Expression:
    """`ask_key` in SQL, on the ask's columns."""
    key = peewee.Value("checkin:").concat(CheckinAsk.round.cast("TEXT")).concat(":")
    key = key.concat(CheckinAsk.resident.cast("TEXT"))
    return key.concat(suffix) if suffix else key


class ChosenAsk(peewee.Model):
    """The asks of one range that `Reminders` reminds and moves on: a temporary table of the connection, filled and
    emptied inside the range's transaction."""

    id = peewee.IntegerField(primary_key=True)

    class Meta:
        database = database
        table_name = "chosen_ask"
        temporary = True


class Reminders:
    """The reminder rung for the asks with ids from `FIRST` to `LAST` (see the module's doc): built once per
    ladder step, run per range of asks. `after`: how long after the prompt went out; `then`: when the reminded
    ask is looked at next; `expiries`: each round's expiry (a round past it gets no reminders, its asks still
    move on). The caller holds the transaction."""

    def __init__(self, now: datetime, *, after: timedelta, then: datetime, expiries: dict[int, datetime]) -> None:
        prompt = Message.alias("prompt")
        at_carrier = Resident.phone.in_(OptOut.select(OptOut.phone))
        gone_out = (
            prompt.id.is_null()
            | (prompt.sent_at.is_null() & prompt.status.not_in(PENDING))
            | (prompt.sent_at <= now - after)
        )
        due = CheckinAsk.id.between(FIRST, LAST) & (CheckinAsk.stage == "asked") & (CheckinAsk.next_step_at <= now)
        chosen = due & (Resident.opted_out == False) & (Resident.phone.is_null() | ~at_carrier) & gone_out  # noqa: E712
        asks = (
            CheckinAsk.select(CheckinAsk.id)
            .join(Resident, on=(CheckinAsk.resident == Resident.id))
            .join(prompt, peewee.JOIN.LEFT_OUTER, on=(prompt.key == _key()))
            .where(chosen)
        )
        ChosenAsk.create_table(safe=True)
        self.choose = Chunked(ChosenAsk.insert_from(asks, [ChosenAsk.id]))
        live = {round_id: expiry for round_id, expiry in expiries.items() if now < expiry}
        # Template-only mode with no approved reminder: the asks move on unreminded (an alert says why).
        remind = bool(live) and template_mode.sendable_in_bulk("reminder")
        self.queue = Chunked(self._insert(now, live)) if remind else None
        moved = CheckinAsk.update(stage="reminded", next_step_at=then, outcome="", updated_at=now)
        self.move = Chunked(moved.where(CheckinAsk.id.in_(ChosenAsk.select(ChosenAsk.id))))
        self.clear = Chunked(ChosenAsk.delete())

    @staticmethod
    def _insert(now: datetime, live: dict[int, datetime]) -> peewee.Query:
        """What `reminder_draft` and `kit.outbox.queue_many` write for each chosen ask, for the rounds not expired."""
        body, segments = in_their_language("reminder")
        expires = peewee.Case(CheckinAsk.round, list(live.items()))
        values = {
            Message.direction: "out", Message.channel: "sms", Message.peer: Resident.phone, Message.body: body,
            Message.language: Resident.language, Message.kind: "reminder", Message.status: "queued",
            Message.gateway: "", Message.key: _key(":reminder"), Message.resident: CheckinAsk.resident,
            Message.round: CheckinAsk.round, Message.segments: segments, Message.priority: PRIORITY_CHECKIN,
            Message.attempts: 0, Message.not_before: now, Message.expires_at: expires,
            Message.claimed_by: "", Message.created_at: now, Message.updated_at: now, Message.error_code: "",
            Message.error: "", Message.intent: "", Message.corrected_intent: "",
        }  # fmt: skip
        columns, fields = select_values(Message, values)
        live_asks = CheckinAsk.round.in_(list(live)) & Resident.phone.is_null(False)
        once = only_for_shared(first_silent_on_phone())  # a phone residents share: one reminder
        # A cross join reads the chosen asks first: SQLite's planner would otherwise start from the round's index,
        # every ask of the round for each range.
        rows = (
            ChosenAsk.select(*columns)
            .join(CheckinAsk, peewee.JOIN.CROSS)
            .join(Resident, on=(CheckinAsk.resident == Resident.id))
            .where((CheckinAsk.id == ChosenAsk.id) & live_asks & once)
            .order_by(ChosenAsk.id)
        )
        return Message.insert_from(rows, fields).on_conflict("nothing")

    def run(self, first: int, last: int) -> int:
        """Remind the chosen asks with ids from `first` to `last` and move them on; how many moved."""
        self.choose.run(first, last)
        if self.queue is not None:
            self.queue.run(first, last)
        moved = self.move.run(first, last)
        self.clear.run(first, last)
        return moved
