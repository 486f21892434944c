"""What the dispatcher may spend today: the daily SMS budget and each number's daily replies.

Decisions
- An SMS counts against today when it was sent today or is being sent (claimed today, by any dispatcher), so two
  dispatchers never overspend together.
- Replies cost what any SMS costs: they pass quiet hours (a person is waiting) but not the daily budget, and a
  number gets at most `max_replies_per_number_per_day` of them in a local day; the rest are skipped with the error
  `REPLY_LIMIT`, so a hundred texts from one number (or an auto-responder) are never a hundred paid replies.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

import peewee

from kit import outbox
from kit.alerts import alert_text, raise_alert
from kit.config import DispatchSettings
from kit.localtime import at_local, local_date, parse_hhmm
from kit.models import Message
from kit.money import community_money

REPLY_LIMIT = "reply limit for today"  # the error of a reply skipped by `max_replies_per_number_per_day`


def _day_start(now: datetime, zone: ZoneInfo) -> datetime:
    return at_local(local_date(now, zone), parse_hhmm("00:00"), zone)


def _spent_today(now: datetime, zone: ZoneInfo) -> peewee.Expression:
    """SMS that count against today: sent today, or being sent (claimed today, by any dispatcher)."""
    day_start = _day_start(now, zone)
    return (
        (Message.direction == "out")
        & (Message.channel == "sms")
        & ((Message.sent_at >= day_start) | ((Message.status == "sending") & (Message.claimed_at >= day_start)))
    )


def budget_left(settings: DispatchSettings, now: datetime, zone: ZoneInfo) -> float:
    """What is left of today's SMS budget (infinite with no budget); raises the alert once it is spent."""
    if settings.daily_budget <= 0:
        return float("inf")
    segments = Message.select(peewee.fn.COALESCE(peewee.fn.SUM(Message.segments), 0)).where(_spent_today(now, zone))
    left = settings.daily_budget - float(segments.scalar() or 0) * settings.sms_segment_price
    if left <= 0:
        raise_alert(
            "budget",
            alert_text("alert_budget_spent", budget=community_money(settings)(settings.daily_budget)),
            key=f"budget:{local_date(now, zone).isoformat()}",
        )
    return left


def within_budget(settings: DispatchSettings, rows: list[Message], left: float) -> list[Message]:
    """The first of `rows` whose segments fit in what is `left` of the budget."""
    price = settings.sms_segment_price
    fits = 0
    for message in rows:
        left -= message.segments * price
        if left < -1e-9:
            break
        fits += 1
    return rows[:fits]


def beyond_reply_limit(settings: DispatchSettings, rows: list[Message], now: datetime, zone: ZoneInfo) -> set[int]:
    """The replies among `rows` (in sending order) that would give their number more than
    `max_replies_per_number_per_day` replies this local day, counting those sent or being sent: they are
    skipped, never sent, so a machine (or a person) texting a hundred times is answered a few times only."""
    limit = settings.max_replies_per_number_per_day
    replies = [m for m in rows if m.channel == "sms" and m.priority == outbox.PRIORITY_REPLY]
    if limit <= 0 or not replies:
        return set()
    counted = Message.select(Message.peer, peewee.fn.COUNT(Message.id)).where(
        _spent_today(now, zone)
        & (Message.priority == outbox.PRIORITY_REPLY)
        & Message.peer.in_(sorted({m.peer for m in replies}))
    )
    given = Counter({peer: int(count) for peer, count in counted.group_by(Message.peer).tuples()})
    beyond = set()
    for message in replies:
        given[message.peer] += 1
        if given[message.peer] > limit:
            beyond.add(message.id)
    return beyond
