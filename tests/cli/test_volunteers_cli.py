"""`linli volunteers pending | approve | decline | pause | resume | deactivate | edit`."""

from __future__ import annotations

import json
from pathlib import Path

from kit.community import init_community
from kit.models import Community, Message, Volunteer
from kit.residents import grid_id_for
from kit.volunteer_models import VolunteerSignup
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
    assert run("volunteers", "pending").stdout == "没有待审核的报名。\n"
    handle("simulator", "SM1", STRANGER, "报名 志愿者 第3网格 跑腿")
    handle("simulator", "SM2", "+8613700000001", "JOIN volunteer grid 9 driving")
    assert run("volunteers", "pending").stdout.splitlines() == [
        "编号  电话               姓名  网格                    技能  报名短信",
        "1     +86 137 0000 0000  ?     第3网格                 跑腿  报名 志愿者 第3网格 跑腿",
        "2     +86 137 0000 0001  ?     grid 9（没有这个网格）  开车  JOIN volunteer grid 9 driving",
    ]
    listed = json.loads(run("volunteers", "pending", "--json").stdout)
    assert [(s["id"], s["grid"], s["grid_asked"]) for s in listed] == [(1, "第3网格", "第3网格"), (2, "", "grid 9")]
    line = one_line_error(run("volunteers", "approve", "1"))
    assert line == "请检查输入：+8613700000000 的报名 1 没有留姓名：批准时请填上，例如 --name 李明。"
    result = run("volunteers", "approve", "1", "--name", "李明")
    assert result.stdout == "已批准报名 1：志愿者 #1 李明，已短信通知。\n"
    assert texts_to(STRANGER)[-1].startswith("李明，欢迎加入社区志愿者！")
    assert one_line_error(run("volunteers", "approve", "1", "--name", "李明")).endswith("报名 1 已经批准过了。")
    line = one_line_error(run("volunteers", "approve", "2", "--name", "Tom"))
    assert line.endswith("报名 2 想去的网格“grid 9”不存在：批准时请指定 TA 负责的网格，例如 --grid 第3网格。")
    assert run("volunteers", "approve", "2", "--name", "Tom", "--grid", "第3网格").exit_code == 0
    assert [v.name for v in Volunteer.select().order_by(Volunteer.id)] == ["李明", "Tom"]


def test_decline_with_a_reason_tells_them(run: Run, community: Community) -> None:
    handle("simulator", "SM1", STRANGER, "报名 志愿者")
    result = run("volunteers", "decline", "1", "--why", "本网格志愿者已满")
    assert result.stdout == "已拒绝 +86 137 0000 0000 的报名 1，已短信通知。\n"
    assert texts_to(STRANGER)[-1] == "抱歉，您的志愿者报名这次未通过：本网格志愿者已满。感谢您的热心！"
    assert VolunteerSignup.get_by_id(1).reason == "本网格志愿者已满"
    assert one_line_error(run("volunteers", "decline", "7")).startswith("找不到：没有报名 7；")


def test_pause_resume_deactivate_and_list(run: Run, community: Community) -> None:
    add_volunteer("张三", ZHANG, grids=["东区"])
    assert run("volunteers", "pause", "1").stdout == "志愿者 #1 张三：已暂停（恢复前不派任务）。\n"
    assert run("volunteers", "list").stdout.splitlines()[1].split()[-1] == "暂停"
    line = one_line_error(run("volunteers", "pause", "1"))
    assert line.endswith("张三已经暂停了；要重新暂停，请先恢复。")
    assert run("volunteers", "resume", ZHANG).stdout == "志愿者 #1 张三：已恢复在岗。\n"
    assert run("volunteers", "deactivate", "1").stdout == "志愿者 #1 张三：已停用（用 resume 可以恢复）。\n"
    assert run("volunteers", "list").stdout.splitlines()[1].split()[-1] == "否"
    assert one_line_error(run("volunteers", "deactivate", "1")).endswith("张三已经停用了。")
    assert one_line_error(run("volunteers", "pause", "9")).endswith("找不到志愿者 9。")


def test_edit(run: Run, community: Community) -> None:
    add_volunteer("张三", ZHANG, grids=["东区"])
    result = run(
        "volunteers", "edit", "1", "--name", "张三丰", "--grid", "西区", "--grid", "北区", "--skills", "跑腿,医疗"
    )
    assert result.stdout == "志愿者 #1 张三丰，+86 139 0000 0009：网格 北区、西区；技能 跑腿、医疗；语言 zh。\n"
    line = one_line_error(run("volunteers", "edit", "1", "--skills", "唱歌"))
    assert line == (
        "请检查输入：“唱歌”不是可选的技能，请用：errands, medical, counselling, driving"
        "（也可写跑腿、医疗、心理、开车）。"
    )
    add_volunteer("李四", "+8613900000008")
    line = one_line_error(run("volunteers", "edit", "2", "--phone", ZHANG))
    assert line.endswith(f"{ZHANG} 已经是志愿者 #1 张三丰的号码。")


def test_an_english_community_reads_english(run: Run, database: Path | str) -> None:
    init_community("Riverside", "CN", "Asia/Shanghai", ["en", "zh"], actor="test")
    add_volunteer("Tom", ZHANG, skills="errands", grids=["East"])
    assert run("volunteers", "list").stdout.splitlines() == [
        "ID  NAME  PHONE              SKILLS   GRIDS  POINTS  ACTIVE  OPTED OUT",
        "1   Tom   +86 139 0000 0009  errands  East   0       yes",
    ]
    assert run("volunteers", "pause", "1").stdout == "Volunteer #1 Tom: paused (no tasks until resumed).\n"
    line = one_line_error(run("volunteers", "pause", "1"))
    assert line == "Already exists: Tom is already paused; resume them first to pause again."
    assert run("volunteers", "pending").stdout == "No sign-ups are waiting.\n"
