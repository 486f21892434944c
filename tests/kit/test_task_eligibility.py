"""Opted-out and inactive volunteers get no tasks; a task whose text never reached its volunteer is handed on."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from kit.assignment import suggest_volunteer
from kit.config import DispatchSettings
from kit.dispatcher import Dispatcher
from kit.errors import ValidationError
from kit.escalation import escalate_overdue, hand_on_unreached
from kit.gateway import GatewayError, Outgoing, SendResult
from kit.models import Alert, Community, Message, Resident, Task, Volunteer
from kit.outbox import opt_in
from kit.residents import ResidentInput, add_resident
from kit.tasks import assign_task, create_task
from kit.volunteers import add_volunteer, volunteers_for_grid
from sms.router import handle
from sms.simulator import SimulatorGateway

ZONE = ZoneInfo("Asia/Shanghai")
ZHANG = "+8613900000001"
LI = "+8613900000002"


@pytest.fixture
def wang(community: Community) -> Resident:
    return add_resident(ResidentInput(name="王芳", phone="+8613800000001", grid="东区", building="3", room="201"))


def texts_to(phone: str) -> list[tuple[str, str]]:
    query = Message.select().where((Message.direction == "out") & (Message.peer == phone)).order_by(Message.id)
    return [(m.status, m.body) for m in query]


def test_a_volunteer_who_texted_stop_is_given_none_of_24_tasks_and_one_alert_says_the_grid_has_nobody(
    wang: Resident,
) -> None:
    zhang = add_volunteer("张三", ZHANG, grids=["东区"])
    handle("simulator", "SM-stop", ZHANG, "STOP")
    tasks = [create_task("help", resident_id=wang.id, need=f"买药{n}", actor="test") for n in range(24)]
    assert {(t.state, t.volunteer_id) for t in tasks} == {("open", None)}
    assert Task.select().where(Task.volunteer == zhang.id).count() == 0
    assert texts_to(ZHANG) == []  # not 24 skipped texts
    [alert] = Alert.select()
    assert alert.kind == "task_unassigned"
    assert alert.text == (
        "任务1（求助，王芳）没有人做：东区没有在岗的志愿者（张三已退订短信，任务发不到TA们）。"
        "请手动分配，或为该网格添加志愿者；该网格今天的其他任务不再另行提醒。"
    )


def test_opted_out_and_inactive_volunteers_are_not_eligible(wang: Resident) -> None:
    zhang = add_volunteer("张三", ZHANG, grids=["东区"])
    li = add_volunteer("李四", LI, grids=["东区"])
    Volunteer.update(active=False).where(Volunteer.id == li.id).execute()
    handle("simulator", "SM-stop", ZHANG, "退订")
    assert suggest_volunteer(wang.grid_id) is None
    assert list(volunteers_for_grid(wang.grid_id)) == []
    opt_in(ZHANG)
    assert suggest_volunteer(wang.grid_id) == zhang
    assert [v.id for v in volunteers_for_grid(wang.grid_id)] == [zhang.id]


def test_naming_an_opted_out_volunteer_is_refused(wang: Resident) -> None:
    task = create_task("errand", resident_id=wang.id, actor="test")
    zhang = add_volunteer("张三", ZHANG, grids=["东区"])
    handle("simulator", "SM-stop", ZHANG, "STOP")
    with pytest.raises(ValidationError, match="张三 opted out of SMS"):
        assign_task(task.id, zhang.id, actor="test")
    assert Task.get_by_id(task.id).state == "open"


def test_texts_skipped_by_a_stop_hand_the_tasks_to_the_next_volunteer(wang: Resident) -> None:
    zhang = add_volunteer("张三", ZHANG, grids=["东区"])
    first, second = (create_task("help", resident_id=wang.id, need=need, actor="test") for need in ("买药", "买菜"))
    assert {first.volunteer_id, second.volunteer_id} == {zhang.id}
    li = add_volunteer("李四", LI, grids=["东区"])
    handle("simulator", "SM-stop", ZHANG, "STOP")  # before the dispatcher sent the two task texts
    assert len(texts_to(ZHANG)) == 2  # no "cancelled for you" text to a number that cannot get it
    assert [Task.get_by_id(t.id).volunteer_id for t in (first, second)] == [li.id, li.id]
    assert [status for status, _ in texts_to(LI)] == ["queued", "queued"]
    assert texts_to(LI)[0][1] == (
        "任务1：求助。王芳 3-201 +8613800000001。需要：买药。接单回复：接 1，完成后回复：完成 1"
    )
    alerts = [(a.kind, a.task_id, a.text) for a in Alert.select().order_by(Alert.id)]
    assert alerts == [
        (
            "task_reassigned",
            first.id,
            "任务1（求助）原分给张三（+8613900000001），但TA已退订短信，TA没收到通知；现在改由李四（+8613900000002）负责。",
        ),
        (
            "task_reassigned",
            second.id,
            "任务2（求助）原分给张三（+8613900000001），但TA已退订短信，TA没收到通知；现在改由李四（+8613900000002）负责。",
        ),
    ]
    assert hand_on_unreached() == 0  # handed on once


def test_with_nobody_left_the_tasks_reopen_under_one_alert_for_the_grid(wang: Resident) -> None:
    add_volunteer("张三", ZHANG, grids=["东区"])
    add_volunteer("赵五", LI, grids=["西区"])  # another grid: no help here
    tasks = [create_task("errand", resident_id=wang.id, need=str(n), actor="test") for n in range(5)]
    handle("simulator", "SM-stop", ZHANG, "STOP")
    assert {(Task.get_by_id(t.id).state, Task.get_by_id(t.id).volunteer_id) for t in tasks} == {("open", None)}
    [alert] = Alert.select()
    assert (alert.kind, alert.task_id) == ("task_unassigned", tasks[0].id)
    assert "东区没有在岗的志愿者（张三已退订短信" in alert.text
    assert texts_to(LI) == []


def test_a_text_the_provider_refuses_as_unsubscribed_hands_the_task_on(wang: Resident) -> None:
    class Unsubscribed(SimulatorGateway):
        def send(self, message: Outgoing) -> SendResult:
            if message.peer == ZHANG:
                raise GatewayError("Attempt to send to unsubscribed recipient", code="21610", opted_out=True)
            return super().send(message)

    add_volunteer("张三", ZHANG, grids=["东区"])
    task = create_task("help", resident_id=wang.id, need="买药", actor="test")
    li = add_volunteer("李四", LI, grids=["东区"])
    dispatcher = Dispatcher({"sms": Unsubscribed()}, DispatchSettings(rate_per_second=0), ZONE, sleep=lambda s: None)
    dispatcher.run_once()
    assert [status for status, _ in texts_to(ZHANG)] == ["failed"]
    escalate_overdue()  # the scheduler's pass
    assert Task.get_by_id(task.id).volunteer_id == li.id
    assert Alert.select().where(Alert.kind == "task_reassigned").count() == 1
    dispatcher.run_once()
    assert [status for status, _ in texts_to(LI)] == ["delivered"]


def test_the_escalation_pass_hands_on_texts_skipped_later(wang: Resident) -> None:
    zhang = add_volunteer("张三", ZHANG, grids=["东区"])
    task = create_task("help", resident_id=wang.id, need="买药", actor="test")
    li = add_volunteer("李四", LI, grids=["东区"])
    # The dispatcher skipped the text: the number was on the opt-out list when it came due.
    Message.update(status="skipped", error="opted out").where(Message.volunteer == zhang.id).execute()
    escalate_overdue()
    assert Task.get_by_id(task.id).volunteer_id == li.id
    assert Alert.get().kind == "task_reassigned"
