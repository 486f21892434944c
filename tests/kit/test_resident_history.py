"""A resident's card shows their own messages: to and from them and their second contact, never a volunteer's task
SMS about them as if it had been sent to them."""

from __future__ import annotations

from kit.db import transaction
from kit.models import Community
from kit.outbox import Draft, queue
from kit.residents import ResidentInput, add_resident
from kit.tasks import create_task
from kit.views import resident_history
from kit.volunteers import add_volunteer


def test_a_volunteers_task_sms_about_a_resident_is_not_on_the_residents_card(community: Community) -> None:
    wang = add_resident(
        ResidentInput(name="王秀英", phone="13800138000", second_phone="13900139001", grid="第1网格"), actor="test"
    )
    add_volunteer("李志愿", "13700137000", grids=["第1网格"], actor="test")
    task = create_task("errand", resident_id=wang.id, need="买药", actor="test")
    with transaction():
        queue(Draft(peer="+8613800138000", body="今日健康打卡", kind="checkin", key="c:1", resident_id=wang.id))
        queue(Draft(peer="+8613900139001", body="请联系王秀英", kind="second_contact", key="s:1", resident_id=wang.id))
    history = resident_history(wang.id)
    assert history is not None
    bodies = {message.body for message in history.messages}
    assert "今日健康打卡" in bodies and "请联系王秀英" in bodies
    assert not [m for m in history.messages if m.peer == "+8613700137000"], "the volunteer's task SMS"
    assert task.volunteer is not None  # the task SMS exists, it is just not theirs
