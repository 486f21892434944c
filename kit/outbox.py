"""The durable inbox and outbox: the seam between deciding and sending.

Everything Linli says is queued here in the same transaction as the state change that caused it; a dispatcher
sends it later. Everything Linli hears is recorded here, idempotently by the provider's id, before it is acted on.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import peewee

from kit.alerts import alert_message_error
from kit.bulk import insert_rows, reserve_ids, update_rows
from kit.clock import utcnow
from kit.db import database, transaction
from kit.message_kinds import encode
from kit.models import Message, MessageEvent, OptOut, Resident
from kit.segments import analyze
from kit.template_mode import Vetted, vet

# Later statuses win over earlier ones when callbacks arrive out of order.
_RANK = {
    "queued": 0,
    "sending": 1,
    "accepted": 2,
    "sent": 3,
    "ringing": 3,
    "in-progress": 4,
    "delivered": 5,
    "completed": 5,
    "undelivered": 5,
    "failed": 5,
    "busy": 5,
    "no-answer": 5,
    "canceled": 5,
    "read": 6,
}
PRIORITY_REPLY = 0  # a direct answer to a message the person just sent
PRIORITY_TASK = 2
PRIORITY_CHECKIN = 5
PRIORITY_NOTICE = 7


@dataclass(frozen=True)
class Draft:
    """A message to queue."""

    peer: str
    body: str
    kind: str
    key: str | None = None
    channel: str = "sms"
    language: str = ""
    resident_id: int | None = None
    volunteer_id: int | None = None
    round_id: int | None = None
    task_id: int | None = None
    notice_id: int | None = None
    priority: int = PRIORITY_CHECKIN
    not_before: datetime | None = None
    expires_at: datetime | None = None
    template: str = ""  # the text's kind in kit.message_kinds when it is not `kind` (ack_fever for a "reply")
    params: Mapping[str, object] = field(default_factory=dict)  # the values `body` was rendered with


STILL_CALLED = ("checkin_call",)  # calls an opt-out does not stop: kit.checkin decides who gets them


def opt_out_stops(channel: str, kind: str) -> bool:
    """Whether a number's opt-out (STOP, 退订) stops a message of this channel and kind: every SMS and every call
    except the check-in call. Opting out of SMS is not opting out of care (`checkin.call_opted_out` says whether
    the community calls such residents)."""
    return channel != "voice" or kind not in STILL_CALLED


def is_opted_out(phone: str) -> bool:
    return bool(OptOut.select().where(OptOut.phone == phone).exists())


def opted_out_among(phones: Iterable[str]) -> set[str]:
    wanted = list(set(phones))
    if len(wanted) > 500:
        # For a broadcast it is cheaper to read the (short) opt-out list whole than to ask 500 numbers at a time.
        everyone = {phone for (phone,) in OptOut.select(OptOut.phone).tuples()}
        return everyone.intersection(wanted)
    if not wanted:
        return set()
    # A fixed statement: building an IN of 500 numbers with peewee costs more than running it.
    table = OptOut._meta.table_name.join(database.quote)
    marks = ", ".join([database.param] * len(wanted))
    cursor = database.execute_sql(f"SELECT phone FROM {table} WHERE phone IN ({marks})", wanted)
    return {phone for (phone,) in cursor.fetchall()}


def queue(draft: Draft) -> Message:
    """Queue one message (inside the caller's transaction when there is one). The same `key` is queued once:
    the second call returns the first row. A number that opted out gets a 'skipped' row, never a send."""
    with transaction():
        if draft.key is not None:
            existing = Message.get_or_none(Message.key == draft.key)
            if existing is not None:
                return existing
        status = "skipped" if opt_out_stops(draft.channel, draft.kind) and is_opted_out(draft.peer) else "queued"
        message = Message.create(**_row(draft, status, utcnow()))
        MessageEvent.create(message=message.id, status=message.status, at=message.created_at)
    return message


def queue_many(drafts: Sequence[Draft]) -> int:
    """Queue many messages at once (rounds, notices) with prepared bulk inserts; keys already queued are left
    alone. Returns how many new rows were written. The caller holds the transaction."""
    if not drafts:
        return 0
    now = utcnow()
    skipped = opted_out_among(d.peer for d in drafts)
    rows = [
        _row(draft, "skipped" if draft.peer in skipped and opt_out_stops(draft.channel, draft.kind) else "queued", now)
        for draft in drafts
    ]
    fields = [getattr(Message, name) for name in rows[0]]
    # A key already queued (by an earlier run, or twice in this batch) is skipped by the unique index itself.
    return insert_rows(Message, fields, [tuple(row.values()) for row in rows], skip_conflicts=True)


def queue_each(drafts: Sequence[Draft]) -> list[int]:
    """`queue` for many messages at once (a batch of replies), in the caller's transaction, with one query per
    question and one insert per table: a key queued before (or earlier among `drafts`) queues nothing new and
    gives the first row's id, a number that opted out gets a 'skipped' row, every new row its first event.
    Returns the message id of each draft, in order."""
    keys = [draft.key for draft in drafts if draft.key is not None]
    known: dict[str, int] = {}
    if keys:
        known = {key: id_ for key, id_ in Message.select(Message.key, Message.id).where(Message.key.in_(keys)).tuples()}
    fresh: list[Draft] = []
    taken = set(known)
    for draft in drafts:
        if draft.key is None:
            fresh.append(draft)
        elif draft.key not in taken:
            fresh.append(draft)
            taken.add(draft.key)
    now = utcnow()
    stopped = opted_out_among(d.peer for d in fresh)
    rows = [
        _row(d, "skipped" if d.peer in stopped and opt_out_stops(d.channel, d.kind) else "queued", now) for d in fresh
    ]
    ids = reserve_ids(Message, len(rows))
    if rows:
        fields = [Message.id, *(getattr(Message, name) for name in rows[0])]
        insert_rows(Message, fields, [(id_, *row.values()) for id_, row in zip(ids, rows)])
        events = [(id_, row["status"], now) for id_, row in zip(ids, rows)]
        insert_rows(MessageEvent, [MessageEvent.message, MessageEvent.status, MessageEvent.at], events)
    unkeyed = iter(id_ for id_, draft in zip(ids, fresh) if draft.key is None)
    known.update((draft.key, id_) for id_, draft in zip(ids, fresh) if draft.key is not None)
    return [known[d.key] if d.key is not None else next(unkeyed) for d in drafts]


def _segments(body: str, channel: str, cache: dict[str, int] = {}) -> int:  # noqa: B006 - a deliberate memo
    if channel != "sms":
        return 0
    if body not in cache:
        if len(cache) > 1024:
            cache.clear()
        cache[body] = analyze(body).segments
    return cache[body]


def _stored(draft: Draft, vetted: Vetted) -> str | None:
    """The row's `params`: for a template gateway, an SMS's kind and values. A call keeps its own kind (its script)."""
    return encode(vetted.kind, vetted.params) if draft.channel == "sms" and (draft.template or draft.params) else None


def _row(draft: Draft, status: str, now: datetime) -> dict[str, Any]:
    # Template-only mode (kit.template_mode): the variant and values a template gateway can send, or a refusal.
    vetted = vet(draft.template or draft.kind, draft.language, draft.params, draft.body, draft.channel)
    body = vetted.body
    if vetted.refusal:
        status = "skipped"
    return {
        "direction": "out",
        "channel": draft.channel,
        "peer": draft.peer,
        "body": body,
        "language": draft.language,
        "kind": draft.kind,
        "params": _stored(draft, vetted),
        "status": status,
        "key": draft.key,
        "resident": draft.resident_id,
        "volunteer": draft.volunteer_id,
        "round": draft.round_id,
        "task": draft.task_id,
        "notice_id": draft.notice_id,
        "segments": _segments(body, draft.channel),
        "priority": draft.priority,
        "not_before": draft.not_before or now,
        "expires_at": draft.expires_at,
        "created_at": now,
        "updated_at": now,
        "error": vetted.refusal or ("opted out" if status == "skipped" else ""),
    }


_INBOUND_COLUMNS = (
    "direction, channel, peer, body, language, kind, status, gateway, provider_id, key, resident_id, segments, "
    "priority, attempts, not_before, claimed_by, created_at, updated_at, error_code, error, intent, corrected_intent"
)


def record_inbound(
    *, gateway: str, provider_id: str, peer: str, body: str, channel: str = "sms", at: datetime | None = None
) -> tuple[Message, bool]:
    """Store an inbound message before anything acts on it. Idempotent on (gateway, provider_id): a provider's
    retry returns the stored row and False.

    The webhook's hot path, so it uses fixed statements (as the dispatcher does) instead of building queries."""
    now = utcnow()
    created_at = at or now
    key = f"in:{gateway}:{provider_id}"
    mark = database.param
    with transaction():
        found = database.execute_sql(
            f"SELECT id FROM message WHERE direction = 'in' AND gateway = {mark} AND provider_id = {mark}",
            (gateway, provider_id),
        ).fetchone()
        if found is not None:
            return Message.get_by_id(found[0]), False
        resident = database.execute_sql(f"SELECT id, language FROM resident WHERE phone = {mark}", (peer,)).fetchone()
        resident_id, language = resident if resident else (None, "")
        row = _inbound_row(channel, peer, body, (resident_id, language), gateway, provider_id, created_at, now)
        marks = ", ".join([mark] * len(row))
        database.execute_sql(f"INSERT INTO message ({_INBOUND_COLUMNS}) VALUES ({marks})", row)
        (message_id,) = database.execute_sql(f"SELECT id FROM message WHERE key = {mark}", (key,)).fetchone()
        database.execute_sql(
            f"INSERT INTO message_event (message_id, status, at, detail) VALUES ({mark}, 'received', {mark}, '')",
            (message_id, created_at),
        )
    message = Message(
        id=message_id, direction="in", channel=channel, peer=peer, body=body, language=language, kind="reply",
        status="received", gateway=gateway, provider_id=provider_id, key=key, resident=resident_id,
        not_before=now, created_at=created_at, updated_at=now,
    )  # fmt: skip
    return message, True


def record_inbound_all(received: Sequence[tuple[str, str, str, str, datetime]]) -> int:
    """`record_inbound` for many SMS at once, each given as (gateway, provider id, peer, body, arrival time), in one
    transaction of a few statements: the inbound worker moving what the webhook process landed (kit.landing). A
    message stored already (a provider's retry) is left as it is. Returns how many were new."""
    now, mark = utcnow(), database.param
    arrived = {f"in:{gateway}:{key}": (gateway, key, peer, body, at) for gateway, key, peer, body, at in received}
    with transaction():
        stored = _found("SELECT key FROM message WHERE key IN ({marks})", list(arrived))
        new = {key: message for key, message in arrived.items() if key not in stored}
        if not new:
            return 0
        phones = sorted({peer for _, _, peer, _, _ in new.values()})
        senders = _found("SELECT phone, id, language FROM resident WHERE phone IN ({marks})", phones)
        ids = reserve_ids(Message, len(new))
        rows = [
            (number, *_inbound_row("sms", peer, body, senders.get(peer, (None, "")), gateway, key, at, now))
            for number, (gateway, key, peer, body, at) in zip(ids, new.values())
        ]
        marks = ", ".join([mark] * len(rows[0]))
        database.cursor().executemany(f"INSERT INTO message (id, {_INBOUND_COLUMNS}) VALUES ({marks})", rows)
        events = [(number, at) for number, (_, _, _, _, at) in zip(ids, new.values())]
        database.cursor().executemany(
            f"INSERT INTO message_event (message_id, status, at, detail) VALUES ({mark}, 'received', {mark}, '')",
            events,
        )
    return len(new)


def _found(sql: str, values: Sequence[Any], most: int = 500) -> dict[Any, tuple[Any, ...]]:
    """The rows `sql` (with `{marks}` for an IN list) finds for `values`, `most` values a statement, by their first
    column."""
    found: dict[Any, tuple[Any, ...]] = {}
    for start in range(0, len(values), most):
        chunk = values[start : start + most]
        cursor = database.execute_sql(sql.format(marks=", ".join([database.param] * len(chunk))), chunk)
        found.update((row[0], tuple(row[1:])) for row in cursor.fetchall())
    return found


def _inbound_row(
    channel: str,
    peer: str,
    body: str,
    sender: tuple[Any, ...],
    gateway: str,
    provider_id: str,
    created_at: datetime,
    now: datetime,
) -> tuple[Any, ...]:
    """The values of an inbound message's row, in the order of `_INBOUND_COLUMNS`; `sender` is its resident's
    (id, language), or (None, "")."""
    resident_id, language = sender
    key = f"in:{gateway}:{provider_id}"
    return (
        *("in", channel, peer, body, language, "reply", "received", gateway, provider_id, key, resident_id),
        *(1, 5, 0, now, "", created_at, now, "", "", "", ""),
    )


def mark_handled(message_id: int, intent: dict[str, Any] | None = None, *, error: str = "") -> None:
    """Mark an inbound message acted on, or, with `error`, in error: then an operator is alerted (once per message)
    in the same transaction, since nothing will act on it again by itself."""
    values: dict[str, Any] = {"status": "error" if error else "handled", "updated_at": utcnow(), "error": error}
    if intent is not None:
        values["intent"] = json.dumps(intent, ensure_ascii=False, sort_keys=True)
    which = Message.id == message_id
    if error:  # only a message nobody acted on meanwhile (another process may have, after this one's rollback)
        which &= Message.status == "received"
    with transaction():
        changed = Message.update(**values).where(which).execute()
        if error and changed:
            message = Message.get_by_id(message_id)
            alert_message_error(
                message.id,
                direction="in",
                peer=message.peer,
                error=error,
                body=message.body,
                resident_id=message.resident_id,
            )


def mark_all_handled(handled: Sequence[tuple[int, dict[str, Any]]]) -> None:
    """`mark_handled` (without error) for many inbound messages at once, each with its intent, in one statement."""
    now = utcnow()
    rows = [
        ("handled", now, "", json.dumps(intent, ensure_ascii=False, sort_keys=True), id_) for id_, intent in handled
    ]
    update_rows(Message, [Message.status, Message.updated_at, Message.error, Message.intent], Message.id, rows)


def record_status(
    provider_id: str, status: str, *, gateway: str = "", error_code: str = "", error: str = "", detail: str = ""
) -> Message | None:
    """Apply a provider's status callback. Each (message, status) is recorded once; a status that arrives after a
    later one (callbacks come out of order) goes into the history but does not move the message back."""
    with transaction():
        query = Message.select().where((Message.direction == "out") & (Message.provider_id == provider_id))
        if gateway:
            query = query.where(Message.gateway == gateway)
        message: Message | None = query.first()
        if message is None:
            return None
        seen = MessageEvent.select().where((MessageEvent.message == message.id) & (MessageEvent.status == status))
        if seen.exists():
            return message
        MessageEvent.create(message=message.id, status=status, at=utcnow(), detail=detail or error)
        if _RANK.get(status, 0) >= _RANK.get(message.status, 0):
            message.status = _terminal_name(status)
            if error_code:
                message.error_code = error_code
            if error:
                message.error = error
            message.updated_at = utcnow()
            message.save()
    return message


def _terminal_name(status: str) -> str:
    return {"accepted": "sent", "ringing": "sent", "in-progress": "sent", "canceled": "cancelled"}.get(status, status)


def opt_out(phone: str, *, source: str = "sms") -> bool:
    """Record that `phone` said STOP; returns False if it already had. Messages already queued to it are skipped by
    the dispatcher when they come due (never sent), so its report counts them."""
    with transaction():
        created = not OptOut.select().where(OptOut.phone == phone).exists()
        if created:
            OptOut.create(phone=phone, at=utcnow(), source=source)
        Resident.update(opted_out=True, opted_out_at=utcnow()).where(Resident.phone == phone).execute()
    return created


def opt_in(phone: str) -> bool:
    """`phone` said START: messages may go to it again. Returns False if it had not opted out."""
    with transaction():
        removed = OptOut.delete().where(OptOut.phone == phone).execute()
        Resident.update(opted_out=False, opted_out_at=None).where(Resident.phone == phone).execute()
    return bool(removed)


def counts_by_status(direction: str = "out") -> dict[str, int]:
    query = (
        Message.select(Message.status, peewee.fn.COUNT(Message.id))
        .where(Message.direction == direction)
        .group_by(Message.status)
        .tuples()
    )
    return {status: int(count) for status, count in query}
