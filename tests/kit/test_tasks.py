"""Tasks: least-loaded assignment, the volunteer's SMS, completion, cancellation, escalation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kit.assignment import suggest_volunteer
from kit.clock import FixedClock, utcnow
from kit.errors import Conflict, NotFound, ValidationError
from kit.escalation import escalate_overdue
from kit.models import Alert, CheckinRound, Community, Grid, Message, Resident, Task, Volunteer
from kit.residents import ResidentInput, add_resident
from kit.tasks import (
    Visit,
    assign_task,
    cancel_task,
    complete_task,
    create_door_knocks,
    create_task,
    list_tasks,
    task_counts,
)
from kit.volunteers import add_volunteer


@pytest.fixture
def wang(community: Community) -> Resident:
    return add_resident(
        ResidentInput(name="王芳", phone="+8613800000001", grid="东区", building="3", unit="2", room="201")
    )


def volunteer(name: str, phone: str, grid: str = "东区", **kwargs: object) -> Volunteer:
    return add_volunteer(name, phone, grids=[grid], **kwargs)  # type: ignore[arg-type]


def sms_to(phone: str) -> list[str]:
    query = Message.select().where((Message.direction == "out") & (Message.peer == phone)).order_by(Message.id)
    return [m.body for m in query]


def test_tasks_go_to_the_least_loaded_volunteer_of_the_grid(wang: Resident) -> None:
    first = volunteer("张三", "+8613900000001")
    second = volunteer("李四", "+8613900000002")
    volunteer("赵五", "+8613900000003", grid="西区")
    tasks = [create_task("errand", resident_id=wang.id, need=f"买菜{n}", actor="test") for n in range(3)]
    assert [t.volunteer_id for t in tasks] == [first.id, second.id, first.id]  # a tie goes to the lowest id
    assert all(t.state == "assigned" for t in tasks)
    assert sms_to(first.phone)[0] == (
        "任务1：代购代办。王芳 3-2-201 +8613800000001。需要：买菜0。接单回复：接 1，完成后回复：完成 1"
    )


def test_inactive_volunteers_get_nothing(wang: Resident) -> None:
    busy = volunteer("张三", "+8613900000001")
    Volunteer.update(active=False).where(Volunteer.id == busy.id).execute()
    standby = volunteer("李四", "+8613900000002")
    assert suggest_volunteer(wang.grid_id) == standby


def test_a_resident_without_a_grid_can_be_helped_by_anyone(community: Community) -> None:
    helper = volunteer("张三", "+8613900000001", grid="西区")
    loner = add_resident(ResidentInput(name="孤老", phone="+8613800000005"))
    task = create_task("help", resident_id=loner.id, need="买药", actor="test")
    assert task.volunteer_id == helper.id


def test_nobody_covers_the_grid(wang: Resident) -> None:
    volunteer("赵五", "+8613900000003", grid="西区")
    task = create_task("help", resident_id=wang.id, need="买药", actor="test")
    assert (task.state, task.volunteer_id) == ("open", None)
    alert = Alert.get()
    assert (alert.kind, alert.task_id) == ("task_unassigned", task.id)
    assert "东区没有在岗的志愿者" in alert.text
    with pytest.raises(NotFound, match="东区没有在岗的志愿者。请指定一位志愿者"):
        assign_task(task.id, actor="test")
    west = Volunteer.get(Volunteer.phone == "+8613900000003")
    assert assign_task(task.id, west.id, actor="test").volunteer_id == west.id
    assert sms_to(west.phone) == [
        "任务1：求助。王芳 3-2-201 +8613800000001。需要：买药。接单回复：接 1，完成后回复：完成 1"
    ]


def test_reassigning_tells_both_volunteers(wang: Resident) -> None:
    first = volunteer("张三", "+8613900000001")
    second = volunteer("李四", "+8613900000002")
    task = create_task("delivery", resident_id=wang.id, need="送口罩", actor="test")
    assign_task(task.id, second.id, actor="test")
    assign_task(task.id, second.id, actor="test")  # again: nothing new
    assert sms_to(first.phone)[-1] == "任务1已取消，不用再去了。谢谢！"
    assert sms_to(second.phone) == [
        "任务1：配送。王芳 3-2-201 +8613800000001。需要：送口罩。接单回复：接 1，完成后回复：完成 1"
    ]


def test_completing_twice_counts_once(wang: Resident) -> None:
    helper = volunteer("张三", "+8613900000001")
    task = create_task("help", resident_id=wang.id, need="买药", actor="test")
    complete_task(task.id, volunteer_id=helper.id, actor="test")
    again = complete_task(task.id, volunteer_id=helper.id, actor="test")
    assert (again.state, again.done_at) == ("done", utcnow())
    assert Volunteer.get_by_id(helper.id).points == 1
    assert sms_to(helper.phone)[1:] == ["谢谢！任务1已完成，积分+1。"]
    assert sms_to(wang.phone) == ["您的求助（编号1）已完成。有需要请随时回复3。"]


def test_only_the_assigned_volunteer_can_complete(wang: Resident) -> None:
    volunteer("张三", "+8613900000001")
    other = volunteer("赵五", "+8613900000003", grid="西区")
    task = create_task("help", resident_id=wang.id, actor="test")
    with pytest.raises(NotFound, match="No task 1 for this volunteer"):
        complete_task(task.id, volunteer_id=other.id, actor="test")
    with pytest.raises(NotFound, match="No task 99"):
        complete_task(99, actor="test")


def test_cancelling(wang: Resident) -> None:
    helper = volunteer("张三", "+8613900000001")
    task = create_task("help", resident_id=wang.id, actor="test")
    cancel_task(task.id, reason="家人已买到", actor="test")
    cancel_task(task.id, actor="test")
    assert Task.get_by_id(task.id).notes == "家人已买到"
    assert sms_to(helper.phone)[-1] == "任务1已取消，不用再去了。谢谢！"
    assert len(sms_to(helper.phone)) == 2
    with pytest.raises(Conflict, match="cancelled"):
        complete_task(task.id, actor="test")
    with pytest.raises(Conflict, match="already cancelled") as caught:
        assign_task(task.id, actor="test")
    assert caught.value.text("zh") == f"任务 {task.id} 已取消，不用再分派。"  # the state in the reader's words
    done = create_task("help", resident_id=wang.id, actor="test")
    complete_task(done.id, actor="test")
    with pytest.raises(Conflict, match="already done"):
        cancel_task(done.id, actor="test")


def test_unknown_kind(wang: Resident) -> None:
    with pytest.raises(ValidationError, match="'shopping' is not a kind of task"):
        create_task("shopping", resident_id=wang.id, actor="test")


def test_overdue_tasks_are_escalated_once(wang: Resident, fixed_clock: FixedClock) -> None:
    helper = volunteer("张三", "+8613900000001")
    late = create_task("help", resident_id=wang.id, need="买药", due_at=utcnow() + timedelta(hours=2), actor="test")
    create_task("help", resident_id=wang.id, need="买菜", due_at=utcnow() + timedelta(hours=5), actor="test")
    fixed_clock.advance(hours=3)
    assert escalate_overdue() == 1
    assert escalate_overdue() == 0
    alert = Alert.get()
    assert (alert.kind, alert.task_id) == ("task_overdue", late.id)
    assert alert.text == (
        "任务1（求助，王芳 3-2-201）应在11:00前完成，还没有完成。请打电话给张三（+8613900000001）或改派。"
    )
    assert helper.id == Task.get_by_id(late.id).volunteer_id


def test_an_unassigned_help_request_is_offered_again_when_overdue(wang: Resident, fixed_clock: FixedClock) -> None:
    task = create_task("help", resident_id=wang.id, due_at=utcnow() + timedelta(hours=1), actor="test")
    assert task.state == "open"
    helper = volunteer("张三", "+8613900000001")  # joined after the request came in
    fixed_clock.advance(hours=2)
    assert escalate_overdue() == 1
    assert Task.get_by_id(task.id).volunteer_id == helper.id
    assert {a.kind for a in Alert.select()} == {"task_unassigned", "task_overdue"}


def test_ladder_door_knocks_are_left_to_the_ladder(wang: Resident, fixed_clock: FixedClock) -> None:
    volunteer("张三", "+8613900000001")
    round_ = CheckinRound.create(local_date=utcnow().date())
    create_door_knocks(
        [Visit(wang.id, wang.grid_id)], due_at=utcnow() + timedelta(hours=1), round_id=round_.id, actor="t"
    )
    fixed_clock.advance(hours=2)
    assert escalate_overdue() == 0


def test_door_knocks_in_bulk_are_spread_by_load(community: Community) -> None:
    first = volunteer("张三", "+8613900000001")
    second = volunteer("李四", "+8613900000002")
    grid = Grid.get(Grid.name == "东区")
    residents = [
        add_resident(ResidentInput(name=f"住户{n}", grid="东区", building="1", room=str(100 + n))) for n in range(5)
    ]
    create_task("errand", resident_id=residents[0].id, actor="test")  # 张三 already has one
    created = create_door_knocks(
        [Visit(r.id, grid.id) for r in residents], due_at=utcnow() + timedelta(hours=3), round_id=None, actor="test"
    )
    holders = [Task.get_by_id(created[r.id]).volunteer_id for r in residents]
    assert holders == [second.id, first.id, second.id, first.id, second.id]
    assert sms_to(second.phone)[0] == (
        "任务2：上门查看 住户0 1-100（没有手机）。请在12:00前完成。接单回复：接 2，完成后回复：完成 2"
    )
    assert task_counts() == {"open": 0, "assigned": 6, "accepted": 0, "done": 0, "cancelled": 0}


def test_door_knocks_nobody_covers_raise_one_alert_per_grid(community: Community) -> None:
    residents = [add_resident(ResidentInput(name=f"住户{n}", grid="北区", room=str(n))) for n in range(3)]
    create_door_knocks(
        [Visit(r.id, r.grid_id) for r in residents], due_at=utcnow() + timedelta(hours=3), round_id=None, actor="t"
    )
    assert [a.text.split("没有人做")[0] for a in Alert.select()] == ["北区有3个上门任务"]
    assert task_counts()["open"] == 3


def test_list_tasks(wang: Resident) -> None:
    helper = volunteer("张三", "+8613900000001")
    create_task("help", resident_id=wang.id, need="买药", actor="test")
    done = create_task("errand", resident_id=wang.id, need="买菜", actor="test")
    complete_task(done.id, actor="test")
    views = list_tasks()
    assert [(v.id, v.kind, v.state, v.need, v.resident, v.address, v.grid, v.volunteer) for v in views] == [
        (2, "errand", "done", "买菜", "王芳", "3-2-201", "东区", "张三"),
        (1, "help", "assigned", "买药", "王芳", "3-2-201", "东区", "张三"),
    ]
    assert [v.id for v in list_tasks("unfinished")] == [1]
    assert [v.id for v in list_tasks(volunteer_id=helper.id, kind="errand")] == [2]
    with pytest.raises(ValidationError, match="'finished' is not a task state"):
        list_tasks("finished")
