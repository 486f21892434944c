"""What the capacity plan says, in the community's language: the sentences are the [capacity] words of
data/ui/<language>/capacity.toml (kit.ui_words); `linli capacity`, the Today screen and the notice preview all read
them here."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from kit import ui_words
from kit.capacity import Advice, ChannelPlan
from kit.localtime import to_local

PREFIX = "capacity."


@lru_cache(maxsize=8)
def words(language: str) -> dict[str, str]:
    """The plan's sentences in `language` ([capacity] of kit.ui_words), Chinese for a language without words."""
    table = ui_words.table(ui_words.base_language(language))
    return {key.removeprefix(PREFIX): text for key, text in table.items() if key.startswith(PREFIX)}


def headline(plan: ChannelPlan, language: str, zone: ZoneInfo) -> str:
    """One line: how many today and when they are out, e.g. "SMS: 2,340 today, out by 10:12 (reminder at 12:00)".
    `plan.in_time` says whether it is a warning."""
    said = words(language)

    def hhmm(at: datetime | None) -> str:
        return to_local(at, zone).strftime("%H:%M") if at is not None else said["not_today"]

    values = {
        "channel": said.get(plan.channel, plan.channel),
        "needed": f"{plan.work.total:,}",
        "out": hhmm(plan.round_out_at if plan.work.prompts else plan.all_out_at),
        "reminder": hhmm(plan.reminder_at),
        "cutoff": hhmm(plan.cutoff),
        "quiet": hhmm(plan.quiet_at),
        "left": f"{plan.left_over:,}",
    }
    if plan.work.total == 0:
        key = "nothing"
    elif not plan.round_in_time:
        out = plan.round_out_at
        key = (
            "late_reminder"
            if out is not None and plan.reminder_at is not None and out <= plan.cutoff
            else "late_cutoff"
        )
    elif not plan.day_in_time:
        key = "left_over"
    else:
        key = "in_time" if plan.work.prompts and plan.reminder_at is not None else "in_time_no_reminder"
    return said[key].format(**values)


def plan_lines(plan: ChannelPlan, language: str, zone: ZoneInfo) -> list[str]:
    """The headline, the pool's capacity and the advice, one sentence each."""
    said = words(language)
    healthy = [lane for lane in plan.lanes if lane.healthy]
    down = [lane.name for lane in plan.lanes if not lane.healthy]
    capacity = said["capacity"].format(
        gateways=len(healthy), per_hour=_count(plan.per_hour), rest=_count(plan.rest_of_day)
    )
    if down:
        capacity += said["unhealthy"].format(names=", ".join(down))
    return [headline(plan, language, zone), capacity, *(advice_text(a, plan, language, zone) for a in plan.advice)]


def _count(value: int | None) -> str:
    return "∞" if value is None else f"{value:,}"


def advice_text(advice: Advice, plan: ChannelPlan, language: str, zone: ZoneInfo) -> str:
    said = words(language)

    def hhmm(at: datetime | None) -> str:
        return to_local(at, zone).strftime("%H:%M") if at is not None else said["not_today"]

    if advice.kind == "second_gateway":
        before = plan.round_out_at if not plan.round_in_time else plan.all_out_at
        key = "second_gateway" if advice.at is not None else "second_gateway_not_today"
        cap = f"{advice.daily_cap:,}" if advice.daily_cap > 0 else said["no_cap"]
        return said[key].format(
            like=advice.like, rate=f"{advice.rate_per_minute:g}", cap=cap, at=hhmm(advice.at), before=hhmm(before)
        )
    if advice.kind == "start_at":
        return said["start_at"].format(start=hhmm(advice.start), at=hhmm(advice.at), wait=f"{advice.wait_hours:g}")
    return said["first"].format(count=f"{advice.count:,}", at=hhmm(advice.at))
