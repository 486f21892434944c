"""Offering tasks: accept, decline, offers that lapse, skills first, and volunteers who pause, leave or are edited."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from kit.clock import FixedClock, utcnow
from kit.errors import Conflict, NotFound, ValidationError
from kit.models import Alert, AuditEntry, Community, Message, Resident, Task, Volunteer
from kit.residents import ResidentInput, add_resident
from kit.task_offers import accept_task, decline_task, move_on_unaccepted
from kit.tasks import assign_task, complete_task, create_task
from kit.volunteer_models import TaskDecline
from kit.volunteers import add_volunteer, deactivate, list_volunteers, pause, resume, update

pytestmark = pytest.mark.each_database

WANG = "+8613800000001"
ZHANG = "+8613900000001"
LI = "+8613900000002"
CHEN = "+8613900000003"


@pytest.fixture
def grid(community: Community) -> Resident:
    """王芳 in grid 东区, with three volunteers there: 张三, 李四 (medical), 陈五."""
    add_volunteer("张三", ZHANG, grids=["东区"])
    add_volunteer("李四", LI, grids=["东区"], skills="医疗")
    add_volunteer("陈五", CHEN, grids=["东区"])
    return add_resident(ResidentInput(name="王芳", phone=WANG, grid="东区", building="3", room="201"))


def volunteer(phone: str) -> Volunteer:
    return Volunteer.get(Volunteer.phone == phone)


def sms_to(phone: str) -> list[str]:
    query = Message.select(Message.body).where((Message.direction == "out") & (Message.peer == phone))
    return [body for (body,) in query.order_by(Message.id).tuples()]


def test_a_medicine_errand_goes_to_the_volunteer_with_the_skill_first(grid: Resident) -> None:
    medicine = create_task("errand", resident_id=grid.id, need="买降压药", actor="test")
    assert medicine.volunteer_id == volunteer(LI).id  # medical, though 张三 has the lowest id
    groceries = create_task("errand", resident_id=grid.id, need="买菜", actor="test")
    assert groceries.volunteer_id == volunteer(ZHANG).id  # least loaded, no skill asked for
    again = create_task("errand", resident_id=grid.id, need="need medicine", actor="test")
    assert again.volunteer_id == volunteer(LI).id  # skilled beats less loaded


def test_a_medicine_errand_without_anyone_skilled_goes_to_the_least_loaded(community: Community) -> None:
    add_volunteer("张三", ZHANG, grids=["东区"])
    resident = add_resident(ResidentInput(name="王芳", phone=WANG, grid="东区"))
    assert create_task("errand", resident_id=resident.id, need="买药", actor="test").volunteer_id == volunteer(ZHANG).id


def test_accept_marks_the_task_accepted_and_it_no_longer_lapses(grid: Resident, fixed_clock: FixedClock) -> None:
    task = create_task("help", resident_id=grid.id, need="买菜", actor="test")
    assert task.state == "assigned" and task.offered_at is not None
    accepted = accept_task(task.id, volunteer_id=volunteer(ZHANG).id, actor="sms")
    assert (accepted.state, accepted.accepted_at, accepted.offered_at) == ("accepted", utcnow(), None)
    assert accept_task(task.id, volunteer_id=volunteer(ZHANG).id, actor="sms").state == "accepted"  # again: same
    fixed_clock.advance(hours=2)
    assert move_on_unaccepted(30) == 0
    assert Task.get_by_id(task.id).volunteer_id == volunteer(ZHANG).id


def test_accepting_someone_elses_task_or_a_finished_one_changes_nothing(grid: Resident) -> None:
    task = create_task("help", resident_id=grid.id, need="买菜", actor="test")
    with pytest.raises(NotFound):
        accept_task(task.id, volunteer_id=volunteer(LI).id, actor="sms")
    with pytest.raises(NotFound):
        accept_task(999, volunteer_id=volunteer(ZHANG).id, actor="sms")
    complete_task(task.id, actor="test")
    with pytest.raises(Conflict) as caught:
        accept_task(task.id, volunteer_id=volunteer(ZHANG).id, actor="sms")
    assert caught.value.message == f"Task {task.id} is already done."
    assert Task.get_by_id(task.id).state == "done"


def test_decline_goes_to_the_next_volunteer_skipping_those_who_declined(grid: Resident) -> None:
    task = create_task("help", resident_id=grid.id, need="买菜", actor="test")
    assert decline_task(task.id, volunteer_id=volunteer(ZHANG).id, actor="sms") == volunteer(LI)
    assert decline_task(task.id, volunteer_id=volunteer(LI).id, actor="sms") == volunteer(CHEN)
    assert Task.get_by_id(task.id).state == "assigned"
    assert sms_to(ZHANG)[1:] == []  # the decliner is not told it is "cancelled": they said so themselves
    assert decline_task(task.id, volunteer_id=volunteer(CHEN).id, actor="sms") is None
    after = Task.get_by_id(task.id)
    assert (after.state, after.volunteer_id, after.offered_at) == ("open", None, None)
    (alert,) = Alert.select()
    assert alert.kind == "task_unassigned" and alert.task_id == task.id
    assert alert.text == (
        f"任务{task.id}：张三, 李四, 陈五都没有接（拒绝、暂停或未回复），东区没有其他志愿者可接。"
        "请手工派给志愿者，或为该网格添加志愿者。"
    )
    assert [reason for (reason,) in TaskDecline.select(TaskDecline.reason).tuples()] == ["declined"] * 3


def test_an_offer_not_accepted_in_time_moves_on_and_the_volunteer_is_told(
    grid: Resident, fixed_clock: FixedClock
) -> None:
    task = create_task("help", resident_id=grid.id, need="买菜", actor="test")
    fixed_clock.advance(minutes=29)
    assert move_on_unaccepted(30) == 0
    fixed_clock.advance(minutes=1)
    assert move_on_unaccepted(30) == 1
    assert Task.get_by_id(task.id).volunteer_id == volunteer(LI).id
    assert sms_to(ZHANG)[-1] == f"任务{task.id}您30分钟内没有回复接单，已转给其他志愿者，不用再去了。"
    assert sms_to(LI)[-1].startswith(f"任务{task.id}：求助。王芳")
    assert move_on_unaccepted(30) == 0  # the new offer has its own 30 minutes
    assert move_on_unaccepted(0) == 0  # 0: offers never lapse


def test_an_offer_nobody_else_can_take_stays_under_one_alert(community: Community, fixed_clock: FixedClock) -> None:
    add_volunteer("张三", ZHANG, grids=["东区"])
    resident = add_resident(ResidentInput(name="王芳", phone=WANG, grid="东区"))
    task = create_task("help", resident_id=resident.id, need="买菜", actor="test")
    fixed_clock.advance(minutes=45)
    assert move_on_unaccepted(30) == 1
    after = Task.get_by_id(task.id)
    assert (after.state, after.volunteer_id, after.offered_at) == ("assigned", volunteer(ZHANG).id, None)
    (alert,) = Alert.select()
    assert alert.kind == "task_not_accepted"
    assert alert.text == (
        f"任务{task.id}派给张三（{ZHANG}）已30分钟没有接单，网格里没有其他志愿者可转派。请打电话给TA，或手工改派。"
    )
    fixed_clock.advance(hours=1)
    assert move_on_unaccepted(30) == 0 and Alert.select().count() == 1


def test_pause_hands_on_offers_keeps_accepted_tasks_and_gets_no_new_ones(grid: Resident) -> None:
    zhang = volunteer(ZHANG)
    offered = create_task("help", resident_id=grid.id, need="买菜", actor="test")
    kept = assign_task(create_task("help", resident_id=grid.id, need="送饭", actor="test").id, zhang.id, actor="test")
    accept_task(kept.id, volunteer_id=zhang.id, actor="sms")
    assert offered.volunteer_id == zhang.id
    paused = pause(zhang.id, "小李")
    assert paused.status == "paused"
    assert Task.get_by_id(offered.id).volunteer_id != zhang.id
    assert Task.get_by_id(kept.id).volunteer_id == zhang.id
    assert create_task("help", resident_id=grid.id, need="买菜", actor="test").volunteer_id != zhang.id
    with pytest.raises(Conflict) as caught:
        pause(zhang.id, "小李")
    assert caught.value.message == "张三 is already paused; resume them first to pause again."
    assert resume(zhang.id, "小李").status == "active"
    with pytest.raises(Conflict):
        resume(zhang.id, "小李")
    actions = [a for (a,) in AuditEntry.select(AuditEntry.action).where(AuditEntry.entity == "volunteer").tuples()]
    assert actions[-2:] == ["pause", "resume"]


def test_deactivate_hands_on_every_open_task_and_tells_the_volunteer(grid: Resident) -> None:
    task = create_task("help", resident_id=grid.id, need="买菜", actor="test")
    accept_task(task.id, volunteer_id=volunteer(ZHANG).id, actor="sms")
    gone = deactivate(volunteer(ZHANG).id, "小李")
    assert (gone.active, gone.status) == (False, "inactive")
    assert Task.get_by_id(task.id).volunteer_id == volunteer(LI).id
    assert sms_to(ZHANG)[-1] == f"任务{task.id}已取消，不用再去了。谢谢！"
    with pytest.raises(Conflict):
        deactivate(volunteer(ZHANG).id, "小李")
    with pytest.raises(Conflict):
        pause(volunteer(ZHANG).id, "小李")
    assert [v.status for v in list_volunteers()] == ["inactive", "active", "active"]
    assert resume(volunteer(ZHANG).id, "小李").status == "active"


def test_update_changes_what_is_given_and_audits_old_and_new(grid: Resident) -> None:
    zhang = volunteer(ZHANG)
    update(zhang.id, actor="小李", name=" 张  三丰 ", grids=["西区", "东区"], skills="开车")
    after = list_volunteers()[0]
    assert (after.name, after.grids, after.skills, after.phone) == ("张 三丰", ("东区", "西区"), ("driving",), ZHANG)
    entry = AuditEntry.select().where(AuditEntry.action == "edit").get()
    assert json.loads(entry.detail) == {
        "name": ["张三", "张 三丰"],
        "skills": ["", "driving"],
        "grids": [["东区"], ["西区", "东区"]],
    }
    with pytest.raises(Conflict) as caught:
        update(zhang.id, actor="小李", phone=LI)
    assert caught.value.message == f"{LI} is already the number of volunteer #{volunteer(LI).id} 李四."
    with pytest.raises(ValidationError):
        update(zhang.id, actor="小李", skills="唱歌")
    with pytest.raises(NotFound):
        update(999, actor="小李", name="x")
    update(zhang.id, actor="小李")  # nothing given: nothing changes, nothing audited
    assert AuditEntry.select().where(AuditEntry.action == "edit").count() == 1


def test_a_task_given_before_offers_could_lapse_never_moves(grid: Resident, fixed_clock: FixedClock) -> None:
    task = create_task("help", resident_id=grid.id, need="买菜", actor="test")
    Task.update(offered_at=None).where(Task.id == task.id).execute()  # as the upgrade leaves an assigned task
    fixed_clock.advance(hours=3)
    assert move_on_unaccepted(30) == 0
    assert Task.get_by_id(task.id).volunteer_id == volunteer(ZHANG).id


def test_the_offer_time_is_kept_as_the_clock_says(grid: Resident, fixed_clock: FixedClock) -> None:
    before = utcnow()
    task = create_task("help", resident_id=grid.id, need="买菜", actor="test")
    assert task.offered_at == before
    fixed_clock.advance(minutes=31)
    move_on_unaccepted(30)
    assert Task.get_by_id(task.id).offered_at == before + timedelta(minutes=31)
