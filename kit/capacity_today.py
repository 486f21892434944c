"""Today's capacity plan from the database and the pool: `plan_today` for `linli capacity` and the Today screen,
`notice_out_at` for the notice preview. Every figure is counted in SQL (GROUP BY, COUNT), never row by row.

Decisions
- The ladder's messages are estimated from yesterday's round: reminders and second contacts per prompt sent, calls
  per prompt (and per reminder, for residents already reminded). With no round yesterday the shares are
  `REMINDER_SHARE` and `CALL_SHARE`: three residents in ten still silent at the reminder, one in ten called.
- What is queued counts as it will be sent: replies, tasks and earlier ladder steps (priority up to the check-in's)
  go before the round's prompts still to be sent; notices go after.
- A plan for a later day (`--date`) starts from empty caps and an empty outbox: only the round and its ladder.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import peewee

from kit.capacity import ChannelPlan, Clock, Lane, Member, Work, open_windows, out_at, plan_channel, sendable
from kit.capacity_text import words
from kit.checkin import asked_first_condition, audience_condition, round_expiry
from kit.clock import utcnow
from kit.community import community_zone
from kit.config import Settings
from kit.errors import ValidationError
from kit.localtime import at_local, local_date, parse_hhmm, to_local
from kit.models import CheckinAsk, CheckinRound, Message, OptOut, Resident, ResidentTag
from kit.outbox import PRIORITY_CHECKIN
from kit.people import NO_PHONE
from kit.retention import still_here

CHANNELS = ("sms", "voice")
REMINDER_SHARE = 0.3  # of the prompts: reminders and second contacts, when there was no round yesterday
CALL_SHARE = 0.1  # of the prompts: check-in calls, when there was no round yesterday
CALL_MINUTES = 2.0  # a check-in call, ringing included, for a voice gateway without its own pacing
PENDING = ("queued", "sending")
LADDER_SMS = ("reminder", "second_contact")
CALLS = ("checkin_call",)

MembersOf = Callable[[Settings, str], Sequence[Member]]


@dataclass(frozen=True)
class CapacityPlan:
    """Today's (or `day`'s) plan per channel."""

    day: date
    zone: ZoneInfo
    channels: dict[str, ChannelPlan]

    @property
    def in_time(self) -> bool:
        return all(plan.in_time for plan in self.channels.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "date": self.day.isoformat(),
            "in_time": self.in_time,
            "channels": {name: plan.as_dict(self.zone) for name, plan in self.channels.items()},
        }


def _pool_members(settings: Settings, channel: str) -> Sequence[Member]:
    from kit.pool import pool_members  # the pool reads the configured gateways and today's counts

    return pool_members(settings, channel)


def plan_today(settings: Settings, day: date | None = None, *, members: MembersOf | None = None) -> CapacityPlan:
    """The capacity plan of `day` (default: today) for SMS and voice. `members` gives each channel's gateways
    (default: the pool's)."""
    zone = community_zone()
    now = utcnow()
    today = local_date(now, zone)
    day = day or today
    if day < today:
        raise ValidationError("capacity.past_date", day=day.isoformat(), field="date")
    members_of = members or _pool_members
    clock = _clock(settings, day, zone, now)
    work = _work(settings, day, now if day == today else None)
    channels = {}
    for channel in CHANNELS:
        lanes = _lanes(settings, channel, members_of)
        if day != today:
            lanes = [Lane(lane.name, lane.rate_per_minute, lane.daily_cap, 0, lane.healthy) for lane in lanes]
        channel_clock = clock if channel == "sms" else Clock(zone, clock.quiet, clock.start)
        channels[channel] = plan_channel(channel, lanes, work[channel], channel_clock)
    return CapacityPlan(day, zone, channels)


def _lanes(settings: Settings, channel: str, members_of: MembersOf) -> list[Lane]:
    """The channel's gateways; a voice gateway without its own pacing places `dispatch.concurrent_calls` calls at a
    time, each about `CALL_MINUTES` long."""
    lanes = [Lane.of(member) for member in members_of(settings, channel)]
    if channel != "voice":
        return lanes
    calls = settings.dispatch.concurrent_calls / CALL_MINUTES
    return [replace(lane, rate_per_minute=calls) if lane.unpaced else lane for lane in lanes]


def _quiet(settings: Settings) -> tuple[Any, Any]:
    dispatch = settings.dispatch
    return parse_hhmm(dispatch.quiet_start, "dispatch.quiet_start"), parse_hhmm(
        dispatch.quiet_end, "dispatch.quiet_end"
    )


def _clock(settings: Settings, day: date, zone: ZoneInfo, now: datetime) -> Clock:
    """The round's start (when it started, else when it is due), its first reminder and its messages' expiry."""
    started = CheckinRound.select(peewee.fn.MIN(CheckinRound.started_at)).where(CheckinRound.local_date == day).scalar()
    planned = at_local(day, parse_hhmm(settings.checkin.time, "checkin.time"), zone)
    begun = started or planned
    return Clock(
        zone=zone,
        quiet=_quiet(settings),
        start=max(begun, now),
        reminder_at=begun + timedelta(hours=settings.checkin.reminder_after_hours),
        cutoff=round_expiry(day, begun, settings.checkin, zone),
    )


def _work(settings: Settings, day: date, now: datetime | None) -> dict[str, Work]:
    """Each channel's work: what is queued (when `now` is given, i.e. today), the prompts not queued yet and the
    ladder's estimate."""
    queued = _queued() if now is not None else {}
    new, new_first = _prompts_to_queue(settings, day)
    asked, reminded = _on_the_ladder(day)
    reminder_share, call_share, call_after_reminder = _shares(day)
    waiting = new + asked  # prompts not answered yet (estimated as yesterday)
    sms, voice = queued.get("sms", {}), queued.get("voice", {})
    return {
        "sms": Work(
            ahead=sms.get("ahead", 0),
            prompts=sms.get("prompts", 0) + new,
            first=sms.get("first", 0) + new_first,
            ladder=round(waiting * reminder_share),
            notices=sms.get("notices", 0),
        ),
        "voice": Work(
            ahead=voice.get("ahead", 0) + voice.get("prompts", 0),
            ladder=round(waiting * call_share + reminded * call_after_reminder),
            notices=voice.get("notices", 0),
        ),
    }


def _queued() -> dict[str, dict[str, int]]:
    """Messages waiting to go out per channel: ahead of the round, the round's prompts (and those asked first),
    notices."""
    rows = (
        Message.select(Message.channel, Message.kind, Message.priority, peewee.fn.COUNT(Message.id))
        .where((Message.direction == "out") & Message.status.in_(PENDING))
        .group_by(Message.channel, Message.kind, Message.priority)
        .tuples()
    )
    found: dict[str, dict[str, int]] = {}
    for channel, kind, priority, count in rows:
        sums = found.setdefault(channel, {})
        if kind == "checkin":
            sums["prompts"] = sums.get("prompts", 0) + int(count)
            if priority < PRIORITY_CHECKIN:
                sums["first"] = sums.get("first", 0) + int(count)
        else:
            where = "ahead" if priority <= PRIORITY_CHECKIN else "notices"
            sums[where] = sums.get(where, 0) + int(count)
    return found


def _prompts_to_queue(settings: Settings, day: date) -> tuple[int, int]:
    """Prompts the day's round will still queue (residents of the audience reachable by SMS with no ask yet), and
    how many of them are asked first."""
    stored, condition = audience_condition(settings.checkin.audience, day)
    round_ = CheckinRound.get_or_none((CheckinRound.local_date == day) & (CheckinRound.audience == stored))
    reachable = still_here() & Resident.phone.is_null(False) & ~Resident.opted_out
    reachable &= Resident.phone.not_in(OptOut.select(OptOut.phone))
    reachable &= Resident.id.not_in(ResidentTag.select(ResidentTag.resident).where(ResidentTag.tag == NO_PHONE))
    if condition is not None:
        reachable &= condition
    if round_ is not None:
        reachable &= Resident.id.not_in(CheckinAsk.select(CheckinAsk.resident).where(CheckinAsk.round == round_.id))
    new = Resident.select().where(reachable).count()
    first = Resident.select().where(reachable & asked_first_condition(day)).count() if new else 0
    return int(new), int(first)


def _on_the_ladder(day: date) -> tuple[int, int]:
    """The day's asks still waiting for their reminder ("asked") and for their call ("reminded")."""
    rounds = CheckinRound.select(CheckinRound.id).where(CheckinRound.local_date == day)
    stages = dict(
        CheckinAsk.select(CheckinAsk.stage, peewee.fn.COUNT(CheckinAsk.id))
        .where(CheckinAsk.round.in_(rounds) & CheckinAsk.stage.in_(["asked", "reminded"]))
        .group_by(CheckinAsk.stage)
        .tuples()
    )
    return int(stages.get("asked", 0)), int(stages.get("reminded", 0))


def _shares(day: date) -> tuple[float, float, float]:
    """Yesterday's reminders and second contacts per prompt, calls per prompt and calls per reminder."""
    yesterday = CheckinRound.select(CheckinRound.id).where(CheckinRound.local_date == day - timedelta(days=1))
    kinds: Mapping[str, int] = dict(
        Message.select(Message.kind, peewee.fn.COUNT(Message.id))
        .where((Message.direction == "out") & Message.round.in_(yesterday))
        .group_by(Message.kind)
        .tuples()
    )
    prompts = int(kinds.get("checkin", 0))
    if prompts == 0:
        return REMINDER_SHARE, CALL_SHARE, CALL_SHARE / REMINDER_SHARE
    reminders = sum(int(kinds.get(kind, 0)) for kind in LADDER_SMS)
    calls = sum(int(kinds.get(kind, 0)) for kind in CALLS)
    reminded = int(kinds.get("reminder", 0))
    return reminders / prompts, calls / prompts, (calls / reminded if reminded else 0.0)


@dataclass(frozen=True)
class NoticeTiming:
    """When the last recipient of a notice gets it."""

    at: datetime | None  # naive UTC; None: not all today
    ahead: int  # messages already queued on its channel, sent before it
    left_over: int  # of the notice's messages, those that do not go out today


def notice_out_at(settings: Settings, channel: str, count: int, *, members: MembersOf | None = None) -> NoticeTiming:
    """When the last of `count` more messages on `channel` goes out, sent after everything already queued there
    (notices go last), from now."""
    zone = community_zone()
    now = utcnow()
    pending = (Message.direction == "out") & Message.status.in_(PENDING) & (Message.channel == channel)
    ahead = int(Message.select().where(pending).count())
    lanes = _lanes(settings, channel, members or _pool_members)
    clock = Clock(zone, _quiet(settings), now)
    at = out_at(lanes, ahead + count, clock)
    left = 0 if at is not None else max(0, min(count, ahead + count - int(min(sendable_today(lanes, clock), 10**12))))
    return NoticeTiming(at, ahead, left)


def sendable_today(lanes: Sequence[Lane], clock: Clock) -> float:
    """What `lanes` can still send today from `clock.start`."""
    return sendable(lanes, sum((end - begin).total_seconds() / 60 for begin, end in open_windows(clock)))


def notice_timing_text(timing: NoticeTiming, language: str, zone: ZoneInfo) -> str:
    """When the last recipient gets a notice, in `language`: "The last recipient gets it at about 10:42 ..."."""
    said = words(language)
    ahead = f"{timing.ahead:,}"
    if timing.at is None:
        return said["notice_not_today"].format(left=f"{timing.left_over:,}", ahead=ahead)
    return said["notice_out"].format(at=to_local(timing.at, zone).strftime("%H:%M"), ahead=ahead)
