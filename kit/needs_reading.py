"""Replies nobody understood, until a person has read them: the inbox's "needs reading" queue.

An SMS the parser cannot read is answered with the menu (`sms.router`), and that is all the kit can do with it: a
person has to read it. The router puts it in the queue (`enqueue`); it stays there until an operator corrects it into
an intent (`kit.inbox.correct_intent`), answers it (`kit.inbox.reply_to`) or marks it read (`mark_read`). Nobody
having read it within `[inbox] read_within_minutes` raises an alert, once per message (`alert_unread`, from the
scheduler's `run_due`), in the community's language.

Decisions
- The queue is `Message.needs_reading_since` (migration 0010), indexed: Today counts it every few seconds, and
  scanning a busy day's whole inbox for replies nobody understood would not do.
- Who read it, when and how is a "read" event in the message's status history (`MessageEvent`): unique per
  message, so reading twice keeps the first reader, and retention purges it with its message.
- The alert is only about reading the message, so reading it acknowledges the alert too.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import peewee

from kit import audit
from kit.alerts import NewAlert, alert_text, raise_alerts
from kit.clock import utcnow
from kit.db import transaction
from kit.errors import NotFound
from kit.models import Alert, Message, MessageEvent, Resident
from kit.phones import display_phone

READ = "read"  # the MessageEvent status of a message a person has read
HOW = ("read", "reply", "correct")  # how an operator handled it: marked it read, answered it, corrected it
ALERT_KIND = "unread"


@dataclass(frozen=True)
class ReadMark:
    """Who read a message, when, and how they handled it (one of `HOW`)."""

    at: datetime
    by: str
    how: str


def condition() -> peewee.Expression:
    """The messages that need reading, as a condition on `Message`."""
    return Message.needs_reading_since.is_null(False)


def enqueue(message_id: int, since: datetime) -> None:
    """Inbound message `message_id`, received at `since`, was not understood: a person must read it (in the caller's
    transaction). One a person has read already stays read."""
    read = MessageEvent.select().where((MessageEvent.message == message_id) & (MessageEvent.status == READ))
    Message.update(needs_reading_since=since).where((Message.id == message_id) & ~peewee.fn.EXISTS(read)).execute()


def count() -> int:
    """How many messages need reading now."""
    return int(Message.select().where(condition()).count())


def marks(message_ids: Iterable[int]) -> dict[int, ReadMark]:
    """The read marks of those of `message_ids` a person has read."""
    ids = list(message_ids)
    if not ids:
        return {}
    found = {}
    query = MessageEvent.select().where(MessageEvent.message.in_(ids) & (MessageEvent.status == READ))
    for event in query:
        detail = json.loads(event.detail or "{}")
        found[event.message_id] = ReadMark(event.at, str(detail.get("by", "")), str(detail.get("how", READ)))
    return found


def alert_key(message_id: int) -> str:
    return f"{ALERT_KIND}:{message_id}"


def record_read(message_id: int, *, actor: str, how: str) -> None:
    """Mark a message read by `actor` (in the caller's transaction) and acknowledge its unread alert; a message
    read before keeps its first mark."""
    now = utcnow()
    detail = json.dumps({"by": actor, "how": how}, ensure_ascii=False, sort_keys=True)
    MessageEvent.insert(message=message_id, status=READ, at=now, detail=detail).on_conflict_ignore().execute()
    Message.update(needs_reading_since=None).where(Message.id == message_id).execute()
    Alert.update(acknowledged_at=now, acknowledged_by=actor).where(
        (Alert.key == alert_key(message_id)) & Alert.acknowledged_at.is_null()
    ).execute()


def mark_read(message_id: int, *, actor: str) -> ReadMark:
    """An operator read inbound message `message_id` and nothing more is to be done: it leaves the queue (audited,
    in one transaction). Marking a message read again changes nothing and returns its first mark."""
    with transaction():
        message = Message.get_or_none((Message.id == message_id) & (Message.direction == "in"))
        if message is None:
            raise NotFound("needs_reading.no_message", id=message_id)
        if message_id not in marks([message_id]):
            record_read(message_id, actor=actor, how=READ)
            audit.record(actor, READ, "message", message_id)
    return marks([message_id])[message_id]


def alert_unread(read_within_minutes: int, *, limit: int = 2000) -> int:
    """Raise an alert, once per message, for each message nobody has read within `read_within_minutes` (0: never);
    returns how many were raised now. The newest `limit` unread ones are looked at, each run."""
    if read_within_minutes <= 0:
        return 0
    cutoff = utcnow() - timedelta(minutes=read_within_minutes)
    rows = (
        Message.select(Message, Resident.name.alias("resident_name"))
        .join(Resident, peewee.JOIN.LEFT_OUTER, on=(Message.resident == Resident.id))
        .where(Message.needs_reading_since <= cutoff)
        .order_by(Message.id.desc())
        .limit(limit)
        .objects()
    )
    alerts = [
        NewAlert(
            ALERT_KIND,
            alert_text(
                "alert_unread",
                who=row.resident_name or display_phone(row.peer) or row.peer,
                phone=display_phone(row.peer) or row.peer,
                minutes=read_within_minutes,
                id=row.id,
                body=row.body[:200],
            ),
            alert_key(row.id),
            resident_id=row.resident_id,
        )
        for row in rows
    ]
    if not alerts:
        return 0
    with transaction():
        return len(raise_alerts(alerts))
