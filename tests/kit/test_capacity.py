"""The capacity planner with gateways built by hand: when the round is out, and what would fix a late one."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from kit.capacity import Clock, Lane, Work, minutes_for, open_windows, plan_channel
from kit.capacity_text import headline, plan_lines
from kit.localtime import at_local, to_local
from kit.pool import PoolMember

ZONE = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 20)
QUIET = (time(21, 0), time(7, 0))


def local(hhmm: str, day: date = DAY) -> datetime:
    hours, minutes = hhmm.split(":")
    return at_local(day, time(int(hours), int(minutes)), ZONE)


def shown(at: datetime | None) -> str | None:
    return None if at is None else to_local(at, ZONE).strftime("%H:%M")


def member(name: str, rate: float, cap: int = 0, *, sent: int = 0, healthy: bool = True) -> PoolMember:
    return PoolMember(
        name=name, kind="android", channel="sms", rate_per_minute=rate, daily_cap=cap, healthy=healthy,
        sent_today=sent, failed_today=0, last_error="",
    )  # fmt: skip


PHONE = member("phone1", 20, 300)  # a SIM card: 20 a minute, 300 a day
MODEM = member("modem1", 10)  # no cap
AT_NINE = Clock(ZONE, QUIET, local("09:00"), reminder_at=local("12:00"), cutoff=local("20:00"))


def test_a_round_that_fits_is_out_before_the_reminder_and_needs_no_advice() -> None:
    plan = plan_channel("sms", [PHONE, MODEM], Work(prompts=1000, ladder=300, notices=50), AT_NINE)
    # phone1 reaches its cap after 15 minutes (450 sent by both); the modem sends the other 550 in 55 minutes.
    assert shown(plan.round_out_at) == "10:10"
    assert plan.per_hour == 1800
    assert plan.rest_of_day == 300 + 10 * 12 * 60  # the cap, and the modem from 09:00 to 21:00
    assert plan.in_time and plan.round_in_time and plan.day_in_time
    assert plan.advice == ()
    assert headline(plan, "en", ZONE) == "SMS: 1,350 today, out by 10:10 (reminder at 12:00)"
    assert headline(plan, "zh", ZONE) == "短信：今日需 1,350 条，预计 10:10 发完（提醒在 12:00）"


def test_a_round_late_for_the_reminder_gets_each_fix_computed() -> None:
    work = Work(prompts=2340, first=200, ladder=780, notices=50)
    plan = plan_channel("sms", [PHONE, MODEM], work, AT_NINE)
    # 450 in the first 15 minutes, then the modem alone: 1,890 more at 10 a minute, 189 minutes: 204 in all.
    assert shown(plan.round_out_at) == "12:24"
    assert not plan.round_in_time and not plan.in_time
    advice = {a.kind: a for a in plan.advice}
    assert set(advice) == {"second_gateway", "start_at", "first"}
    # One more like phone1: both phones reach their caps after 15 minutes (750 sent), then 1,590 by the modem.
    assert (advice["second_gateway"].like, shown(advice["second_gateway"].at)) == ("phone1", "11:54")
    # 204 minutes before 12:00, with the reminder wait that keeps the reminder at 12:00.
    assert (shown(advice["start_at"].start), advice["start_at"].wait_hours) == ("08:36", 3.4)
    # The 200 monitored and living alone go first: 6 minutes 40 seconds at 30 a minute.
    assert advice["first"].count == 200
    assert advice["first"].at == local("09:00") + timedelta(minutes=200 / 30)
    assert plan_lines(plan, "en", ZONE) == [
        "SMS: 3,170 today, the round is out only by 12:24, after the reminder at 12:00",
        "2 gateway(s) up: 1,800 an hour, 7,500 more today",
        "One more gateway like phone1 (20/min, cap 300): out by 11:54 instead of 12:24",
        'Start at 08:36 to be out by 12:00 (checkin.time = "08:36", checkin.reminder_after_hours = 3.4 keeps the '
        "reminder at 12:00)",
        "Ask the monitored first: the 200 monitored and living alone go first, out by 09:06",
    ]
    assert plan_lines(plan, "zh", ZONE)[4] == "先问重点人员：200 位重点人员和独居老人排在最前，09:06 前发完"


def test_the_monitored_first_is_not_offered_when_even_they_are_late() -> None:
    slow = member("slow", 1)
    plan = plan_channel("sms", [slow], Work(prompts=1000, first=400), AT_NINE)
    assert not plan.round_in_time
    assert "first" not in {a.kind for a in plan.advice}  # 400 minutes: past 12:00 too


def test_quiet_hours_stop_the_round_and_what_is_left_over_is_counted() -> None:
    evening = Clock(ZONE, QUIET, local("20:00"), reminder_at=local("23:00"), cutoff=local("23:30"))
    plan = plan_channel("sms", [MODEM], Work(prompts=2000), evening)
    assert plan.round_out_at is None  # 600 go out before 21:00, the rest not today
    assert (plan.rest_of_day, plan.left_over) == (600, 1400)
    assert shown(plan.quiet_at) == "21:00" and shown(plan.cutoff) == "21:00"
    assert headline(plan, "en", ZONE) == "SMS: 2,000 today, the round is not out before 21:00"
    advice = {a.kind: a for a in plan.advice}
    assert shown(advice["start_at"].start) == "17:40"  # 200 minutes before 21:00 (the reminder, later, does not bind)
    assert shown(advice["second_gateway"].at) is None  # 1,200 by 21:00 with two modems: still not all


def test_a_start_inside_quiet_hours_waits_for_them_to_end() -> None:
    early = Clock(ZONE, QUIET, local("06:00"))
    assert open_windows(early) == [(local("07:00"), local("21:00"))]
    plan = plan_channel("sms", [MODEM], Work(ahead=60), early)
    assert shown(plan.all_out_at) == "07:06"


def test_daily_caps_limit_the_day() -> None:
    plan = plan_channel("sms", [PHONE], Work(prompts=500), AT_NINE)
    assert plan.rest_of_day == 300
    assert (plan.round_out_at, plan.left_over) == (None, 200)
    already = plan_channel("sms", [member("phone1", 20, 300, sent=250)], Work(prompts=100), AT_NINE)
    assert (already.rest_of_day, already.left_over) == (50, 50)  # what was sent today counts against the cap


def test_unhealthy_gateways_count_for_nothing() -> None:
    down = member("phone2", 600, healthy=False)
    with_down = plan_channel("sms", [PHONE, MODEM, down], Work(prompts=1000), AT_NINE)
    without = plan_channel("sms", [PHONE, MODEM], Work(prompts=1000), AT_NINE)
    assert (with_down.round_out_at, with_down.per_hour, with_down.rest_of_day) == (
        without.round_out_at, without.per_hour, without.rest_of_day,
    )  # fmt: skip
    assert (
        plan_lines(with_down, "en", ZONE)[1]
        == "2 gateway(s) up: 1,800 an hour, 7,500 more today (phone2 down, not counted)"
    )
    nobody = plan_channel("sms", [down], Work(prompts=10), AT_NINE)
    assert (nobody.rest_of_day, nobody.left_over, nobody.advice) == (0, 10, ())


def test_an_unpaced_gateway_sends_at_once_within_its_cap() -> None:
    assert minutes_for([Lane.of(member("sim", 0))], 5000) == 0.0
    assert minutes_for([Lane.of(member("sim", 0, 100)), Lane.of(MODEM)], 400) == pytest.approx(30.0)
    plan = plan_channel("sms", [member("sim", 0)], Work(prompts=5000), AT_NINE)
    assert (plan.per_hour, plan.rest_of_day, shown(plan.round_out_at)) == (None, None, "09:00")
