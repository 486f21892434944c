"""What the inbound router asks the database about a reply: who sent it, whether the same text keeps coming, whether
the menu went out today, a volunteer's only open task, and the resident a second contact was asked about.

Decisions
- One home for these questions, so a channel asks kit and never writes queries of its own.
- The bulk forms (`senders`, `repeat_counts`) answer for a batch of messages with one query each what the single
  forms answer for one message: a batch of replies is understood with a handful of queries, and each message still
  sees exactly what it would have seen alone. Inbound messages are stored before they are acted on, so the counts
  a batch needs are all in the inbox when it starts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import peewee

from kit.assignment import OPEN_STATES
from kit.clock import utcnow
from kit.community import community_zone
from kit.localtime import at_local, local_date
from kit.models import Message, Resident, Task, Volunteer
from kit.retention import still_here

FAMILY_WINDOW = timedelta(hours=24)  # a second contact's reply counts for the resident we asked about this long


@dataclass(frozen=True)
class Sender:
    """Who sent an inbound message: a resident, a volunteer, both (one person in both lists) or nobody we know."""

    resident: Resident | None
    volunteer: Volunteer | None


def pending_inbound(limit: int | None = None) -> list[int]:
    """The ids of the inbound SMS not acted on yet, oldest first."""
    query = (
        Message.select(Message.id)
        .where((Message.direction == "in") & (Message.status == "received") & (Message.channel == "sms"))
        .order_by(Message.id)
    )
    if limit is not None:
        query = query.limit(limit)
    return [message_id for (message_id,) in query.tuples()]


def still_received(ids: Sequence[int]) -> list[Message]:
    """The inbound messages among `ids` nobody acted on meanwhile, oldest first."""
    if not ids:
        return []
    query = Message.select().where(
        Message.id.in_(list(ids)) & (Message.direction == "in") & (Message.status == "received")
    )
    return list(query.order_by(Message.id))


def still_received_ids(ids: Sequence[int]) -> set[int]:
    """Those of `ids` still waiting to be acted on (`still_received`, without reading the messages again)."""
    if not ids:
        return set()
    query = Message.select(Message.id).where(Message.id.in_(list(ids)) & (Message.status == "received"))
    return {message_id for (message_id,) in query.tuples()}


def sender_of(message: Message) -> Sender:
    """The resident (the message's own, else the one with the sender's number) and the volunteer who sent it."""
    return senders([message])[message.id]


def senders(messages: Sequence[Message]) -> dict[int, Sender]:
    """`sender_of` for each message, by message id, in at most three queries (the residents by number only for
    messages stored without one)."""
    resident_ids = {m.resident_id for m in messages if m.resident_id is not None}
    phones = {m.peer for m in messages}
    unlinked = {m.peer for m in messages if m.resident_id is None}
    by_id = {r.id: r for r in Resident.select().where(Resident.id.in_(list(resident_ids)))} if resident_ids else {}
    residents: dict[str, Resident] = {}
    volunteers: dict[str, Volunteer] = {}
    if unlinked:
        residents = {r.phone: r for r in Resident.select().where(Resident.phone.in_(list(unlinked)))}
    if phones:
        volunteers = {v.phone: v for v in Volunteer.select().where(Volunteer.phone.in_(list(phones)))}
    return {
        m.id: Sender(
            by_id.get(m.resident_id) if m.resident_id is not None else residents.get(m.peer),
            volunteers.get(m.peer),
        )
        for m in messages
    }


def _day_start(message: Message, zone: ZoneInfo | None = None) -> datetime:
    zone = zone or community_zone()
    return at_local(local_date(message.created_at or utcnow(), zone), time(0), zone)


def repeat_count(message: Message) -> int:
    """How often this exact text came from this number in its local day, this message and those before it."""
    same = Message.select().where(
        (Message.direction == "in")
        & (Message.channel == "sms")
        & (Message.peer == message.peer)
        & (Message.body == message.body)
        & (Message.created_at >= _day_start(message))
        & (Message.id <= message.id)
    )
    return int(same.count())


def repeat_counts(messages: Sequence[Message]) -> dict[int, int]:
    """`repeat_count` for each message, by message id, in one query."""
    if not messages:
        return {}
    zone = community_zone()
    starts = {m.id: _day_start(m, zone) for m in messages}
    earlier = Message.select(Message.id, Message.peer, Message.body, Message.created_at).where(
        (Message.direction == "in")
        & (Message.channel == "sms")
        & Message.peer.in_(list({m.peer for m in messages}))
        & (Message.created_at >= min(starts.values()))
        & (Message.id <= max(m.id for m in messages))
    )
    seen: dict[tuple[str, str], list[tuple[int, datetime]]] = defaultdict(list)
    for message_id, peer, body, created_at in earlier.tuples():
        seen[(peer, body)].append((message_id, created_at))
    return {
        m.id: sum(
            1 for other_id, at in seen[(m.peer, m.body)] if other_id <= m.id and at is not None and at >= starts[m.id]
        )
        for m in messages
    }


def shared_phones(phones: Iterable[str]) -> set[str]:
    """Those of `phones` several residents still living here share (`kit.shared_phones.on_phone` lists them), in
    one query: a reply from one of them may be about any of them."""
    wanted = sorted(set(phones))
    if not wanted:
        return set()
    shared = (
        Resident.select(Resident.phone)
        .where(Resident.phone.in_(wanted) & still_here())
        .group_by(Resident.phone)
        .having(peewee.fn.COUNT(Resident.id) > 1)
    )
    return {phone for (phone,) in shared.tuples()}


def sent_with_key(key: str) -> bool:
    """Whether a message with this key (e.g. today's menu to a number) exists already."""
    return bool(Message.select().where(Message.key == key).exists())


def only_open_task(volunteer_id: int) -> int | None:
    """The volunteer's open task when they have exactly one; None when they have none or several."""
    mine = list(
        Task.select(Task.id).where((Task.volunteer == volunteer_id) & Task.state.in_(OPEN_STATES)).limit(2).tuples()
    )
    return int(mine[0][0]) if len(mine) == 1 else None


def asked_about(peer: str, at: datetime | None) -> Resident | None:
    """The resident we last asked `peer` about as their second contact, within `FAMILY_WINDOW` before `at`."""
    since = (at or utcnow()) - FAMILY_WINDOW
    asked = (
        Message.select(Message.resident)
        .where(
            (Message.direction == "out")
            & (Message.kind == "second_contact")
            & (Message.peer == peer)
            & (Message.created_at >= since)
            & Message.resident.is_null(False)
        )
        .order_by(Message.id.desc())
        .scalar()
    )
    return Resident.get_or_none(Resident.id == asked) if asked is not None else None
