"""Neighbour points earned by SMS: a second contact's "1" for the neighbour the ladder asked about, and a resident
who volunteers replying DONE."""

from __future__ import annotations

import pytest

from kit.clock import FixedClock
from kit.models import Community, Resident, Volunteer
from kit.residents import ResidentInput, add_resident
from kit.volunteer_models import PointEntry
from kit.volunteers import add_volunteer
from tests.conversation import Conversation

WANG = "+8613800000001"  # 王芳, 3-2-201, grid 东区; her daughter is her second contact
DAUGHTER = "+8613800000002"
ZHANG = "+8613900000009"  # 张三: lives in 西区 and volunteers in 东区


@pytest.fixture
def convo(fixed_clock: FixedClock, community: Community) -> Conversation:
    add_resident(
        ResidentInput(name="王芳", phone=WANG, second_phone=DAUGHTER, grid="东区", building="3", unit="2", room="201")
    )
    add_resident(ResidentInput(name="张三", phone=ZHANG, grid="西区", building="5", unit="1", room="101"))
    add_volunteer("张三", ZHANG, grids=["东区"])
    return Conversation(fixed_clock)


def test_a_second_contacts_answer_earns_points_once(convo: Conversation) -> None:
    convo.start_round(audience="grid:东区")
    convo.until("15:30")
    convo.say(DAUGHTER, "1")
    convo.say(DAUGHTER, "1")  # once more, to be sure
    convo.expect(f"""
        15:00 {DAUGHTER} < 您好，王芳（3-2-201）今天没有回复健康打卡，也没接电话。请联系TA，或回复1 TA平安。
        15:30 {DAUGHTER} > 1
        15:30 {DAUGHTER} < 谢谢告知！已记录王芳今天平安。
        15:30 {DAUGHTER} > 1
        15:30 {DAUGHTER} < 谢谢告知！已记录王芳今天平安。
    """)
    entry = PointEntry.get()
    assert (entry.phone, entry.reason, entry.points) == (DAUGHTER, "second_contact", 1)
    assert entry.neighbour_id == Resident.get(Resident.name == "王芳").id and entry.round_id is not None


def test_a_resident_volunteers_done_earns_the_resident_points_once(convo: Conversation) -> None:
    convo.say(WANG, "3 买菜")
    convo.say(ZHANG, "完成 1")
    convo.say(ZHANG, "完成 1")
    entry = PointEntry.get()
    zhang = Resident.get(Resident.name == "张三")
    assert (entry.resident_id, entry.reason, entry.task_id) == (zhang.id, "task", 1)
    assert Volunteer.get(Volunteer.phone == ZHANG).points == 1
