"""Neighbour points (邻里积分): one ledger, awarded once per task or answer, read a month at a time."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone

import pytest

from kit import db
from kit.clock import FixedClock
from kit.errors import NotFound, ValidationError
from kit.migrations import m0008_points
from kit.models import Community, Resident, Task, Volunteer
from kit.outbox import Draft, queue
from kit.points import award_second_contact, month_points, parse_month
from kit.residents import ResidentInput, add_resident
from kit.tasks import complete_task, create_task
from kit.volunteer_models import PointEntry
from kit.volunteers import add_volunteer

pytestmark = pytest.mark.each_database  # the ledger and its migration: SQLite and PostgreSQL

LI = "+8613900000001"  # 李明: a resident of 第1网格 who volunteers there
WANG = "+8613800000002"  # 王芳, who needs help
DAUGHTER = "+8613700000003"  # 王芳's second contact, in neither list


@pytest.fixture
def street(community: Community) -> Community:
    add_resident(ResidentInput(name="李明", phone=LI, grid="第1网格", building="1", unit="1", room="101"))
    add_resident(ResidentInput(name="王芳", phone=WANG, second_phone=DAUGHTER, grid="第1网格", building="1", room="2"))
    add_volunteer("李明", LI, grids=["第1网格"])
    return community


def errand_for_wang() -> Task:
    wang = Resident.get(Resident.phone == WANG)
    return create_task("errand", resident_id=wang.id, need="买药", points=2, actor="test")


def test_a_resident_volunteers_done_task_earns_the_resident_points_once(street: Community) -> None:
    task = errand_for_wang()
    assert task.volunteer_id == Volunteer.get(Volunteer.phone == LI).id
    complete_task(task.id, actor="test")
    complete_task(task.id, actor="test")  # again: nothing more
    entry = PointEntry.get()
    li = Resident.get(Resident.phone == LI)
    assert (entry.resident_id, entry.volunteer_id, entry.points, entry.reason) == (li.id, task.volunteer_id, 2, "task")
    assert (entry.task_id, entry.neighbour_id, entry.phone) == (task.id, task.resident_id, None)
    assert Volunteer.get(Volunteer.phone == LI).points == 2  # the running total grows with the ledger, once
    people = month_points(date(2026, 11, 1)).people
    assert [(p.name, p.role, p.points, p.tasks, p.grids) for p in people] == [("李明", "resident", 2, 1, ("第1网格",))]


def test_a_volunteer_who_is_not_a_resident_earns_as_a_volunteer(street: Community) -> None:
    Resident.update(phone=None).where(Resident.phone == LI).execute()
    complete_task(errand_for_wang().id, actor="test")
    person = month_points(date(2026, 11, 1)).people[0]
    assert (person.name, person.role, person.phone, person.points) == ("李明", "volunteer", LI, 2)


def test_a_task_done_by_nobody_or_cancelled_earns_nothing(street: Community) -> None:
    wang = Resident.get(Resident.phone == WANG)
    Volunteer.update(active=False).execute()
    lonely = create_task("help", resident_id=wang.id, actor="test")
    assert lonely.volunteer_id is None
    complete_task(lonely.id, actor="test")
    assert PointEntry.select().count() == 0


def test_a_second_contacts_answer_earns_points_once_per_round(street: Community) -> None:
    wang = Resident.get(Resident.phone == WANG)
    queue(Draft(peer=DAUGHTER, body="王芳没有回复", kind="second_contact", key="second:1", resident_id=wang.id))
    assert award_second_contact(DAUGHTER, wang.id)
    assert not award_second_contact(DAUGHTER, wang.id)  # a second "1" about the same question
    entry = PointEntry.get()
    assert (entry.phone, entry.resident_id, entry.volunteer_id, entry.neighbour_id) == (DAUGHTER, None, None, wang.id)
    assert (entry.reason, entry.points, entry.grid_id) == ("second_contact", 1, wang.grid_id)
    person = month_points(date(2026, 11, 1)).people[0]
    assert (person.role, person.phone, person.answers, person.answered_for) == ("contact", DAUGHTER, 1, ("王芳",))


def test_a_number_never_asked_about_the_neighbour_earns_nothing(street: Community) -> None:
    wang = Resident.get(Resident.phone == WANG)
    assert not award_second_contact(DAUGHTER, wang.id)
    assert PointEntry.select().count() == 0


def test_the_month_is_the_communitys_local_month(street: Community, fixed_clock: FixedClock) -> None:
    fixed_clock.set(datetime(2026, 11, 30, 15, 30, tzinfo=timezone.utc))  # 23:30 on 30 November in Shanghai
    complete_task(errand_for_wang().id, actor="test")
    fixed_clock.advance(hours=1)  # 00:30 on 1 December in Shanghai, still November in UTC
    complete_task(errand_for_wang().id, actor="test")
    november, december = month_points(date(2026, 11, 1)), month_points(parse_month("2026-12"))
    assert (november.month, november.total, december.month, december.total) == ("2026-11", 2, "2026-12", 2)
    assert parse_month(None) == date(2026, 12, 1)  # this month, by the community's clock
    assert month_points(date(2026, 10, 1)).people == ()


def test_the_grid_filter_and_the_per_grid_totals(street: Community) -> None:
    complete_task(errand_for_wang().id, actor="test")
    add_resident(ResidentInput(name="赵强", phone="+8613800000009", grid="第2网格", building="9", room="1"))
    add_volunteer("孙丽", "+8613900000005", grids=["第2网格"])
    zhao = Resident.get(Resident.name == "赵强")
    complete_task(create_task("errand", resident_id=zhao.id, actor="test").id, actor="test")
    month = month_points(date(2026, 11, 1))
    assert [(g.grid, g.points, g.people, g.tasks) for g in month.grids] == [("第1网格", 2, 1, 1), ("第2网格", 1, 1, 1)]
    only = month_points(date(2026, 11, 1), grid="第2网格")
    assert [(p.name, p.role) for p in only.people] == [("孙丽", "volunteer")]
    with pytest.raises(NotFound, match=re.escape("There is no grid '第9网格'; the grids are: 第1网格, 第2网格.")):
        month_points(date(2026, 11, 1), grid="第9网格")


@pytest.mark.parametrize("text", ["2026-13", "November", "2026", "2026-11-20"])
def test_a_month_that_is_not_one_is_refused(community: Community, text: str) -> None:
    with pytest.raises(ValidationError, match="write it like 2026-11"):
        parse_month(text)


def test_the_migration_writes_the_tasks_done_before_it_into_the_ledger(street: Community) -> None:
    task = errand_for_wang()
    complete_task(task.id, actor="test")
    handle = db.database.obj
    handle.drop_tables([PointEntry])
    m0008_points.migrate(handle)
    entry = PointEntry.get()
    li = Resident.get(Resident.phone == LI)
    assert (entry.key, entry.resident_id, entry.points) == (f"task:{task.id}", li.id, 2)
    assert entry.volunteer_id == task.volunteer_id
    assert (entry.reason, entry.neighbour_id, entry.at) == ("task", task.resident_id, Task.get_by_id(task.id).done_at)
