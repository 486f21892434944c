"""`linli volunteers pending | approve | decline | pause | resume | deactivate | edit`."""

from __future__ import annotations

import json

from kit.models import Community, Message, Volunteer, VolunteerSignup
from kit.residents import grid_id_for
from kit.volunteers import add_volunteer
from sms.router import handle
from tests.cli_run import Run, one_line_error

STRANGER = "+8613700000000"
ZHANG = "+8613900000009"


def texts_to(phone: str) -> list[str]:
    query = Message.select(Message.body).where((Message.direction == "out") & (Message.peer == phone))
    return [body for (body,) in query.order_by(Message.id).tuples()]


def test_pending_then_approve_with_a_name(run: Run, community: Community) -> None:
    grid_id_for("第3网格")
    assert run("volunteers", "pending").stdout == "No sign-ups are waiting.\n"
    handle("simulator", "SM1", STRANGER, "报名 志愿者 第3网格 跑腿")
    handle("simulator", "SM2", "+8613700000001", "JOIN volunteer grid 9 driving")
    assert run("volunteers", "pending").stdout.splitlines() == [
        "ID  PHONE              NAME  GRID                   SKILLS   THEY SENT",
        "1   +86 137 0000 0000  ?     第3网格                errands  报名 志愿者 第3网格 跑腿",
        "2   +86 137 0000 0001  ?     grid 9 (no such grid)  driving  JOIN volunteer grid 9 driving",
    ]
    listed = json.loads(run("volunteers", "pending", "--json").stdout)
    assert [(s["id"], s["grid"], s["grid_asked"]) for s in listed] == [(1, "第3网格", "第3网格"), (2, "", "grid 9")]
    line = one_line_error(run("volunteers", "approve", "1"))
    assert (
        line
        == "Please check the input: Sign-up 1 from +8613700000000 gave no name: approve it with one, e.g. --name 李明."
    )
    result = run("volunteers", "approve", "1", "--name", "李明")
    assert result.stdout == "Approved sign-up 1: volunteer #1 李明, told by SMS.\n"
    assert texts_to(STRANGER)[-1].startswith("李明，欢迎加入社区志愿者！")
    assert one_line_error(run("volunteers", "approve", "1", "--name", "李明")).endswith(
        "Sign-up 1 was already approved."
    )
    line = one_line_error(run("volunteers", "approve", "2", "--name", "Tom"))
    assert line.endswith("Sign-up 2 asked for grid 'grid 9', which does not exist: approve it with the grid they "
                         "cover, e.g. --grid 第3网格.")  # fmt: skip
    assert run("volunteers", "approve", "2", "--name", "Tom", "--grid", "第3网格").exit_code == 0
    assert [v.name for v in Volunteer.select().order_by(Volunteer.id)] == ["李明", "Tom"]


def test_decline_with_a_reason_tells_them(run: Run, community: Community) -> None:
    handle("simulator", "SM1", STRANGER, "报名 志愿者")
    result = run("volunteers", "decline", "1", "--why", "本网格志愿者已满")
    assert result.stdout == "Declined sign-up 1 from +86 137 0000 0000, told by SMS.\n"
    assert texts_to(STRANGER)[-1] == "抱歉，您的志愿者报名这次未通过：本网格志愿者已满。感谢您的热心！"
    assert VolunteerSignup.get_by_id(1).reason == "本网格志愿者已满"
    assert one_line_error(run("volunteers", "decline", "7")).startswith("Not found: No sign-up 7;")


def test_pause_resume_deactivate_and_list(run: Run, community: Community) -> None:
    add_volunteer("张三", ZHANG, grids=["东区"])
    assert run("volunteers", "pause", "1").stdout == "Volunteer #1 张三: paused (no tasks until resumed).\n"
    assert run("volunteers", "list").stdout.splitlines()[1].split()[-1] == "paused"
    line = one_line_error(run("volunteers", "pause", "1"))
    assert line.endswith("张三 is already paused; resume them first to pause again.")
    assert run("volunteers", "resume", ZHANG).stdout == "Volunteer #1 张三: on duty.\n"
    assert run("volunteers", "deactivate", "1").stdout == "Volunteer #1 张三: inactive (resume brings them back).\n"
    assert run("volunteers", "list").stdout.splitlines()[1].split()[-1] == "no"
    assert one_line_error(run("volunteers", "deactivate", "1")).endswith("张三 is already inactive.")
    assert one_line_error(run("volunteers", "pause", "9")).endswith("No volunteer 9.")


def test_edit(run: Run, community: Community) -> None:
    add_volunteer("张三", ZHANG, grids=["东区"])
    result = run(
        "volunteers", "edit", "1", "--name", "张三丰", "--grid", "西区", "--grid", "北区", "--skills", "跑腿,医疗"
    )
    assert (
        result.stdout
        == "Volunteer #1 张三丰, +86 139 0000 0009: grids 北区, 西区; skills errands, medical; language zh.\n"
    )
    line = one_line_error(run("volunteers", "edit", "1", "--skills", "唱歌"))
    assert line == "Please check the input: '唱歌' is not a skill; use: errands, medical, counselling, driving."
    add_volunteer("李四", "+8613900000008")
    line = one_line_error(run("volunteers", "edit", "2", "--phone", ZHANG))
    assert line.endswith(f"{ZHANG} is already the number of volunteer #1 张三丰.")
