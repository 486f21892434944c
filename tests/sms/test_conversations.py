"""The daily check-in loop as people live it: prompts, answers, the ladder, tasks, opt-outs, quiet hours."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from kit.checkin import advance_ladder, door_knock_list, round_summary, start_round
from kit.clock import FixedClock
from kit.config import CheckinSettings
from kit.localtime import to_local
from kit.models import Alert, CheckinAsk, Community, Message, Report, Resident, Task, Volunteer
from kit.residents import ResidentInput, add_resident
from kit.volunteers import add_volunteer
from tests.conversation import Conversation

pytestmark = pytest.mark.each_database  # storage code: runs on SQLite and PostgreSQL

WANG = "+8613800000001"  # 王芳, 3-2-201, grid 东区; her daughter is her second contact
DAUGHTER = "+8613800000002"
SMITH = "+8613800000003"  # an English-speaking resident in grid 东区
ZHANG = "+8613900000009"  # the volunteer for grid 东区
STRANGER = "+8613700000000"

PROMPT = "今日健康打卡：回复1 身体好，回复2 发烧或咳嗽，回复3 需要帮助。"
CALL = "您好，这里是社区健康打卡。身体好请按1，发烧或咳嗽请按2，需要帮助请按3。"


@pytest.fixture
def neighbourhood(community: Community) -> Community:
    add_resident(
        ResidentInput(name="王芳", phone=WANG, second_phone=DAUGHTER, grid="东区", building="3", unit="2", room="201")
    )
    add_volunteer("张三", ZHANG, grids=["东区"])
    return community


@pytest.fixture
def convo(fixed_clock: FixedClock, neighbourhood: Community) -> Conversation:
    return Conversation(fixed_clock)


def wang() -> Resident:
    return Resident.get(Resident.phone == WANG)


def alerts() -> list[tuple[str, str, str]]:
    """(kind, severity, local time) of every alert, oldest first."""
    zone = ZoneInfo("Asia/Shanghai")
    return [(a.kind, a.severity, f"{to_local(a.created_at, zone):%H:%M}") for a in Alert.select().order_by(Alert.id)]


# --- answers ----------------------------------------------------------------------------------------------


def test_well(convo: Conversation) -> None:
    convo.start_round()
    convo.advance(minutes=5)
    convo.say(WANG, "1")
    convo.expect(f"""
        09:00 {WANG} < {PROMPT}
        09:05 {WANG} > 1
        09:05 {WANG} < 已记录：身体好。谢谢！
    """)
    convo.until("20:00")
    convo.nothing_new(WANG, DAUGHTER, ZHANG)
    assert wang().status == "green"
    assert alerts() == []
    assert round_summary()["total"]["answered"] == 1
    assert round_summary()["total"]["well"] == 1


def test_fever_turns_red_and_alerts(convo: Conversation) -> None:
    convo.start_round()
    convo.say(WANG, "2 38度5")
    convo.expect(f"""
        {WANG} < {PROMPT}
        {WANG} > 2 38度5
        {WANG} < 已记录：发烧38.5度。网格员会尽快联系您，请在家休息。
    """)
    assert wang().status == "red"
    assert alerts() == [("fever", "urgent", "09:00"), ("red", "urgent", "09:00")]
    report = Report.get()
    assert (report.kind, report.temperature_c, report.symptoms, report.text) == ("unwell", 38.5, "fever", "2 38度5")


def test_cough_turns_yellow_without_an_alert(convo: Conversation) -> None:
    convo.start_round()
    convo.say(WANG, "2 咳嗽")
    convo.expect(f"""
        {WANG} < {PROMPT}
        {WANG} > 2 咳嗽
        {WANG} < 已记录：咳嗽。网格员会联系您。
    """)
    assert wang().status == "yellow"
    assert alerts() == []


def test_help_becomes_a_task_the_volunteer_closes(convo: Conversation) -> None:
    convo.start_round()
    convo.advance(minutes=10)
    convo.say(WANG, "3 帮我买降压药")
    convo.expect(f"""
        09:00 {WANG} < {PROMPT}
        09:10 {WANG} > 3 帮我买降压药
        09:10 {ZHANG} < 任务1：求助。王芳 3-2-201 +8613800000001。需要：买降压药。接单回复：接 1，完成后回复：完成 1
        09:10 {WANG} < 已收到求助（编号1），志愿者会联系您。
    """)
    convo.advance(hours=2)
    convo.say(ZHANG, "完成 1")
    convo.expect(f"""
        11:10 {ZHANG} > 完成 1
        11:10 {WANG} < 您的求助（编号1）已完成。有需要请随时回复3。
        11:10 {ZHANG} < 谢谢！任务1已完成，积分+1。
    """)
    task = Task.get_by_id(1)
    assert (task.kind, task.state, task.need, task.source) == ("help", "done", "买降压药", "sms")
    assert Volunteer.get(Volunteer.phone == ZHANG).points == 1
    convo.until("20:00")
    convo.nothing_new()


def test_english_resident_and_volunteer(convo: Conversation) -> None:
    add_resident(
        ResidentInput(name="John Smith", phone=SMITH, language="en", grid="东区", building="5", unit="1", room="302")
    )
    Volunteer.update(language="en").where(Volunteer.phone == ZHANG).execute()
    convo.start_round()
    convo.say(SMITH, "help: buy bread")
    convo.say(ZHANG, "done 1")
    convo.say(ZHANG, "DONE 1")  # twice: no second thanks, no second point
    convo.expect(f"""
        {SMITH} < Daily check-in: reply 1 if you are well, 2 if you have fever or cough, 3 if you need help.
        {SMITH} > help: buy bread
        {ZHANG} < Task 1: help request. John Smith 5-1-302 +8613800000003. Needs: buy bread. Reply ACCEPT 1 to take it, and DONE 1 when done
        {SMITH} < We got your request (number 1). A volunteer will contact you.
        {ZHANG} > done 1
        {SMITH} < Your request (number 1) is done. Reply 3 any time you need help.
        {ZHANG} < Thank you! Task 1 is done, +1 points.
        {ZHANG} > DONE 1
    """)  # noqa: E501
    assert Volunteer.get(Volunteer.phone == ZHANG).points == 1


def test_volunteer_cannot_close_somebody_elses_task(convo: Conversation) -> None:
    add_volunteer("李四", "+8613900000008", grids=["西区"])
    convo.start_round()
    convo.say(WANG, "3 买菜")
    convo.say("+8613900000008", "完成 1")
    convo.expect("""
        +8613900000008 > 完成 1
        +8613900000008 < 没有找到您的任务1。请回复：完成 任务编号
    """)
    assert Task.get_by_id(1).state == "assigned"


# --- the ladder -------------------------------------------------------------------------------------------


def test_silence_climbs_the_whole_ladder(convo: Conversation) -> None:
    convo.start_round()
    convo.until("21:00")
    convo.expect(f"""
        09:00 {WANG} < {PROMPT}
        12:00 {WANG} < 提醒：您今天还没有健康打卡。回复1 身体好，2 发烧或咳嗽，3 需要帮助。
        14:00 {WANG} < [call] 您好，这里是社区健康打卡。身体好请按1，发烧或咳嗽请按2，需要帮助请按3。
        15:00 {DAUGHTER} < 您好，王芳（3-2-201）今天没有回复健康打卡，也没接电话。请联系TA，或回复1 TA平安。
        16:00 {ZHANG} < 任务1：上门查看 王芳 3-2-201，今天联系不上。请在19:00前完成。接单回复：接 1，完成后回复：完成 1
    """)
    assert alerts() == [("unreachable", "urgent", "19:00")]
    assert Alert.get().text == (
        "今天还没有人联系上王芳（3-2-201, +8613800000001）：打卡、提醒和电话都没有回应，上门任务1到19:00还没有完成。"
        "请打电话给张三（+8613900000009），或马上另派人去。"
    )
    assert Message.get(Message.kind == "checkin_call").channel == "voice"
    summary = round_summary()["total"]
    assert (summary["silent"], summary["escalated"], summary["door_knock"], summary["alerted"]) == (1, 1, 1, 1)


def test_door_knock_done_in_time_raises_no_alert(convo: Conversation) -> None:
    convo.start_round()
    convo.until("17:30")
    convo.say(ZHANG, "完成1号")
    convo.until("21:00")
    assert alerts() == []
    ask = CheckinAsk.get()
    assert (ask.stage, ask.outcome) == ("answered", "visited")
    assert Volunteer.get(Volunteer.phone == ZHANG).points == 1
    assert [line for line in convo.lines(WANG) if "完成" in line] == []  # no "your request is done" for a visit


def test_family_answers_for_her(convo: Conversation) -> None:
    convo.start_round()
    convo.until("15:30")
    convo.say(DAUGHTER, "1")
    convo.expect(f"""
        15:00 {DAUGHTER} < 您好，王芳（3-2-201）今天没有回复健康打卡，也没接电话。请联系TA，或回复1 TA平安。
        15:30 {DAUGHTER} > 1
        15:30 {DAUGHTER} < 谢谢告知！已记录王芳今天平安。
    """)
    convo.until("21:00")
    convo.nothing_new(ZHANG)
    assert CheckinAsk.get().stage == "answered"
    assert Report.get().channel == "family"
    assert alerts() == []


def test_answer_during_the_door_knock_calls_the_volunteer_off(convo: Conversation) -> None:
    convo.start_round()
    convo.until("16:30")
    convo.say(WANG, "1")
    convo.until("21:00")
    convo.expect(f"""
        16:00 {ZHANG} < 任务1：上门查看 王芳 3-2-201，今天联系不上。请在19:00前完成。接单回复：接 1，完成后回复：完成 1
        16:30 {ZHANG} < 任务1已取消，不用再去了。谢谢！
    """)
    assert Task.get_by_id(1).state == "cancelled"
    assert alerts() == []


def test_no_phone_goes_straight_to_the_door(convo: Conversation) -> None:
    add_resident(ResidentInput(name="李伯", grid="东区", building="3", unit="1", room="101"))
    convo.start_round()
    convo.expect(f"""
        09:00 {ZHANG} < 任务1：上门查看 李伯 3-1-101（没有手机）。请在12:00前完成。接单回复：接 1，完成后回复：完成 1
    """)
    visits = door_knock_list()
    assert [(v.name, v.address, v.reason, v.task_id, v.volunteer) for v in visits] == [
        ("李伯", "3-1-101", "no-phone", 1, "张三")
    ]
    convo.until("12:10")
    assert alerts() == [("unreachable", "urgent", "12:00")]
    assert Alert.get().text.startswith(
        "今天还没有人联系上李伯（3-1-101, 无电话）：没有电话，上门任务1到12:00还没有完成。"
    )


def test_no_phone_visit_done(convo: Conversation) -> None:
    add_resident(ResidentInput(name="李伯", grid="东区", building="3", unit="1", room="101"))
    convo.start_round()
    convo.advance(hours=1)
    convo.say(ZHANG, "完成 1")
    assert door_knock_list() == []
    assert round_summary()["total"]["visited"] == 1
    convo.until("13:00")
    assert alerts() == []


# --- opting out -------------------------------------------------------------------------------------------


def test_opt_out_stops_the_texts_not_the_care(convo: Conversation) -> None:
    convo.start_round()
    convo.say(WANG, "TD")
    convo.until("21:00")
    convo.expect(f"""
        09:00 {WANG} < {PROMPT}
        09:00 {WANG} > TD
        12:00 {WANG} < [call] {CALL}
        13:00 {DAUGHTER} < 您好，王芳（3-2-201）今天没有回复健康打卡，也没接电话。请联系TA，或回复1 TA平安。
        14:00 {ZHANG} < 任务1：上门查看 王芳 3-2-201，今天联系不上。请在17:00前完成。接单回复：接 1，完成后回复：完成 1
    """)
    assert wang().opted_out
    assert (
        Message.select().where(Message.peer == WANG, Message.channel == "sms", Message.direction == "out").count() == 1
    )
    assert CheckinAsk.get().stage == "alerted"
    assert round_summary()["total"]["opted_out"] == 1


def test_a_community_that_does_not_call_sends_the_opted_out_to_the_door(
    fixed_clock: FixedClock, neighbourhood: Community
) -> None:
    convo = Conversation(fixed_clock, checkin=CheckinSettings(call_opted_out=False))
    convo.say(WANG, "TD")
    convo.start_round()
    convo.until("09:30")
    convo.expect(f"""
        {WANG} > TD
        {ZHANG} < 任务1：上门查看 王芳 3-2-201，今天联系不上。请在12:00前完成。接单回复：接 1，完成后回复：完成 1
    """)
    assert [(v.name, v.reason) for v in door_knock_list()] == [("王芳", "opted-out")]


def test_opt_out_skips_what_is_already_queued(convo: Conversation) -> None:
    convo.start_round(dispatch=False)
    convo.say(WANG, "退订")
    convo.send()
    assert convo.outbox_to(WANG) == [("checkin", "skipped", PROMPT)]
    convo.expect(f"{WANG} > 退订")


def test_start_resumes_and_tomorrow_asks_again(convo: Conversation) -> None:
    convo.start_round()
    convo.say(WANG, "STOP")
    convo.until("20:00")
    convo.say(WANG, "START")
    convo.until("09:00")
    convo.start_round()
    convo.expect(f"""
        09:00 {WANG} < {PROMPT}
        09:00 {WANG} > STOP
        12:00 {WANG} < [call] {CALL}
        20:00 {WANG} > START
        20:00 {WANG} < 已恢复接收社区通知。回复TD可退订。
        09:00 {WANG} < {PROMPT}
    """)
    assert not wang().opted_out
    assert [a.stage for a in CheckinAsk.select().order_by(CheckinAsk.id)] == ["alerted", "asked"]


# --- replies nobody understands, people nobody knows ------------------------------------------------------


def test_unknown_reply_is_answered_once_not_looped(convo: Conversation) -> None:
    convo.start_round()
    convo.say(WANG, "在吗？")
    convo.say(WANG, "你是谁")
    convo.say(WANG, "1")
    convo.expect(f"""
        {WANG} < {PROMPT}
        {WANG} > 在吗？
        {WANG} < 没看懂您的回复。请回复数字：1 身体好，2 发烧或咳嗽，3 需要帮助。
        {WANG} > 你是谁
        {WANG} > 1
        {WANG} < 已记录：身体好。谢谢！
    """)


def test_unknown_sender_alerts_once_and_gets_no_reply(convo: Conversation) -> None:
    convo.say(STRANGER, "1")
    convo.say(STRANGER, "喂？")
    convo.expect(f"""
        {STRANGER} > 1
        {STRANGER} > 喂？
    """)
    assert alerts() == [("unknown_sender", "info", "09:00")]
    assert Report.select().count() == 0


# --- time: quiet hours and expiry -------------------------------------------------------------------------


def test_round_queued_at_2059_waits_for_the_morning(fixed_clock: FixedClock, neighbourhood: Community) -> None:
    fixed_clock.set(datetime(2026, 11, 20, 12, 59, tzinfo=timezone.utc))  # 20:59 in Shanghai
    convo = Conversation(fixed_clock, checkin=CheckinSettings(expire_at="20:00"))
    convo.start_round(dispatch=False)
    convo.advance(minutes=1)
    assert convo.send().held == {"sms": "quiet hours", "voice": "quiet hours"}
    convo.until("06:50")
    convo.nothing_new(WANG)
    convo.until("10:30")
    convo.expect(f"""
        07:00 {WANG} < {PROMPT}
        10:00 {WANG} < 提醒：您今天还没有健康打卡。回复1 身体好，2 发烧或咳嗽，3 需要帮助。
    """)


def test_reply_at_night_is_still_acknowledged(convo: Conversation) -> None:
    convo.start_round()
    convo.until("22:00")
    convo.skip()
    convo.say(WANG, "1")
    convo.expect(f"""
        22:00 {WANG} > 1
        22:00 {WANG} < 已记录：身体好。谢谢！
    """)


def test_prompt_not_sent_by_2000_is_dropped(convo: Conversation) -> None:
    convo.start_round(dispatch=False)
    convo.until("20:00", dispatch=False)
    assert convo.send().expired == 1
    convo.until("09:00")
    assert ("checkin", "expired", PROMPT) in convo.outbox_to(WANG)
    assert [line for line in convo.lines(WANG) if "<" in line and "健康打卡：" in line] == []


# --- doing it twice ---------------------------------------------------------------------------------------


def test_twice_is_once(convo: Conversation) -> None:
    first = convo.start_round()
    second = start_round(settings=convo.checkin)
    assert first.id == second.id
    convo.until("12:00", dispatch=False)
    # The ladder ran at every tick; at 12:00 it moved once, and running it again moves nothing.
    assert advance_ladder(settings=convo.checkin).reminded == 0
    assert Message.select().where(Message.kind == "reminder").count() == 1
    convo.say(WANG, "2 37.8", provider_id="SMabc")
    convo.say(WANG, "2 37.8", provider_id="SMabc")  # the provider retried the webhook
    assert Report.select().count() == 1
    assert Message.select().where((Message.direction == "out") & (Message.kind == "reply")).count() == 1
    assert Message.select().where(Message.direction == "in").count() == 1
    assert alerts() == [("fever", "warning", "12:00")]
    assert wang().status == "yellow"
