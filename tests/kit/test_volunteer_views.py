"""The volunteers' board: sign-ups waiting first, then volunteers on duty, paused and inactive, with open tasks."""

from __future__ import annotations

import pytest

from kit.models import Community, Grid
from kit.residents import ResidentInput, add_resident
from kit.tasks import create_task
from kit.volunteer_models import VolunteerSignup
from kit.volunteer_views import split_grids, volunteer_board
from kit.volunteers import add_volunteer, deactivate, pause


@pytest.fixture
def crew(community: Community) -> Community:
    wang = add_resident(ResidentInput(name="王芳", phone="+8613800000001", grid="第1网格", building="1", room="1"))
    first = add_volunteer("李明", "+8613900000001", skills="跑腿", grids=["第1网格"])
    second = add_volunteer("张三", "+8613900000002", grids=["第1网格", "第2网格"])
    add_volunteer("孙丽", "+8613900000003", grids=["第2网格"])
    deactivate(first.id, "test")
    pause(second.id, "test")
    create_task("errand", resident_id=wang.id, actor="test")  # nobody on duty covers 第1网格: it stays open
    create_task("errand", grid_id=Grid.get(Grid.name == "第2网格").id, actor="test")
    VolunteerSignup.create(phone="+8613700000009", text="JOIN volunteer grid 9", grid_asked="第9网格")
    return community


def test_sign_ups_first_then_on_duty_paused_inactive(crew: Community) -> None:
    board = volunteer_board()
    assert [(row.kind, row.name, row.status) for row in board] == [
        ("signup", "", "pending"),
        ("volunteer", "孙丽", "active"),
        ("volunteer", "张三", "paused"),
        ("volunteer", "李明", "inactive"),
    ]
    assert [row.open_tasks for row in board] == [0, 1, 0, 0]
    assert board[0].grid_asked == "第9网格" and board[0].grids == ()  # a grid that does not exist is not one
    assert board[2].grids == ("第1网格", "第2网格") and board[3].skills == ("errands",)


@pytest.mark.parametrize(
    ("text", "grids"),
    [
        ("第1网格，第2网格", ["第1网格", "第2网格"]),
        (" 东区 、 西区 ;", ["东区", "西区"]),
        ("3/4号楼", ["3/4号楼"]),
        ("", []),
    ],
)
def test_grids_typed_in_one_field(text: str, grids: list[str]) -> None:
    assert split_grids(text) == grids
