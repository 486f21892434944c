"""Named operators on the CLI: adding them, signing in with --operator and a PIN, what viewers may not do, the trail."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from kit import audit, db
from kit.community import init_community
from kit.models import Community, Notice, Resident
from kit.operators import add_operator
from kit.residents import ResidentInput, add_resident
from linli.cli.main import main

Run = Callable[..., Result]

ADMIN_PIN, OPERATOR_PIN, VIEWER_PIN = "246810", "135790", "864200"


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch) -> Run:
    """`linli ARGS` with `input` on stdin and `pin` as $LINLI_OPERATOR_PIN (none given: unset)."""
    monkeypatch.delenv("LINLI_OPERATOR", raising=False)
    monkeypatch.delenv("LINLI_OPERATOR_PIN", raising=False)
    runner = CliRunner()

    def invoke(*args: Any, input: str | None = None, pin: str | None = None) -> Result:
        env = {"LINLI_OPERATOR_PIN": pin} if pin is not None else {}
        return runner.invoke(main, [str(arg) for arg in args], input=input, env=env, catch_exceptions=False)

    return invoke


@pytest.fixture
def staffed(community: Community) -> Community:
    """The community with an admin (王芳), an operator (李明) and a viewer (anna), and one resident."""
    add_operator("王芳", ADMIN_PIN, role="admin", actor="test")
    add_operator("李明", OPERATOR_PIN, role="operator", actor="test")
    add_operator("anna", VIEWER_PIN, role="viewer", actor="test")
    add_resident(ResidentInput(name="王秀英", phone="13800138000", grid="第1网格"), actor="test")
    return community


def one_line_error(result: Result) -> str:
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def reopen() -> None:
    """The CLI closed the test's connection: open the same file again to look at it."""
    db.connect(db.resolve_path())


# --- adding and listing ----------------------------------------------------------------------------------------


def test_the_first_admin_is_added_without_signing_in_and_then_listed(run: Run, community: Community) -> None:
    added = run("operators", "add", "王芳", "--role", "admin", "--pin-stdin", input=f"{ADMIN_PIN}\n")
    assert added.exit_code == 0, added.output
    assert added.stdout == "已添加管理员王芳。从现在起请说明您是谁：linli --operator 姓名 ...\n"
    listed = run("--operator", "王芳", "operators", "list", "--json", pin=ADMIN_PIN)
    assert listed.exit_code == 0, listed.output
    [row] = json.loads(listed.stdout)
    assert (row["name"], row["role"], row["active"]) == ("王芳", "admin", True)
    assert ADMIN_PIN not in listed.stdout


def test_init_may_add_the_first_admin(run: Run, database: Path | str) -> None:
    init = ("init", "--name", "幸福里社区", "--region", "CN", "--timezone", "Asia/Shanghai")
    result = run(*init, "--admin", "王芳", "--pin-stdin", input=f"{ADMIN_PIN}\n")
    assert result.exit_code == 0, result.output
    assert "王芳" in result.stdout
    assert "王芳的 PIN 不对" in one_line_error(run("--operator", "王芳", "status", pin="000000"))
    assert run("--operator", "王芳", "status", pin=ADMIN_PIN).exit_code == 0


def test_init_with_a_short_admin_pin_makes_nothing(run: Run, database: Path | str) -> None:
    init = ("init", "--name", "幸福里社区", "--region", "CN", "--timezone", "Asia/Shanghai")
    line = one_line_error(run(*init, "--admin", "王芳", "--pin-stdin", input="123\n"))
    assert "PIN" in line and "3" in line  # too short: in the language `linli init` speaks before there is a community
    reopen()
    assert Community.select().count() == 0


def test_the_first_operator_must_be_an_admin(run: Run, community: Community) -> None:
    line = one_line_error(run("operators", "add", "李明", "--role", "viewer", "--pin-stdin", input="135790\n"))
    assert "第一位值班人员必须是管理员" in line


@pytest.mark.parametrize("pin", ["", "12345"])
def test_a_short_or_empty_pin_is_refused_in_one_line(run: Run, community: Community, pin: str) -> None:
    line = one_line_error(run("operators", "add", "王芳", "--role", "admin", "--pin-stdin", input=f"{pin}\n"))
    assert "PIN" in line


def test_without_a_terminal_or_pin_stdin_the_pin_is_not_guessed(run: Run, community: Community) -> None:
    line = one_line_error(run("operators", "add", "王芳", "--role", "admin"))
    assert "--pin-stdin" in line


def test_only_admins_manage_operators(run: Run, staffed: Community) -> None:
    line = one_line_error(
        run("--operator", "李明", "operators", "add", "bob", "--pin-stdin", input="999999\n", pin=OPERATOR_PIN)
    )
    assert line == "不允许：李明是值班员，不能管理值班人员；请找管理员。"
    done = run("--operator", "王芳", "operators", "deactivate", "anna", pin=ADMIN_PIN)
    assert done.exit_code == 0, done.output
    line = one_line_error(run("--operator", "anna", "status", pin=VIEWER_PIN))
    assert "没有叫“anna”的在用值班人员" in line


def test_an_operator_sets_their_own_pin_but_not_anothers(run: Run, staffed: Community) -> None:
    own = run("--operator", "李明", "operators", "set-pin", "李明", "--pin-stdin", input="11223344\n", pin=OPERATOR_PIN)
    assert own.exit_code == 0, own.output
    other = run("--operator", "李明", "operators", "set-pin", "anna", "--pin-stdin", input="11223344\n", pin="11223344")
    assert "不能管理值班人员" in one_line_error(other)


def test_the_operators_lines_in_the_communitys_words(run: Run, staffed: Community) -> None:
    listed = run("--operator", "王芳", "operators", "list", pin=ADMIN_PIN).stdout.splitlines()
    assert listed[0].split() == ["姓名", "角色", "可登录", "添加日期"]
    assert listed[1].split() == ["anna", "只读用户", "是", "2026-11-20"]
    as_admin = {"pin": ADMIN_PIN}
    assert run("--operator", "王芳", "operators", "set-role", "anna", "operator", **as_admin).stdout == (
        "anna的角色现在是值班员。\n"
    )
    assert run("--operator", "王芳", "operators", "deactivate", "anna", **as_admin).stdout == "anna不能再登录了。\n"
    assert run("--operator", "王芳", "operators", "activate", "anna", **as_admin).stdout == "anna可以重新登录了。\n"
    pin_set = run("--operator", "王芳", "operators", "set-pin", "anna", "--pin-stdin", input="11223344\n", **as_admin)
    assert pin_set.stdout == "已为anna设置新 PIN。\n"
    assert run("--operator", "王芳", "operators", "remove", "anna", **as_admin).stdout == "已删除值班人员anna。\n"
    line = one_line_error(run("--operator", "王芳", "operators", "remove", "anna", **as_admin))
    assert line == "找不到：没有叫“anna”的值班人员。用 linli operators list 查看有哪些人。"


def test_an_english_community_reads_english(run: Run, database: Path | str) -> None:
    init_community("Riverside", "CN", "Asia/Shanghai", ["en", "zh"], actor="test")
    added = run("operators", "add", "Anna", "--role", "admin", "--pin-stdin", input=f"{ADMIN_PIN}\n")
    assert added.stdout == "Added admin Anna. From now on, say who you are: linli --operator NAME ...\n"
    add_operator("Tom", VIEWER_PIN, role="viewer", actor="test")
    listed = run("--operator", "Anna", "operators", "list", pin=ADMIN_PIN).stdout.splitlines()
    assert listed[0].split() == ["NAME", "ROLE", "ACTIVE", "ADDED"]
    assert listed[2].split() == ["Tom", "viewer", "yes", "2026-11-20"]
    line = one_line_error(run("--operator", "Tom", "export", "residents", pin=VIEWER_PIN))
    assert line == "Not allowed: Tom is a viewer and may not export or back up personal data; ask an admin or operator."
    line = one_line_error(run("--operator", "Tom", "status", pin="000000"))
    assert line == "Not allowed: Wrong PIN for Tom. Try again, or ask an admin to set a new one."


# --- signing in ------------------------------------------------------------------------------------------------


def test_a_wrong_pin_is_one_line_and_exit_2(run: Run, staffed: Community) -> None:
    line = one_line_error(run("--operator", "王芳", "residents", "list", pin="000000"))
    assert line.startswith("不允许：王芳的 PIN 不对。")


def test_once_operators_exist_a_script_must_say_who_it_is(run: Run, staffed: Community) -> None:
    line = one_line_error(run("residents", "list"))
    assert "--operator NAME" in line and "LINLI_OPERATOR_PIN" in line
    line = one_line_error(run("--operator", "王芳", "residents", "list"))
    assert "没有王芳的 PIN" in line


def test_the_operator_may_come_from_the_environment(
    run: Run, staffed: Community, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINLI_OPERATOR", "anna")
    result = run("residents", "list", pin=VIEWER_PIN)
    assert result.exit_code == 0, result.output
    assert "王秀英" in result.stdout


def test_the_kits_machinery_runs_without_an_operator(run: Run, staffed: Community) -> None:
    result = run("run-due", "--json")
    assert result.exit_code == 0, result.output


# --- what viewers may not do -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "what"),
    [
        (("export", "residents"), "导出或备份个人信息"),
        (("export", "reports"), "导出或备份个人信息"),
        (("export", "messages"), "导出或备份个人信息"),
        (("notice", "send", "--body", "Masks at the north gate.", "--yes"), "发送通知"),
        (("residents", "add", "--name", "李四", "--phone", "13700137000"), "修改居民信息"),
        (("residents", "set-status", "13800138000", "red"), "修改居民信息"),
        (("audit",), "查看操作记录"),
        (("import", "residents", "register.csv"), "修改居民信息"),
        (("backup", "copy.sqlite3"), "导出或备份个人信息"),
        (("checkin", "start"), "更改任务、警报、短信、志愿者或报平安轮次"),
    ],
)
def test_a_viewer_is_refused_in_one_line_and_nothing_happens(
    run: Run, staffed: Community, args: tuple[str, ...], what: str
) -> None:
    line = one_line_error(run("--operator", "anna", *args, pin=VIEWER_PIN))
    assert line == f"不允许：anna是只读用户，不能{what}；请找管理员或值班员。"
    reopen()
    assert Notice.select().count() == 0
    assert [r.status for r in Resident.select()] == ["green"]
    assert not [e for e in audit.entries() if e.action == "export"]


def test_a_viewer_may_preview_a_notice_without_sending_it(run: Run, staffed: Community) -> None:
    result = run("--operator", "anna", "notice", "send", "--body", "Masks at the north gate.", pin=VIEWER_PIN)
    assert result.exit_code == 0, result.output
    reopen()
    assert Notice.select().count() == 0


# --- the audit trail -----------------------------------------------------------------------------------------------


def test_changes_and_exports_are_in_the_audit_trail_with_the_operators_name(run: Run, staffed: Community) -> None:
    changed = run("--operator", "李明", "residents", "set-status", "13800138000", "yellow", pin=OPERATOR_PIN)
    assert changed.exit_code == 0, changed.output
    exported = run("--operator", "李明", "export", "residents", "--grid", "第1网格", pin=OPERATOR_PIN)
    assert exported.exit_code == 0, exported.output
    assert "王秀英" in exported.stdout
    trail = run("--operator", "王芳", "audit", "--operator", "李明", "--json", pin=ADMIN_PIN)
    assert trail.exit_code == 0, trail.output
    entries = json.loads(trail.stdout)
    assert [(e["actor"], e["action"], e["entity"]) for e in entries] == [
        ("李明", "status", "resident"),
        ("李明", "export", "residents"),
    ]
    assert entries[1]["detail"] == {"format": "csv", "grid": "第1网格", "to": "stdout"}
    table = run("--operator", "王芳", "audit", "--since", "2026-11-20", pin=ADMIN_PIN)
    assert table.exit_code == 0, table.output
    assert "李明" in table.stdout and "export" in table.stdout and "2026-11-20 09:00" in table.stdout
    later = run("--operator", "王芳", "audit", "--since", "2026-11-21", pin=ADMIN_PIN)
    assert later.exit_code == 0 and "李明" not in later.stdout


def test_audit_with_a_bad_date_says_so_in_one_line(run: Run, staffed: Community) -> None:
    line = one_line_error(run("--operator", "王芳", "audit", "--since", "yesterday", pin=ADMIN_PIN))
    assert "2026-12-01" in line


def test_without_operators_the_trail_says_cli(run: Run, community: Community) -> None:
    assert run("residents", "add", "--name", "李四", "--phone", "13700137000").exit_code == 0
    entries = json.loads(run("audit", "--json").stdout)
    assert [(e["actor"], e["action"]) for e in entries][-1] == ("cli", "add")


# --- help --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        ("operators",),
        ("operators", "add"),
        ("operators", "list"),
        ("operators", "remove"),
        ("operators", "deactivate"),
        ("operators", "activate"),
        ("operators", "set-pin"),
        ("operators", "set-role"),
        ("audit",),
    ],
)
def test_each_command_has_help_with_an_example(run: Run, path: tuple[str, ...]) -> None:
    result = run(*path, "--help")
    assert result.exit_code == 0
    assert f"linli {' '.join(path)}" in result.stdout.split("Example:")[1]


def test_the_global_operator_option_is_documented(run: Run) -> None:
    result = run("--help")
    assert "--operator NAME" in result.stdout and "LINLI_OPERATOR" in result.stdout
