"""The check-in round and the ladder, service by service (the conversations are in tests/sms)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

import kit.checkin.ladder
from kit.bulk import insert_rows, reserve_ids
from kit.checkin import (
    advance_ladder,
    door_knock_list,
    door_knock_sheet,
    record_answer,
    round_expiry,
    round_summary,
    start_round,
)
from kit.clock import FixedClock, utcnow
from kit.config import CheckinSettings
from kit.db import transaction
from kit.errors import ValidationError
from kit.models import Alert, CheckinAsk, CheckinRound, Community, Grid, Message, OptOut, Resident, ResidentTag, Task
from kit.outbox import opt_out
from kit.residents import ResidentInput, add_resident, set_monitoring
from kit.volunteers import add_volunteer

pytestmark = pytest.mark.each_database  # storage code: runs on SQLite and PostgreSQL

SETTINGS = CheckinSettings()
ZONE = ZoneInfo("Asia/Shanghai")


def resident(name: str, phone: str | None, grid: str = "东区", **extra: object) -> Resident:
    return add_resident(ResidentInput(name=name, phone=phone, grid=grid, room=name, **extra))


@pytest.fixture
def street(community: Community) -> Community:
    resident("王芳", "+8613800000001", second_phone="+8613800000002", tags="独居老人")
    resident("李伯", None)
    resident("陈姐", "+8613800000003", grid="西区")
    resident("刘叔", "+8613800000004", grid="西区")
    add_volunteer("张三", "+8613900000009", grids=["东区", "西区"])
    return community


def asks() -> dict[str, tuple[str, str | None]]:
    """resident name -> (stage, next step local time)."""
    rows = CheckinAsk.select(CheckinAsk, Resident.name).join(Resident).order_by(CheckinAsk.id)
    return {
        row.resident.name: (row.stage, f"{row.next_step_at.replace(tzinfo=timezone.utc).astimezone(ZONE):%H:%M}")
        if row.next_step_at
        else (row.stage, None)
        for row in rows
    }


def prompts() -> list[tuple[str, str]]:
    return [(m.peer, m.status) for m in Message.select().where(Message.kind == "checkin").order_by(Message.peer)]


def deliver_everything() -> None:
    """What the dispatcher does, without it: every queued message goes out now."""
    Message.update(status="delivered", sent_at=utcnow()).where(Message.status == "queued").execute()


# --- starting a round ---------------------------------------------------------------------------------------


def test_a_round_asks_everybody(street: Community) -> None:
    round_ = start_round(settings=SETTINGS)
    assert (round_.local_date, round_.audience, round_.asked) == (date(2026, 11, 20), "all", 4)
    assert asks() == {
        "王芳": ("asked", "12:00"),
        "李伯": ("door_knock", "12:00"),
        "陈姐": ("asked", "12:00"),
        "刘叔": ("asked", "12:00"),
    }
    assert prompts() == [("+8613800000001", "queued"), ("+8613800000003", "queued"), ("+8613800000004", "queued")]
    prompt = Message.get(Message.peer == "+8613800000001")
    assert (prompt.key, prompt.priority, prompt.language) == (f"checkin:{round_.id}:1", 4, "zh")  # living alone: first
    assert Message.get(Message.peer == "+8613800000003").priority == 5
    assert prompt.expires_at == datetime(2026, 11, 20, 12, 0)  # 20:00 in Shanghai
    knock = Task.get()
    assert (knock.kind, knock.state, knock.source, knock.round_id) == ("door_knock", "assigned", "ladder", round_.id)
    assert knock.due_at == datetime(2026, 11, 20, 4, 0)  # 12:00 in Shanghai


def test_a_round_is_started_once(street: Community) -> None:
    first = start_round(settings=SETTINGS)
    second = start_round(settings=SETTINGS)
    assert first.id == second.id
    assert CheckinAsk.select().count() == 4
    assert Message.select().count() == 4  # three prompts, one door-knock SMS
    assert Task.select().count() == 1


@pytest.mark.parametrize(
    ("audience", "stored", "names"),
    [
        ("grid:西区", "grid:西区", ["陈姐", "刘叔"]),
        ("tag:独居老人", "tag:elderly-alone", ["王芳"]),
        ("monitored", "monitored", ["刘叔"]),
        (" ALL ", "all", ["王芳", "李伯", "陈姐", "刘叔"]),
    ],
)
def test_audiences(street: Community, audience: str, stored: str, names: list[str]) -> None:
    liu = Resident.get(Resident.name == "刘叔")
    set_monitoring(liu.id, "home_quarantine", "2026-11-25", actor="test")
    chen = Resident.get(Resident.name == "陈姐")
    set_monitoring(chen.id, "close_contact", "2026-11-19", actor="test")  # ended yesterday
    round_ = start_round(audience=audience, settings=SETTINGS)
    assert round_.audience == stored
    assert sorted(asks()) == sorted(names)


def test_bad_audiences(street: Community) -> None:
    with pytest.raises(ValidationError, match=r"No grid named 南区; grids are: 东区, 西区\."):
        start_round(audience="grid:南区", settings=SETTINGS)
    with pytest.raises(ValidationError, match="should be all, monitored, grid:NAME or tag:NAME"):
        start_round(audience="everyone", settings=SETTINGS)
    assert CheckinRound.select().count() == 0


def test_opted_out_residents_get_no_sms_but_the_check_in_call_at_once(street: Community) -> None:
    opt_out("+8613800000003")
    OptOut.create(phone="+8613800000004")  # opted out at the carrier before the register knew
    start_round(settings=SETTINGS)
    assert asks()["陈姐"] == ("reminded", "09:00")
    assert asks()["刘叔"] == ("reminded", "09:00")
    assert prompts() == [("+8613800000001", "queued")]
    report = advance_ladder(settings=SETTINGS)
    assert (report.called, report.opted_out, report.reminded) == (2, 2, 0)
    calls = Message.select().where(Message.kind == "checkin_call").order_by(Message.peer)
    assert [(m.peer, m.channel, m.status) for m in calls] == [
        ("+8613800000003", "voice", "queued"),
        ("+8613800000004", "voice", "queued"),
    ]
    assert Message.select().where(Message.kind == "reminder").count() == 0
    assert asks()["陈姐"][0] == "called"
    figures = round_summary()["total"]
    assert (figures["opted_out"], figures["silent"], figures["escalated"]) == (2, 4, 3)


def test_opted_out_residents_go_to_the_door_when_the_community_does_not_call_them(street: Community) -> None:
    opt_out("+8613800000003")
    start_round(settings=CheckinSettings(call_opted_out=False))
    assert asks()["陈姐"] == ("door_knock", "12:00")
    assert Message.select().where(Message.peer == "+8613800000003").count() == 0
    assert [(v.name, v.reason) for v in door_knock_list()] == [("李伯", "no-phone"), ("陈姐", "opted-out")]
    assert Task.select().where(Task.kind == "door_knock").count() == 2


def test_expiry_of_a_round_started_late(community: Community) -> None:
    day = date(2026, 11, 20)
    morning = datetime(2026, 11, 20, 1, 0)
    evening = datetime(2026, 11, 20, 12, 59)  # 20:59
    assert round_expiry(day, morning, SETTINGS, ZONE) == datetime(2026, 11, 20, 12, 0)
    assert round_expiry(day, evening, SETTINGS, ZONE) == datetime(2026, 11, 21, 12, 0)


# --- the ladder ---------------------------------------------------------------------------------------------


def test_each_step_in_turn(street: Community, fixed_clock: FixedClock) -> None:
    start_round(settings=SETTINGS)
    deliver_everything()
    fixed_clock.advance(hours=3)  # 12:00
    report = advance_ladder(settings=SETTINGS)
    assert (report.reminded, report.alerted) == (3, 1)  # three reminders; 李伯's door-knock was due at 12:00
    assert advance_ladder(settings=SETTINGS).reminded == 0
    deliver_everything()
    fixed_clock.advance(hours=2)  # 14:00
    assert advance_ladder(settings=SETTINGS).called == 3
    deliver_everything()
    fixed_clock.advance(hours=1)  # 15:00: only 王芳 has a second contact; the others go to the door
    report = advance_ladder(settings=SETTINGS)
    assert (report.second_contact, report.door_knock) == (1, 2)
    assert asks() == {
        "王芳": ("second_contact", "16:00"),
        "李伯": ("alerted", None),
        "陈姐": ("door_knock", "18:00"),
        "刘叔": ("door_knock", "18:00"),
    }
    second = Message.get(Message.kind == "second_contact")
    assert (second.peer, second.body) == (
        "+8613800000002",
        "您好，王芳（王芳）今天没有回复健康打卡，也没接电话。请联系TA，或回复1 TA平安。",
    )
    assert Message.select().where(Message.kind == "checkin_call", Message.channel == "voice").count() == 3


def test_the_ladder_works_in_batches(
    street: Community, fixed_clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kit.checkin.ladder, "BATCH", 2)
    start_round(settings=SETTINGS)
    deliver_everything()
    fixed_clock.advance(hours=3)
    report = advance_ladder(settings=SETTINGS)
    assert (report.reminded, report.alerted) == (3, 1)
    assert Message.select().where(Message.kind == "reminder").count() == 3


def test_the_ladder_waits_for_a_prompt_that_has_not_gone_out(street: Community, fixed_clock: FixedClock) -> None:
    start_round(settings=SETTINGS)  # nothing delivered: the gateway is down
    fixed_clock.advance(hours=3)
    report = advance_ladder(settings=SETTINGS)
    assert (report.reminded, report.waiting) == (0, 3)
    assert asks()["王芳"] == ("asked", "12:10")
    fixed_clock.advance(minutes=30)
    deliver_everything()  # the gateway is back at 12:30
    fixed_clock.advance(minutes=1)
    advance_ladder(settings=SETTINGS)
    assert asks()["王芳"] == ("asked", "15:30")  # three hours after it went out


def test_nothing_moves_in_quiet_hours_but_alerts(street: Community, fixed_clock: FixedClock) -> None:
    start_round(settings=SETTINGS)
    deliver_everything()
    fixed_clock.set(datetime(2026, 11, 20, 14, 0, tzinfo=timezone.utc))  # 22:00
    report = advance_ladder(settings=SETTINGS)
    assert (report.reminded, report.waiting, report.alerted) == (0, 3, 1)
    assert asks()["王芳"] == ("asked", "07:00")


def test_steps_after_the_expiry_queue_nothing_but_still_lead_to_the_door(
    street: Community, fixed_clock: FixedClock
) -> None:
    start_round(settings=SETTINGS)
    Message.update(status="expired").where(Message.kind == "checkin").execute()
    fixed_clock.set(datetime(2026, 11, 20, 12, 30, tzinfo=timezone.utc))  # 20:30
    assert advance_ladder(settings=SETTINGS).reminded == 3
    assert Message.select().where(Message.kind == "reminder").count() == 0


def test_a_resident_who_opts_out_mid_ladder_is_called_instead_of_reminded(
    street: Community, fixed_clock: FixedClock
) -> None:
    start_round(settings=SETTINGS)
    deliver_everything()
    opt_out("+8613800000001")
    fixed_clock.advance(hours=3)
    report = advance_ladder(settings=SETTINGS)
    assert (report.opted_out, report.reminded, report.called) == (1, 2, 1)
    assert asks()["王芳"] == ("called", "12:20")  # looked at again in time to place the call once more
    [call] = Message.select().where(Message.peer == "+8613800000001", Message.kind == "checkin_call")
    assert (call.channel, call.status) == ("voice", "queued")


def test_a_resident_who_opts_out_mid_ladder_goes_to_the_door_when_calls_are_off(
    street: Community, fixed_clock: FixedClock
) -> None:
    settings = CheckinSettings(call_opted_out=False)
    start_round(settings=settings)
    deliver_everything()
    opt_out("+8613800000001")
    fixed_clock.advance(hours=3)
    report = advance_ladder(settings=settings)
    assert (report.opted_out, report.door_knock, report.reminded) == (1, 1, 2)
    assert asks()["王芳"] == ("door_knock", "15:00")
    assert Message.select().where(Message.peer == "+8613800000001", Message.kind != "checkin").count() == 0


# --- answers and what operators read ------------------------------------------------------------------------


def test_an_answer_takes_a_resident_off_the_ladder(street: Community, fixed_clock: FixedClock) -> None:
    start_round(settings=SETTINGS)
    wang = Resident.get(Resident.name == "王芳")
    assert record_answer(wang.id, "well") == 1
    assert record_answer(wang.id, "well") == 0
    ask = CheckinAsk.get(CheckinAsk.resident == wang.id)
    assert (ask.stage, ask.outcome, ask.answered_at, ask.next_step_at) == ("answered", "well", utcnow(), None)


def test_an_evening_round_is_answered_the_next_morning(street: Community, fixed_clock: FixedClock) -> None:
    fixed_clock.set(datetime(2026, 11, 20, 12, 59, tzinfo=timezone.utc))  # 20:59
    start_round(settings=SETTINGS)
    fixed_clock.set(datetime(2026, 11, 20, 23, 30, tzinfo=timezone.utc))  # 07:30 the next day
    wang = Resident.get(Resident.name == "王芳")
    assert record_answer(wang.id, "well") == 1


def test_a_door_report_does_not_cancel_the_door_knock(street: Community) -> None:
    start_round(settings=SETTINGS)
    li = Resident.get(Resident.name == "李伯")
    record_answer(li.id, "well", channel="door")
    assert Task.get().state == "assigned"
    assert door_knock_list() == []


def test_round_summary_per_grid(street: Community, fixed_clock: FixedClock) -> None:
    start_round(settings=SETTINGS)
    record_answer(Resident.get(Resident.name == "陈姐").id, "unwell")
    summary = round_summary()
    assert summary["date"] == "2026-11-20"
    [round_] = summary["rounds"]
    assert (round_["audience"], round_["started_at"], round_["asked"], round_["answered"]) == ("all", "09:00", 4, 1)
    figures = ("asked", "answered", "silent", "escalated", "door_knock", "unwell")
    assert [(g["grid"], *(g[f] for f in figures)) for g in round_["grids"]] == [
        ("东区", 2, 0, 2, 1, 1, 0),
        ("西区", 2, 1, 1, 0, 0, 1),
    ]
    yesterday = round_summary(date(2026, 11, 19))
    assert (yesterday["rounds"], yesterday["total"]["asked"]) == ([], 0)


def test_door_knock_list_and_sheet(street: Community, fixed_clock: FixedClock) -> None:
    start_round(settings=SETTINGS)
    [visit] = door_knock_list()
    assert (visit.name, visit.grid, visit.reason, visit.task_id, visit.volunteer, visit.overdue) == (
        "李伯",
        "东区",
        "no-phone",
        1,
        "张三",
        False,
    )
    assert door_knock_list(grid="西区") == []
    fixed_clock.advance(hours=4)
    assert door_knock_sheet().splitlines() == [
        "Door-knock list 2026-11-20: 1 visit(s)",
        "",
        "Grid 东区 (1)",
        "[ ] 李伯  李伯  -  no-phone  task 1 by 12:00 OVERDUE  张三",
    ]


# --- a whole community --------------------------------------------------------------------------------------


def test_twenty_thousand_residents(community: Community, fixed_clock: FixedClock) -> None:
    grids = [Grid.create(name=f"网格{n}") for n in range(20)]
    for grid in grids[:10]:
        add_volunteer(f"志愿者{grid.id}", f"+86139000{grid.id:05d}", grids=[grid.name])
    count = 20_000
    with transaction():
        ids = reserve_ids(Resident, count)
        rows = [
            (
                ids[n],
                f"居民{n}",
                None if n % 50 == 0 else f"+86138{n:08d}",  # one in fifty has no phone
                "en" if n % 10 == 0 else "zh",
                grids[n % 20].id,
            )
            for n in range(count)
        ]
        insert_rows(Resident, [Resident.id, Resident.name, Resident.phone, Resident.language, Resident.grid], rows)
        no_phone = [(ids[n], "no-phone") for n in range(0, count, 50)]
        insert_rows(ResidentTag, [ResidentTag.resident, ResidentTag.tag], no_phone)
        for n in range(1, 101):
            OptOut.create(phone=f"+86138{n * 7:08d}")
    round_ = start_round(settings=SETTINGS)
    assert round_.asked == count
    assert CheckinAsk.select().count() == count
    assert CheckinAsk.select().where(CheckinAsk.stage == "door_knock").count() == 400
    assert CheckinAsk.select().where(CheckinAsk.stage == "reminded").count() == 100 - 2  # 350 and 700 have no phone
    assert Message.select().where(Message.kind == "checkin").count() == count - 400 - 98
    assert (
        Message.select().where(Message.body.startswith("Daily check-in")).count() == 2000 - 400 - 8
    )  # 70, 140, ... opted out
    knocks = Task.select().where(Task.kind == "door_knock")
    assert knocks.count() == 400
    # Every fiftieth resident is in grid 0 or grid 10; only grids 0-9 have a volunteer.
    assert knocks.where(Task.state == "assigned").count() == 200
    assert Message.select().where(Message.kind == "task").count() == 200
    [alert] = Alert.select().where(Alert.kind == "task_unassigned")
    assert alert.text.startswith("网格10有200个上门任务没有人做")
    deliver_everything()
    fixed_clock.advance(hours=3)
    report = advance_ladder(settings=SETTINGS)
    assert (report.reminded, report.called, report.alerted) == (count - 400 - 98, 98, 400)
    assert (round_summary()["total"]["silent"], round_summary()["total"]["opted_out"]) == (count, 98)


# --- calling again ------------------------------------------------------------------------------------------


def calls() -> list[tuple[str, str, str]]:
    """(key suffix, status, local not_before) of every check-in call, in the order queued."""
    return [
        (m.key.rsplit(":", 1)[-1], m.status, f"{m.not_before.replace(tzinfo=timezone.utc).astimezone(ZONE):%H:%M}")
        for m in Message.select().where(Message.kind == "checkin_call").order_by(Message.id)
    ]


def up_to_the_call(fixed_clock: FixedClock) -> None:
    """09:00 round, 12:00 reminder, 14:00 call (only 王芳 is left silent), all delivered."""
    start_round(settings=SETTINGS)
    for phone in ("+8613800000003", "+8613800000004"):
        record_answer(Resident.get(Resident.phone == phone).id, "well")
    deliver_everything()
    fixed_clock.advance(hours=3)
    advance_ladder(settings=SETTINGS)
    deliver_everything()
    fixed_clock.advance(hours=2)
    assert advance_ladder(settings=SETTINGS).called == 1
    Message.update(status="sent", sent_at=utcnow()).where(Message.kind == "checkin_call").execute()


def test_a_busy_call_is_placed_once_more(street: Community, fixed_clock: FixedClock) -> None:
    up_to_the_call(fixed_clock)
    assert asks()["王芳"] == ("called", "14:20")  # looks early, in time to place it again
    fixed_clock.advance(minutes=5)
    Message.update(status="busy", updated_at=utcnow()).where(Message.kind == "checkin_call").execute()
    fixed_clock.advance(minutes=15)  # 14:20
    report = advance_ladder(settings=SETTINGS)
    assert (report.retried, report.second_contact) == (1, 0)
    assert calls() == [("call", "busy", "14:00"), ("call2", "queued", "14:25")]  # 20 minutes after it ended
    assert asks()["王芳"] == ("called", "14:25")
    assert advance_ladder(settings=SETTINGS).retried == 0
    fixed_clock.advance(minutes=5)
    assert advance_ladder(settings=SETTINGS).retried == 0
    assert len(calls()) == 2
    assert asks()["王芳"] == ("called", "14:35")  # the retry has not gone out yet
    Message.update(status="no-answer", sent_at=utcnow()).where(Message.key.endswith(":call2")).execute()
    fixed_clock.advance(minutes=10)
    advance_ladder(settings=SETTINGS)
    assert asks()["王芳"] == ("called", "15:25")  # an hour after the last call went out
    fixed_clock.advance(minutes=50)
    assert advance_ladder(settings=SETTINGS).second_contact == 1
    assert len(calls()) == 2


def test_a_ringing_call_is_looked_at_again_soon(street: Community, fixed_clock: FixedClock) -> None:
    up_to_the_call(fixed_clock)
    fixed_clock.advance(minutes=20)
    advance_ladder(settings=SETTINGS)
    assert asks()["王芳"] == ("called", "14:30")
    Message.update(status="completed").where(Message.kind == "checkin_call").execute()  # picked up, no key
    fixed_clock.advance(minutes=10)
    assert advance_ladder(settings=SETTINGS).retried == 0
    assert asks()["王芳"] == ("called", "15:00")
    assert len(calls()) == 1


def test_no_call_again_after_the_expiry(street: Community, fixed_clock: FixedClock) -> None:
    up_to_the_call(fixed_clock)
    Message.update(status="failed", updated_at=utcnow()).where(Message.kind == "checkin_call").execute()
    fixed_clock.set(datetime(2026, 11, 20, 12, 5, tzinfo=timezone.utc))  # 20:05
    report = advance_ladder(settings=SETTINGS)
    assert (report.retried, report.second_contact) == (0, 1)
    assert len(calls()) == 1
