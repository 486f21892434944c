"""kit.scheduling: the daily round starts once at its time, run_due is idempotent, finished monitoring ends."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from kit import clock
from kit.checkin import start_round
from kit.config import DispatchSettings, Settings
from kit.dispatcher import Dispatcher
from kit.models import AuditEntry, CheckinRound, Community, JobRun, Message, Resident
from kit.residents import ResidentInput, add_resident
from kit.scheduling import DueReport, InProcessScheduler, next_round_at, run_due
from sms.simulator import SimulatorGateway

# Local times in Asia/Shanghai (UTC+8) on 2026-11-20, as UTC.
AT_0859 = datetime(2026, 11, 20, 0, 59, tzinfo=timezone.utc)
AT_0900 = datetime(2026, 11, 20, 1, 0, tzinfo=timezone.utc)
AT_2030 = datetime(2026, 11, 20, 12, 30, tzinfo=timezone.utc)
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def residents(community: Community) -> dict[str, int]:
    people = [
        ResidentInput(name="王秀英", phone="13800138000", grid="第1网格"),
        ResidentInput(name="李建国", phone="13700137000", grid="第1网格"),
        ResidentInput(
            name="赵强", phone="13600136000", grid="第2网格", monitoring="居家隔离", monitoring_until="2026-11-19"
        ),
        ResidentInput(
            name="孙丽", phone="13500135000", grid="第2网格", monitoring="密接", monitoring_until="2026-11-20"
        ),
    ]
    return {person.name: add_resident(person, actor="test").id for person in people}


def checkin_messages() -> int:
    return int(Message.select().where(Message.kind == "checkin").count())


def test_the_round_does_not_start_at_0859(residents: dict[str, int]) -> None:
    report = run_due(settings=Settings(), at=AT_0859)
    assert (report.round.state, report.round.local_date) == ("not-yet", date(2026, 11, 20))
    assert report.lines()[0] == "the check-in round for 2026-11-20 starts at 09:00"
    rounds_run = JobRun.select().where(JobRun.job == "checkin").count()
    assert CheckinRound.select().count() == 0 and rounds_run == 0 and checkin_messages() == 0


def test_the_round_starts_once_at_0900(residents: dict[str, int]) -> None:
    first = run_due(settings=Settings(), at=AT_0900)
    assert first.round.state == "started" and first.round.asked == 4
    round_ = CheckinRound.get()
    assert (round_.id, round_.local_date, round_.audience, round_.created_by) == (
        first.round.round_id,
        date(2026, 11, 20),
        "all",
        "scheduler",
    )
    daily = JobRun.select().where(JobRun.job.in_(["checkin", "purge"])).order_by(JobRun.job)
    assert [(run.job, run.key) for run in daily] == [
        ("checkin", "2026-11-20"),
        ("purge", "2026-11-20"),  # the day's purge, due from 03:00, ran too
    ]
    assert checkin_messages() == 4
    messages = Message.select().count()

    second = run_due(settings=Settings(), at=AT_0900)
    assert second.round.state == "done-today"
    assert not second.did_something
    assert (second.tasks_escalated, second.monitoring_ended) == (0, [])
    assert CheckinRound.select().count() == 1 and Message.select().count() == messages


def test_the_ladder_moves_once_per_step(residents: dict[str, int], fixed_clock: clock.FixedClock) -> None:
    run_due(settings=Settings(), at=AT_0900)
    fixed_clock.set(AT_0900)
    dispatcher = Dispatcher({"sms": SimulatorGateway("sms")}, DispatchSettings(rate_per_second=0), SHANGHAI)
    assert dispatcher.run_once().sent == 4
    at_noon = datetime(2026, 11, 20, 4, 0, tzinfo=timezone.utc)  # three hours of silence: the reminder
    first = run_due(settings=Settings(), at=at_noon)
    assert first.ladder["reminded"] == 4 and first.did_something
    assert "ladder: reminded 4" in first.lines()
    again = run_due(settings=Settings(), at=at_noon)
    assert again.ladder["reminded"] == 0 and not again.did_something
    assert Message.select().where(Message.kind == "reminder").count() == 4


def test_a_round_started_by_hand_is_not_started_again(residents: dict[str, int], fixed_clock: clock.FixedClock) -> None:
    fixed_clock.set(datetime(2026, 11, 20, 0, 30, tzinfo=timezone.utc))  # 08:30 local
    by_hand = start_round(settings=Settings().checkin, actor="cli")
    assert next_round_at(Settings(), now=AT_0859) == datetime(2026, 11, 21, 1, 0, tzinfo=timezone.utc)
    report = run_due(settings=Settings(), at=AT_0900)
    assert (report.round.state, report.round.round_id) == ("already-started", by_hand.id)
    assert CheckinRound.select().count() == 1 and checkin_messages() == 4


def test_no_round_is_started_after_the_days_expiry_time(residents: dict[str, int]) -> None:
    report = run_due(settings=Settings(), at=AT_2030)
    assert report.round.state == "too-late"
    assert CheckinRound.select().count() == 0


def test_monitoring_ends_the_day_after_its_end_date(residents: dict[str, int]) -> None:
    report = run_due(settings=Settings(), at=AT_0859)
    assert report.monitoring_ended == [residents["赵强"]]
    ended, going_on = Resident.get_by_id(residents["赵强"]), Resident.get_by_id(residents["孙丽"])
    assert (ended.monitoring, ended.monitoring_until) == ("none", None)
    assert (going_on.monitoring, going_on.monitoring_until) == ("close_contact", date(2026, 11, 20))
    entry = AuditEntry.get(AuditEntry.action == "monitoring-ended")
    assert (entry.actor, entry.entity_id) == ("scheduler", residents["赵强"])
    assert "monitoring ended: 1 resident" in report.lines()
    assert run_due(settings=Settings(), at=AT_0859).monitoring_ended == []


def test_at_fixes_the_clock_only_for_the_run(residents: dict[str, int], fixed_clock: clock.FixedClock) -> None:
    fixed_clock.set(datetime(2026, 11, 19, 3, 0, tzinfo=timezone.utc))
    report = run_due(settings=Settings(), at=AT_0900)
    assert report.at == AT_0900
    assert clock.now() == datetime(2026, 11, 19, 3, 0, tzinfo=timezone.utc)
    assert clock.use(fixed_clock) is fixed_clock  # the test's clock is the one installed again


def test_the_next_round_is_today_until_it_ran_then_tomorrow(residents: dict[str, int]) -> None:
    assert next_round_at(Settings(), now=AT_0859) == AT_0900
    run_due(settings=Settings(), at=AT_0900)
    assert next_round_at(Settings(), now=AT_0900) == datetime(2026, 11, 21, 1, 0, tzinfo=timezone.utc)


def test_the_in_process_scheduler_lists_what_comes_next_and_survives_a_failure(
    residents: dict[str, int], fixed_clock: clock.FixedClock
) -> None:
    fixed_clock.set(AT_0859)
    calls: list[str] = []

    def failing(*, settings: Settings) -> DueReport:
        calls.append("run")
        raise RuntimeError("database is locked")

    scheduler = InProcessScheduler(Settings(), run=failing)
    names = [name for name, _ in scheduler.next_runs()]
    assert sorted(names) == ["check-in round", "run-due"]
    assert dict(scheduler.next_runs())["check-in round"] == AT_0900
    assert scheduler.run_now() is None
    assert (calls, scheduler.last_error) == (["run"], "RuntimeError: database is locked")

    working = InProcessScheduler(Settings())
    fixed_clock.set(AT_0900)
    report = working.run_now()
    assert report is not None and report.round.state == "started" and working.last_error == ""
    assert CheckinRound.select().count() == 1
