"""The capacity plan: how many messages today needs per channel, what the gateways can send, and when the round
will have gone out, with what would fix it when it cannot go out in time.

`plan_channel` is the pure planner (gateways, work and the day's clock in, a `ChannelPlan` out); `plan_today`
(kit.capacity_today) reads the database and the pool and calls it for SMS and voice; kit.capacity_text says a plan
in the community's language.

Decisions
- The gateways send in proportion to their pacing, each until its daily cap: after `t` minutes of sending the pool
  has sent the sum of min(rate x t, cap left) over its healthy members. Unhealthy members count for nothing.
- Sending happens only outside quiet hours and only today: caps start again tomorrow, so what does not fit before
  today's quiet hours is reported as left over, not spread over tomorrow.
- A message is a message, whatever its segments: pacing and daily caps count messages.
- A gateway without pacing (`rate_per_minute` 0) is limited by its cap alone: the plan counts it as sending at once.
- The round's deadline is the first reminder (the round's start plus `checkin.reminder_after_hours`), or, when
  earlier, the cut-off at which sending stops for the round (quiet hours, or the round's messages expiring). The
  reminders wait from when each prompt went out, so a late round is not lost: it crowds the reminders and runs into
  the evening, which is what the plan warns of.
- "Start at HH:MM" keeps the reminder where it is planned: it gives the start time and the reminder wait that go
  with it (a reminder always waits from its prompt, so moving the start alone moves the reminder too). It is
  offered only for a start outside quiet hours.
- "Ask the monitored first" is offered when the monitored and those living alone are out before the deadline. Their
  prompts already go first (kit.checkin's `PRIORITY_FIRST`): the advice says when they will have had theirs.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from kit.localtime import at_local, local_date, to_local

MINUTE = timedelta(minutes=1)


class Member(Protocol):
    """What the planner reads of a pool member (kit.pool.PoolMember)."""

    @property
    def name(self) -> str: ...
    @property
    def rate_per_minute(self) -> float: ...
    @property
    def daily_cap(self) -> int: ...
    @property
    def sent_today(self) -> int: ...
    @property
    def healthy(self) -> bool: ...


@dataclass(frozen=True)
class Lane:
    """One gateway as the planner sees it."""

    name: str
    rate_per_minute: float
    daily_cap: int  # 0: none
    sent_today: int
    healthy: bool

    @classmethod
    def of(cls, member: Member) -> Lane:
        return cls(member.name, float(member.rate_per_minute), member.daily_cap, member.sent_today, member.healthy)

    @property
    def unpaced(self) -> bool:
        return self.rate_per_minute <= 0

    @property
    def left(self) -> float:
        """What the daily cap still allows today (infinite without a cap)."""
        return math.inf if self.daily_cap <= 0 else max(0, self.daily_cap - self.sent_today)


@dataclass(frozen=True)
class Work:
    """The messages a channel has to send today, in the order the dispatcher sends them."""

    ahead: int = 0  # queued before the round's prompts: replies, tasks, earlier steps of the ladder
    prompts: int = 0  # the round's prompts still to go out (queued or not queued yet)
    first: int = 0  # of the prompts: the monitored and those living alone, asked first
    ladder: int = 0  # reminders and second contacts (SMS) or calls (voice) the ladder is expected to send
    notices: int = 0  # queued notices, sent after the round

    @property
    def round(self) -> int:
        return self.ahead + self.prompts

    @property
    def total(self) -> int:
        return self.ahead + self.prompts + self.ladder + self.notices


@dataclass(frozen=True)
class Clock:
    """The day the plan is for, in naive UTC: when sending starts, the first reminder and the round's cut-off."""

    zone: ZoneInfo
    quiet: tuple[time, time]  # quiet hours: start, end (local)
    start: datetime  # when the round's prompts start going out (or now, when later)
    reminder_at: datetime | None = None  # the first reminders of the round
    cutoff: datetime | None = None  # after this the round's messages no longer go out (expiry), if earlier than quiet

    @property
    def day(self) -> date:
        return local_date(self.start, self.zone)


@dataclass(frozen=True)
class Advice:
    """One thing that would make the round go out in time: `kind` is second_gateway, start_at or first."""

    kind: str
    at: datetime | None = None  # when the round (or the first residents) would be out with it
    start: datetime | None = None  # start_at: the start that makes it
    wait_hours: float = 0.0  # start_at: the reminder wait that keeps the reminder where it is
    count: int = 0  # first: how many are asked first
    like: str = ""  # second_gateway: the gateway the new one is like
    rate_per_minute: float = 0.0
    daily_cap: int = 0


@dataclass(frozen=True)
class ChannelPlan:
    """What one channel needs today and whether it makes it."""

    channel: str
    work: Work
    lanes: tuple[Lane, ...]
    per_hour: int | None  # what the healthy gateways send in an hour; None: one of them is unpaced
    rest_of_day: int | None  # what they can still send today, outside quiet hours and within caps; None: no limit
    start: datetime
    round_out_at: datetime | None  # the round's last prompt goes out; None: not today
    all_out_at: datetime | None  # everything of today, notices and the ladder included; None: not today
    reminder_at: datetime | None
    quiet_at: datetime  # today's quiet hours start (end of sending)
    cutoff: datetime  # the round's messages must be out by then (quiet hours, or their expiry)
    left_over: int  # messages that do not fit today
    advice: tuple[Advice, ...] = field(default=())

    @property
    def round_in_time(self) -> bool:
        """The round's prompts are out before the first reminder and before the cut-off."""
        if self.work.prompts == 0:
            return True
        return self.round_out_at is not None and self.round_out_at <= self.deadline

    @property
    def day_in_time(self) -> bool:
        return self.left_over == 0

    @property
    def in_time(self) -> bool:
        return self.round_in_time and self.day_in_time

    @property
    def deadline(self) -> datetime:
        return min(self.cutoff, self.reminder_at) if self.reminder_at is not None else self.cutoff

    def as_dict(self, zone: ZoneInfo) -> dict[str, Any]:
        def local(at: datetime | None) -> str | None:
            return to_local(at, zone).strftime("%Y-%m-%d %H:%M") if at is not None else None

        return {
            "channel": self.channel,
            "needed": self.work.total,
            "work": {
                "ahead": self.work.ahead,
                "prompts": self.work.prompts,
                "first": self.work.first,
                "ladder": self.work.ladder,
                "notices": self.work.notices,
            },
            "gateways": [
                {
                    "name": lane.name,
                    "rate_per_minute": lane.rate_per_minute,
                    "daily_cap": lane.daily_cap,
                    "sent_today": lane.sent_today,
                    "healthy": lane.healthy,
                }
                for lane in self.lanes
            ],
            "per_hour": self.per_hour,
            "rest_of_day": self.rest_of_day,
            "start": local(self.start),
            "round_out_at": local(self.round_out_at),
            "all_out_at": local(self.all_out_at),
            "reminder_at": local(self.reminder_at),
            "quiet_at": local(self.quiet_at),
            "cutoff": local(self.cutoff),
            "left_over": self.left_over,
            "round_in_time": self.round_in_time,
            "in_time": self.in_time,
            "advice": [
                {
                    "kind": a.kind,
                    "at": local(a.at),
                    "start": local(a.start),
                    "wait_hours": a.wait_hours,
                    "count": a.count,
                    "like": a.like,
                }
                for a in self.advice
            ],
        }


# --- the day's sending windows --------------------------------------------------------------------------------


def open_windows(clock: Clock) -> list[tuple[datetime, datetime]]:
    """The stretches (naive UTC) from `clock.start` to the end of its local day outside quiet hours."""
    day, zone = clock.day, clock.zone
    quiet_start, quiet_end = clock.quiet
    midnight, next_midnight = at_local(day, time(0), zone), at_local(day + timedelta(days=1), time(0), zone)
    if quiet_start == quiet_end:
        local_open = [(midnight, next_midnight)]
    elif quiet_start > quiet_end:  # over midnight: open from its end to its start
        local_open = [(at_local(day, quiet_end, zone), at_local(day, quiet_start, zone))]
    else:
        local_open = [(midnight, at_local(day, quiet_start, zone)), (at_local(day, quiet_end, zone), next_midnight)]
    windows = []
    for begin, end in local_open:
        begin = max(begin, clock.start)
        if begin < end:
            windows.append((begin, end))
    return windows


def quiet_starts(clock: Clock) -> datetime:
    """When sending stops today: the end of the day's last open stretch (midnight without quiet hours)."""
    windows = open_windows(replace(clock, start=at_local(clock.day, time(0), clock.zone)))
    return windows[-1][1] if windows else clock.start


def _open_minutes(windows: Iterable[tuple[datetime, datetime]]) -> float:
    return sum((end - begin) / MINUTE for begin, end in windows)


def _wall_time(windows: Sequence[tuple[datetime, datetime]], minutes: float) -> datetime | None:
    """When `minutes` of sending have passed, counting open windows only; None when today has fewer."""
    for begin, end in windows:
        length = (end - begin) / MINUTE
        if minutes <= length:
            return begin + timedelta(minutes=minutes)
        minutes -= length
    return None


# --- the pool's sending --------------------------------------------------------------------------------------


def sendable(lanes: Iterable[Lane], minutes: float) -> float:
    """What the healthy lanes send in `minutes` of sending, each within its cap."""
    return sum(
        lane.left if lane.unpaced else min(lane.rate_per_minute * minutes, lane.left) for lane in lanes if lane.healthy
    )


def minutes_for(lanes: Sequence[Lane], count: int) -> float | None:
    """Minutes of sending the healthy lanes need for `count` messages; None when their caps never allow it."""
    if count <= 0:
        return 0.0
    live = [lane for lane in lanes if lane.healthy and lane.left > 0]
    if sendable(live, math.inf) < count:
        return None
    wanted = count - sum(lane.left for lane in live if lane.unpaced)  # those go at once
    live = [lane for lane in live if not lane.unpaced]
    if wanted <= 0:
        return 0.0
    # Piecewise linear: the pool's rate falls each time a lane reaches its cap; walk the caps in the order hit.
    elapsed, done = 0.0, 0.0
    rate = sum(lane.rate_per_minute for lane in live)
    for lane in sorted(live, key=lambda lane: lane.left / lane.rate_per_minute):
        full = lane.left / lane.rate_per_minute
        reached = done + rate * (full - elapsed)
        if reached >= wanted:
            return elapsed + (wanted - done) / rate
        elapsed, done, rate = full, reached, rate - lane.rate_per_minute
    return None  # pragma: no cover - the sum of the caps was checked above


def out_at(lanes: Sequence[Lane], count: int, clock: Clock) -> datetime | None:
    """When the last of `count` messages goes out, starting at `clock.start`; None when not today."""
    minutes = minutes_for(lanes, count)
    return None if minutes is None else _wall_time(open_windows(clock), minutes)


# --- the plan -----------------------------------------------------------------------------------------------


def plan_channel(channel: str, members: Iterable[Member], work: Work, clock: Clock) -> ChannelPlan:
    """The plan for one channel: capacity, when the round and the day's work are out, and advice when late."""
    lanes = tuple(Lane.of(member) for member in members)
    windows = open_windows(clock)
    quiet_at = quiet_starts(clock)
    cutoff = min(quiet_at, clock.cutoff) if clock.cutoff is not None else quiet_at
    rest = sendable(lanes, _open_minutes(windows))
    healthy = [lane for lane in lanes if lane.healthy]
    plan = ChannelPlan(
        channel=channel,
        work=work,
        lanes=lanes,
        per_hour=None if any(lane.unpaced for lane in healthy) else round(sum(x.rate_per_minute for x in healthy) * 60),
        rest_of_day=None if math.isinf(rest) else int(rest),
        start=clock.start,
        round_out_at=out_at(lanes, work.round, clock) if work.prompts else None,
        all_out_at=out_at(lanes, work.total, clock),
        reminder_at=clock.reminder_at,
        quiet_at=quiet_at,
        cutoff=cutoff,
        left_over=0 if math.isinf(rest) else max(0, work.total - int(rest)),
    )
    return plan if plan.in_time else replace(plan, advice=tuple(_advice(plan, clock)))


def _advice(plan: ChannelPlan, clock: Clock) -> list[Advice]:
    work, lanes = plan.work, list(plan.lanes)
    found: list[Advice] = []
    fastest = max((lane for lane in lanes if lane.healthy), key=lambda lane: lane.rate_per_minute, default=None)
    if fastest is not None:
        more = [*lanes, Lane("+1", fastest.rate_per_minute, fastest.daily_cap, 0, True)]
        count = work.round if not plan.round_in_time else work.total
        found.append(
            Advice(
                "second_gateway",
                at=out_at(more, count, clock),
                like=fastest.name,
                rate_per_minute=fastest.rate_per_minute,
                daily_cap=fastest.daily_cap,
            )
        )
    if not plan.round_in_time:
        start = _start_for(plan, clock)
        if start is not None:
            wait = (plan.deadline - start) / timedelta(hours=1) if plan.reminder_at is not None else 0.0
            found.append(Advice("start_at", at=plan.deadline, start=start, wait_hours=round(wait, 2)))
        first_out = out_at(lanes, work.ahead + work.first, clock) if work.first else None
        if first_out is not None and first_out <= plan.deadline:
            found.append(Advice("first", at=first_out, count=work.first))
    return found


def _start_for(plan: ChannelPlan, clock: Clock) -> datetime | None:
    """The latest start (a whole minute) at which the round is out by the deadline as planned, if one exists today
    outside quiet hours."""
    minutes = minutes_for(list(plan.lanes), plan.work.round)
    if minutes is None:
        return None
    day_start = replace(clock, start=at_local(clock.day, time(0), clock.zone))
    before = [(begin, min(end, plan.deadline)) for begin, end in open_windows(day_start) if begin < plan.deadline]
    for begin, end in reversed(before):
        length = (end - begin) / MINUTE
        if minutes <= length:
            start = end - timedelta(minutes=minutes)
            return start.replace(second=0, microsecond=0)
        minutes -= length
    return None
