"""Volunteers by SMS: signing up, accepting and declining tasks, going off duty and back, and every bad answer."""

from __future__ import annotations

import string
from datetime import timedelta

import pytest

import data
from kit.clock import FixedClock
from kit.config import Settings
from kit.models import Alert, Community, Task, Volunteer
from kit.residents import ResidentInput, add_resident, grid_id_for
from kit.scheduling import run_due
from kit.tasks import complete_task, create_task
from kit.volunteer_models import TaskDecline, VolunteerSignup
from kit.volunteer_signups import approve_signup, decline_signup, pending_signups
from kit.volunteers import add_volunteer as add
from kit.volunteers import deactivate
from sms.parser import Intent, parse_reply
from tests.conversation import Conversation

pytestmark = pytest.mark.each_database

WANG = "+8613800000001"  # 王芳, grid 第3网格
ZHANG = "+8613900000009"  # volunteer of 第3网格
LI = "+8613900000008"  # volunteer of 第3网格
SMITH = "+8613900000007"  # an English-speaking volunteer of 第3网格
STRANGER = "+8613700000000"


@pytest.fixture
def convo(community: Community, fixed_clock: FixedClock) -> Conversation:
    grid_id_for("第1网格")
    add_resident(ResidentInput(name="王芳", phone=WANG, grid="第3网格", building="3", unit="2", room="201"))
    add("张三", ZHANG, grids=["第3网格"])
    return Conversation(fixed_clock)


def task_for_wang(need: str = "买菜") -> Task:
    return create_task("help", resident_id=1, need=need, actor="test")


def zhang() -> Volunteer:
    return Volunteer.get(Volunteer.phone == ZHANG)


# --- the parser ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("接 151", Intent("accept", task_number=151)),
        ("接 １５１", Intent("accept", task_number=151)),
        ("接151号", Intent("accept", task_number=151)),
        ("接单 151", Intent("accept", task_number=151)),
        ("ACCEPT 151", Intent("accept", task_number=151)),
        ("accept #151", Intent("accept", task_number=151)),
        ("Accept task 151.", Intent("accept", task_number=151)),
        ("接", Intent("accept")),
        ("不接 151", Intent("decline", task_number=151)),
        ("不接151", Intent("decline", task_number=151)),
        ("DECLINE 151", Intent("decline", task_number=151)),
        ("decline", Intent("decline")),
        ("暂停", Intent("pause")),
        ("暂停接单！", Intent("pause")),
        ("PAUSE", Intent("pause")),
        ("恢复", Intent("start")),
        ("RESUME", Intent("start")),
        ("恢复接单", Intent("start")),
        ("报名 志愿者 第3网格 跑腿", Intent("join", text="第3网格 跑腿")),
        ("报名志愿者，第3网格，跑腿", Intent("join", text="第3网格,跑腿")),
        ("JOIN volunteer grid 3 errands", Intent("join", text="volunteer grid 3 errands")),
        ("Sign up: grid 3, driving", Intent("join", text="grid 3, driving")),
        ("join", Intent("join")),
    ],
)
def test_a_volunteers_words_are_understood(reply: str, expected: Intent) -> None:
    assert parse_reply(reply, "zh") == expected
    assert parse_reply(reply, "en") == expected


@pytest.mark.parametrize(
    "reply", ["接我去医院", "暂停 3", "joining us?", "我想报名核酸", "accept 12 and 13", "不接电话"]
)
def test_words_that_only_look_like_a_volunteers(reply: str) -> None:
    assert parse_reply(reply).kind not in ("accept", "decline", "pause", "join")


def test_every_sms_text_has_the_same_placeholders_in_both_languages() -> None:
    zh, en = (data.read_toml("templates", f"{language}.toml") for language in ("zh", "en"))
    assert set(zh) == set(en)

    def placeholders(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    for key, text in zh.items():
        if isinstance(text, str):
            assert placeholders(text) == placeholders(en[key]), key
    assert set(zh["words"]) == set(en["words"])


# --- signing up ---------------------------------------------------------------------------------------------


def test_a_stranger_signs_up_and_is_approved(convo: Conversation) -> None:
    convo.say(STRANGER, "报名 志愿者 第3网格 跑腿")
    convo.expect(f"""
        {STRANGER} > 报名 志愿者 第3网格 跑腿
        {STRANGER} < 已收到您的志愿者报名，社区审核后会短信通知您。
    """)
    (signup,) = pending_signups()
    assert (signup.name, signup.grid, signup.skills, signup.text) == (
        "",
        "第3网格",
        ("errands",),
        "报名 志愿者 第3网格 跑腿",
    )
    (alert,) = Alert.select()
    assert (alert.kind, alert.severity) == ("volunteer_signup", "info")
    volunteer = approve_signup(signup.id, "小李", name="李明")
    convo.send()
    convo.expect(f"""
        {STRANGER} < 李明，欢迎加入社区志愿者！有任务时会短信通知您：回复“接 任务编号”接单，回复“暂停”暂停接单。
    """)
    assert (volunteer.name, volunteer.skill_list, volunteer.status) == ("李明", ["errands"], "active")
    assert pending_signups() == []
    assert create_task("help", resident_id=1, need="买菜", grid_id=grid_id_for("第3网格"), actor="t").volunteer_id in (
        zhang().id,
        volunteer.id,
    )


def test_join_in_english_finds_the_grid_by_its_number_and_is_answered_in_english(convo: Conversation) -> None:
    convo.say(STRANGER, "JOIN volunteer grid 3 errands")
    convo.expect(f"""
        {STRANGER} > JOIN volunteer grid 3 errands
        {STRANGER} < We got your request to volunteer. We will tell you by SMS once the community has looked at it.
    """)
    (signup,) = pending_signups()
    assert (signup.grid, signup.grid_asked, signup.skills, signup.language) == (
        "第3网格",
        "第3网格",
        ("errands",),
        "en",
    )
    decline_signup(signup.id, "小李", why="grid 3 has enough volunteers")
    convo.send()
    convo.expect(f"""
        {STRANGER} < Sorry, your request to volunteer was not accepted this time: grid 3 has enough volunteers. Thank you for offering.
    """)  # noqa: E501
    assert VolunteerSignup.get_by_id(signup.id).status == "declined"


def test_join_from_a_volunteer_is_told_they_are_registered_and_nothing_waits(convo: Conversation) -> None:
    convo.say(ZHANG, "报名 志愿者 第3网格 跑腿")
    convo.expect(f"""
        {ZHANG} > 报名 志愿者 第3网格 跑腿
        {ZHANG} < 您已经是本社区的志愿者，无需再次报名。
    """)
    assert VolunteerSignup.select().count() == 0
    assert Alert.select().count() == 0


def test_join_twice_waits_once(convo: Conversation) -> None:
    convo.say(STRANGER, "报名 志愿者 第3网格")
    convo.say(STRANGER, "报名志愿者 第3网格 开车")
    convo.expect(f"""
        {STRANGER} > 报名 志愿者 第3网格
        {STRANGER} < 已收到您的志愿者报名，社区审核后会短信通知您。
        {STRANGER} > 报名志愿者 第3网格 开车
        {STRANGER} < 您的志愿者报名正在审核中，结果会短信通知您。
    """)
    assert VolunteerSignup.select().count() == 1


def test_a_resident_signs_up_under_their_own_name(convo: Conversation) -> None:
    convo.say(WANG, "报名 志愿者 第三网格 买药 开车")
    (signup,) = pending_signups()
    assert (signup.name, signup.grid, signup.skills) == ("王芳", "第3网格", ("driving",))
    assert approve_signup(signup.id, "小李").name == "王芳"


def test_a_deactivated_volunteer_cannot_answer_tasks_but_may_sign_up_again(convo: Conversation) -> None:
    deactivate(zhang().id, "小李")
    convo.say(ZHANG, "接 1")
    convo.say(ZHANG, "报名 志愿者 第3网格 开车")
    convo.expect(f"""
        {ZHANG} > 接 1
        {ZHANG} < 您目前不在志愿者名单上。如需报名请回复：报名 志愿者 网格 技能
        {ZHANG} > 报名 志愿者 第3网格 开车
        {ZHANG} < 已收到您的志愿者报名，社区审核后会短信通知您。
    """)
    (signup,) = pending_signups()
    back = approve_signup(signup.id, "小李", name="张三")
    assert (back.id, back.status, back.skill_list) == (zhang().id, "active", ["driving"])
    assert Volunteer.select().count() == 1


# --- accepting and declining ------------------------------------------------------------------------------


def test_accept_and_then_done(convo: Conversation) -> None:
    task = task_for_wang()
    convo.send()
    convo.say(ZHANG, "接 １")
    convo.expect(f"""
        {ZHANG} < 任务1：求助。王芳 3-2-201 +8613800000001。需要：买菜。接单回复：接 1，完成后回复：完成 1
        {ZHANG} > 接 １
        {ZHANG} < 已确认：任务1由您负责。完成后回复：完成 1
    """)
    assert Task.get_by_id(task.id).state == "accepted"


def test_accept_999_or_someone_elses_task_changes_nothing(convo: Conversation) -> None:
    add("李四", LI, grids=["第1网格"])
    task = task_for_wang()
    convo.send()
    convo.say(ZHANG, "接 999")
    convo.say(LI, "ACCEPT 1")
    convo.expect(f"""
        {ZHANG} < 任务1：求助。王芳 3-2-201 +8613800000001。需要：买菜。接单回复：接 1，完成后回复：完成 1
        {ZHANG} > 接 999
        {ZHANG} < 没有分配给您的任务999，什么也没有改变。请核对任务编号。
        {LI} > ACCEPT 1
        {LI} < 没有分配给您的任务1，什么也没有改变。请核对任务编号。
    """)
    after = Task.get_by_id(task.id)
    assert (after.state, after.volunteer_id) == ("assigned", zhang().id)


def test_decline_goes_to_the_next_volunteer_at_once(convo: Conversation) -> None:
    add("Smith", SMITH, grids=["第3网格"], language="en")
    task_for_wang()
    convo.send()
    convo.say(ZHANG, "不接 1")
    convo.expect(f"""
        {ZHANG} < 任务1：求助。王芳 3-2-201 +8613800000001。需要：买菜。接单回复：接 1，完成后回复：完成 1
        {ZHANG} > 不接 1
        {SMITH} < Task 1: help request. 王芳 3-2-201 +8613800000001. Needs: 买菜. Reply ACCEPT 1 to take it, and DONE 1 when done
        {ZHANG} < 好的，任务1不再由您负责，我们会另找志愿者。
    """)  # noqa: E501
    convo.say(SMITH, "DECLINE 1")
    convo.expect(f"""
        {SMITH} > DECLINE 1
        {SMITH} < OK, task 1 is no longer yours; we will find another volunteer.
    """)
    after = Task.get_by_id(1)
    assert (after.state, after.volunteer_id) == ("open", None)
    assert [alert.kind for alert in Alert.select()] == ["task_unassigned"]
    assert TaskDecline.select().count() == 2


def test_decline_of_a_task_already_done_is_told_it_is_done(convo: Conversation) -> None:
    task = task_for_wang()
    complete_task(task.id, actor="test")
    convo.send()
    convo.say(ZHANG, "不接 1")
    convo.expect(f"""
        {ZHANG} < 任务1：求助。王芳 3-2-201 +8613800000001。需要：买菜。接单回复：接 1，完成后回复：完成 1
        {ZHANG} < 谢谢！任务1已完成，积分+1。
        {ZHANG} > 不接 1
        {ZHANG} < 任务1已经完成，无需再操作。
    """)
    assert Task.get_by_id(task.id).state == "done"
    assert TaskDecline.select().count() == 0


def test_accept_without_a_number_needs_one_when_it_is_not_clear(convo: Conversation) -> None:
    convo.say(ZHANG, "ACCEPT")
    convo.expect(f"""
        {ZHANG} > ACCEPT
        {ZHANG} < 请写上要接的任务编号，例如：接 12
    """)
    task_for_wang()
    convo.send()
    convo.say(ZHANG, "接")
    assert convo.lines(ZHANG)[-1] == f"{ZHANG} < 已确认：任务1由您负责。完成后回复：完成 1"


# --- off duty -----------------------------------------------------------------------------------------------


def test_pause_twice_accept_while_paused_and_resume(convo: Conversation) -> None:
    task_for_wang()
    convo.send()
    convo.say(ZHANG, "暂停")
    convo.say(ZHANG, "暂停")
    convo.say(ZHANG, "接 1")
    convo.say(ZHANG, "恢复")
    convo.say(ZHANG, "恢复")
    convo.expect(f"""
        {ZHANG} < 任务1：求助。王芳 3-2-201 +8613800000001。需要：买菜。接单回复：接 1，完成后回复：完成 1
        {ZHANG} > 暂停
        {ZHANG} < 已暂停接单，不会再给您派任务或上门查看。回复“恢复”重新接单。
        {ZHANG} > 暂停
        {ZHANG} < 您已经暂停接单了。回复“恢复”重新接单。
        {ZHANG} > 接 1
        {ZHANG} < 您已暂停接单，不能接任务，什么也没有改变。请先回复“恢复”。
        {ZHANG} > 恢复
        {ZHANG} < 欢迎回来！已恢复接单，有任务时会短信通知您。
        {ZHANG} > 恢复
        {ZHANG} < 您正在接单，无需恢复。需要暂停请回复：暂停
    """)
    after = Task.get_by_id(1)
    assert (after.state, after.volunteer_id) == ("open", None)  # nobody else in the grid: open, under an alert
    assert zhang().status == "active"


def test_pause_keeps_accepted_tasks_and_says_so(convo: Conversation) -> None:
    task_for_wang()
    convo.send()
    convo.say(ZHANG, "接 1")
    convo.say(ZHANG, "PAUSE")
    assert (
        convo.lines(ZHANG)[-1] == f"{ZHANG} < 已暂停接单，不会再派新任务；您已接的任务1仍请完成。回复“恢复”重新接单。"
    )
    assert Task.get_by_id(1).volunteer_id == zhang().id


def test_a_paused_volunteer_gets_no_door_knocks(convo: Conversation) -> None:
    add("李四", LI, grids=["第3网格"])
    convo.say(ZHANG, "暂停")
    assert task_for_wang().volunteer_id == Volunteer.get(Volunteer.phone == LI).id


# --- the offer lapses -------------------------------------------------------------------------------------


def test_an_offer_nobody_accepts_moves_on_when_run_due_runs(convo: Conversation, fixed_clock: FixedClock) -> None:
    add("李四", LI, grids=["第3网格"])
    task_for_wang()
    convo.send()
    settings = Settings()
    settings.checkin.time = "23:00"  # no round today in this test
    settings.tasks.accept_within_minutes = 20
    report = run_due(settings=settings, at=fixed_clock.now() + timedelta(minutes=19))
    assert report.tasks_moved_on == 0
    fixed_clock.advance(minutes=20)
    report = run_due(settings=settings)
    assert report.tasks_moved_on == 1
    assert "offers not accepted in time, moved on: 1" in report.lines()
    convo.send()
    convo.expect(f"""
        {ZHANG} < 任务1：求助。王芳 3-2-201 +8613800000001。需要：买菜。接单回复：接 1，完成后回复：完成 1
        {ZHANG} < 任务1您20分钟内没有回复接单，已转给其他志愿者，不用再去了。
        {LI} < 任务1：求助。王芳 3-2-201 +8613800000001。需要：买菜。接单回复：接 1，完成后回复：完成 1
    """)
