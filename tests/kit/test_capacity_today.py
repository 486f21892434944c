"""Today's capacity plan from a small database and a pool of simulators; the notice preview's time; the round's
order (the monitored and those living alone first)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from kit.capacity_today import notice_out_at, notice_timing_text, plan_today
from kit.checkin import start_round
from kit.clock import FixedClock, utcnow
from kit.config import CheckinSettings, DispatchSettings, Settings
from kit.db import transaction
from kit.dispatcher import Dispatcher
from kit.errors import ValidationError
from kit.localtime import to_local
from kit.models import CheckinRound, Community, Message
from kit.notices import Audience, preview_notice
from kit.outbox import PRIORITY_NOTICE, Draft, opt_out, queue_many
from kit.residents import ResidentInput, add_resident
from sms.simulator import SimulatorGateway

ZONE = ZoneInfo("Asia/Shanghai")
ALONE = "+8613800000007"
MONITORED = "+8613800000008"


def shown(at: datetime | None) -> str | None:
    return None if at is None else to_local(at, ZONE).strftime("%H:%M")


def simulators(*tables: dict[str, object]) -> Settings:
    """Settings whose SMS pool is simulators named sim1, sim2, ... with the given pacing and caps."""
    settings = Settings()
    settings.gateways = {f"sim{n}": {"kind": "simulator", **table} for n, table in enumerate(tables, 1)}
    settings.gateway.sms = list(settings.gateways)
    return settings


def notice(n: int) -> Draft:
    """A notice already queued to someone."""
    return Draft(peer=f"+86139000{n:05d}", body="通知", kind="notice", key=f"notice:{n}", priority=PRIORITY_NOTICE)


@pytest.fixture
def street(community: Community) -> Community:
    """Eight residents reachable by SMS (the last two: one living alone, one monitored), one without a phone, one
    who opted out."""
    for n in range(1, 7):
        add_resident(ResidentInput(name=f"居民{n}", phone=f"+86138000000{n:02d}", grid="东区", room=str(n)))
    add_resident(ResidentInput(name="王芳", phone=ALONE, grid="东区", room="7", tags="独居老人"))
    add_resident(
        ResidentInput(
            name="李伯", phone=MONITORED, grid="东区", room="8", monitoring="居家隔离", monitoring_until="2026-11-27"
        )
    )
    add_resident(ResidentInput(name="陈姐", phone=None, grid="东区", room="9"))
    add_resident(ResidentInput(name="刘叔", phone="+8613800000010", grid="东区", room="10"))
    opt_out("+8613800000010")
    return community


def test_the_plan_counts_the_round_before_and_after_it_starts(street: Community) -> None:
    settings = simulators({"rate_per_minute": 1, "daily_cap": 5}, {"rate_per_minute": 1})
    before = plan_today(settings)
    sms = before.channels["sms"]
    assert (sms.work.prompts, sms.work.first, sms.work.ladder, sms.work.notices) == (8, 2, 2, 0)  # 30% reminded
    assert before.channels["voice"].work.ladder == 1  # one in ten called
    assert shown(sms.round_out_at) == "09:04"  # eight at two a minute
    assert (shown(sms.reminder_at), sms.in_time) == ("12:00", True)
    assert [lane.name for lane in sms.lanes] == ["sim1", "sim2"]
    start_round(settings=CheckinSettings())
    with transaction():
        queue_many([notice(n) for n in range(3)])
    after = plan_today(settings).channels["sms"]
    assert (after.work.prompts, after.work.first, after.work.ladder, after.work.notices) == (8, 2, 2, 3)
    # thirteen in all: ten by 09:05, when sim1 reaches its cap, then three more by sim2 alone
    assert (shown(after.round_out_at), shown(after.all_out_at)) == ("09:04", "09:08")


def test_the_ladder_is_estimated_from_yesterday(street: Community) -> None:
    yesterday = CheckinRound.create(local_date=date(2026, 11, 19), started_at=utcnow() - timedelta(days=1))
    for kind, count in (("checkin", 10), ("reminder", 5), ("checkin_call", 2)):
        for n in range(count):
            channel = "voice" if kind == "checkin_call" else "sms"
            Message.create(direction="out", channel=channel, peer=f"+861{n}", kind=kind, status="delivered",
                           round=yesterday.id)  # fmt: skip
    plan = plan_today(simulators({"rate_per_minute": 10}))
    assert plan.channels["sms"].work.ladder == 4  # half of eight
    assert plan.channels["voice"].work.ladder == 2  # a fifth of eight


def test_a_late_round_says_so_with_what_would_fix_it(street: Community) -> None:
    plan = plan_today(simulators({"rate_per_minute": 0.03}))  # 267 minutes for eight
    sms = plan.channels["sms"]
    assert shown(sms.round_out_at) == "13:26" and not plan.in_time
    advice = {a.kind: a for a in sms.advice}
    assert shown(advice["second_gateway"].at) == "11:13"  # two gateways: 133 minutes
    assert shown(advice["start_at"].start) == "07:33"
    assert (advice["first"].count, shown(advice["first"].at)) == (2, "10:06")
    slower = plan_today(simulators({"rate_per_minute": 0.02})).channels["sms"]  # 400 minutes: from 05:20, too early
    assert [a.kind for a in slower.advice] == ["second_gateway", "first"]


def test_a_plan_for_another_day(street: Community, fixed_clock: FixedClock) -> None:
    with pytest.raises(ValidationError, match="2026-11-19 is past"):
        plan_today(simulators({"rate_per_minute": 1}), date(2026, 11, 19))
    with transaction():
        queue_many([notice(1)])
    tomorrow = plan_today(simulators({"rate_per_minute": 1}), date(2026, 11, 21)).channels["sms"]
    assert (tomorrow.work.prompts, tomorrow.work.notices, shown(tomorrow.start)) == (8, 0, "09:00")


def test_the_notice_preview_says_when_the_last_recipient_gets_it(street: Community) -> None:
    settings = simulators({"rate_per_minute": 10})
    with transaction():
        queue_many([notice(n) for n in range(30)])
    preview = preview_notice("明天九点发口罩。", Audience(), "sms", settings=settings)
    assert preview.sms_recipients == 8 and preview.last_out is not None
    assert (shown(preview.last_out.at), preview.last_out.ahead) == ("09:03", 30)  # 38 at ten a minute
    assert notice_timing_text(preview.last_out, "en", ZONE) == (
        "The last recipient gets it at about 09:03 (after the 30 already queued)"
    )
    assert (
        notice_timing_text(preview.last_out, "zh", ZONE) == "最后一位收到的时间：约 09:03（排在已在队列中的 30 条之后）"
    )
    assert preview.as_dict()["queued_ahead"] == 30
    slow = notice_out_at(simulators({"rate_per_minute": 0.01}), "sms", 8)  # 7.2 a day from 09:00 to 21:00
    assert (slow.at, slow.left_over) == (None, 8)
    assert notice_timing_text(slow, "en", ZONE) == "Not all today: 8 wait until tomorrow (after the 30 already queued)"


def test_the_monitored_and_those_living_alone_are_sent_first(street: Community) -> None:
    sent: list[str] = []

    class Recording(SimulatorGateway):
        def send(self, message):  # type: ignore[no-untyped-def]
            sent.append(message.peer)
            return super().send(message)

    start_round(settings=CheckinSettings())
    dispatcher = Dispatcher({"sms": Recording()}, DispatchSettings(rate_per_second=0), ZONE, sleep=lambda seconds: None)
    dispatcher.run_once()
    assert len(sent) == 8
    assert set(sent[:2]) == {ALONE, MONITORED}  # asked last by id, sent first
