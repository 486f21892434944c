"""The maintainers' CLI end to end: each command against a fresh database file, through click's runner."""

from __future__ import annotations

import codecs
import csv
import io
import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from kit import db
from kit.community import init_community
from kit.models import Community, Grid, Resident, Volunteer
from kit.outbox import opt_out
from kit.resident_search import ResidentFilter, count_residents, find_residents, view_of
from kit.residents import get_resident
from tests.cli_run import Run, one_line_error

REGISTER = [
    ("姓名", "手机号码", "网格", "楼栋", "单元", "房号", "标签", "出生年份", "紧急联系人"),
    ("王秀英", "138 0013 8000", "第1网格", "3", "2", "201", "独居老人、慢性病", "1948", "139 0013 9001"),
    ("李建国", "+86 137-0013-7000", "第2网格", "5", "1", "102", "", "1955", ""),
    ("张桂兰", "", "第1网格", "3", "2", "202", "高龄", "1936", ""),
]


def write_register(path: Path, rows: Sequence[Sequence[str]], encoding: str = "utf-8") -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def resident_dicts() -> list[dict[str, Any]]:
    """Every resident as people read them, without the database id (which differs between databases)."""
    rows = [view.as_dict() for view in find_residents(limit=None)]
    for row in rows:
        del row["id"]
    return rows


# --- init ---------------------------------------------------------------------------------------------------


def test_linli_without_a_command_prints_the_help(run: Run) -> None:
    result = run()
    assert result.exit_code == 0
    assert "Commands:" in result.stdout
    assert "  import  " in result.stdout and "  export  " in result.stdout


def test_init_creates_the_community_in_a_new_file(run: Run, tmp_path: Path, fixed_clock: object) -> None:
    path = tmp_path / "new" / "linli.sqlite3"
    result = run("--db", path, "init", "--name", "幸福里社区", "--region", "cn", "--timezone", "Asia/Shanghai",
                 "--language", "zh,en", "--language", "en")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (
        result.stdout.splitlines()[0]
        == f"已建立幸福里社区（号码地区 CN，Asia/Shanghai，语言 zh, en），数据库：{path}。"
    )
    db.connect(path)
    try:
        community = Community.get()
        assert (community.name, community.region, community.timezone, community.languages) == (
            "幸福里社区", "CN", "Asia/Shanghai", "zh,en",
        )  # fmt: skip
    finally:
        db.close()


def test_init_of_an_english_community_says_so_in_english(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "linli.sqlite3"
    result = run("--db", path, "init", "--name", "Elm Court", "--region", "GB", "--timezone", "Europe/London",
                 "--language", "en")  # fmt: skip
    assert result.stdout.splitlines() == [
        f"Created Elm Court (region GB, Europe/London, languages en) in {path}.",
        "Next: linli import residents FILE, or linli residents add --name NAME --phone PHONE.",
    ]
    db.close()


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--timezone", "Mars/Olympus", "'Mars/Olympus' is not a time zone"),
        ("--region", "XX", "'XX' is not a phone region"),
    ],
)
def test_init_with_a_bad_value_says_which_in_one_line(
    run: Run, database: Path, option: str, value: str, message: str
) -> None:
    values = {"--name": "幸福里社区", "--region": "CN", "--timezone": "Asia/Shanghai", option: value}
    result = run("init", *[item for pair in values.items() for item in pair])
    line = one_line_error(result)
    assert line.startswith("Please check the input: ") and message in line
    assert Community.select().count() == 0


def test_init_twice_is_refused(run: Run, community: Community) -> None:
    result = run("init", "--name", "另一个社区", "--region", "CN", "--timezone", "Asia/Shanghai")
    assert one_line_error(result) == "已经存在：这个数据库已经属于“幸福里社区”。新社区请用另一个 --db。"  # its words


@pytest.mark.parametrize(
    "args",
    [
        ("status",),
        ("residents", "list"),
        ("residents", "add", "--name", "王秀英", "--phone", "13800138000"),
        ("volunteers", "list"),
        ("export", "residents"),
        ("backup", "copy.sqlite3"),
    ],
    ids=" ".join,
)
def test_commands_before_init_say_to_run_init(run: Run, database: Path, args: tuple[str, ...]) -> None:
    line = one_line_error(run(*args))
    assert line == (
        "No community yet: This database has no community yet. "
        "Run: linli init --name NAME --region CN --timezone Asia/Shanghai"
    )


def test_a_database_file_that_does_not_exist_is_not_made_by_other_commands(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "typo.sqlite3"
    line = one_line_error(run("--db", path, "status"))
    assert line == (
        f"No community yet: There is no database at {path} yet. "
        "Run: linli init --name NAME --region CN --timezone Asia/Shanghai"
    )
    assert not path.exists()


# --- import -------------------------------------------------------------------------------------------------


def test_import_reads_a_gb18030_register(run: Run, community: Community, tmp_path: Path) -> None:
    file = write_register(tmp_path / "名册.csv", REGISTER, encoding="gb18030")
    result = run("import", "residents", file)
    assert result.exit_code == 0, result.output
    assert result.stdout == "名册.csv：导入 3 人，拒收 0 行。\n"
    wang = view_of(get_resident("13800138000"))
    assert (wang.name, wang.grid, wang.address, wang.tags, wang.birth_year, wang.second_phone) == (
        "王秀英", "第1网格", "3-2-201", ("elderly-alone", "chronic"), 1948, "+8613900139001",
    )  # fmt: skip
    zhang = find_residents(ResidentFilter(query="张桂兰"))[0]
    assert zhang.phone is None and zhang.tags == ("very-old", "no-phone")


def test_import_with_bad_rows_lists_every_one_and_writes_nothing(
    run: Run, community: Community, tmp_path: Path
) -> None:
    rows = [
        *REGISTER,
        ("赵六", "12345", "第2网格", "1", "1", "101", "", "1950", ""),
        ("钱七", "", "", "", "", "", "", "19x0", ""),
    ]
    file = write_register(tmp_path / "register.csv", rows)
    result = run("import", "residents", file)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "第 5 行：电话：“12345”（5位）不是有效的中国号码，请核对数字。",
        "第 6 行：出生年份“19x0”应是四位数字，例如 1948。",
        "导入已停止：什么都没有写入：5 行中有 2 行有问题；请改正，或加 --skip-invalid。",
    ]
    assert count_residents() == 0


def test_import_skipping_invalid_rows_writes_them_to_the_rejects_file(
    run: Run, community: Community, tmp_path: Path
) -> None:
    rows = [*REGISTER, ("赵六", "12345", "第2网格", "1", "1", "101", "", "1950", "")]
    file = write_register(tmp_path / "register.csv", rows)
    rejects = tmp_path / "rejects.csv"
    result = run("import", "residents", file, "--skip-invalid", "--rejects", rejects)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"register.csv：导入 3 人，拒收 1 行（已写入 {rejects}）。\n"
    assert result.stderr == ""
    assert count_residents() == 3
    raw = rejects.read_bytes()
    assert raw.startswith(codecs.BOM_UTF8)
    assert list(csv.reader(io.StringIO(raw.decode("utf-8-sig")))) == [
        ["行号", "原因", *REGISTER[0]],
        ["5", "电话：“12345”（5位）不是有效的中国号码，请核对数字。",
         "赵六", "12345", "第2网格", "1", "1", "101", "", "1950", ""],
    ]  # fmt: skip


def test_import_skipping_invalid_rows_without_a_rejects_file_lists_them_on_stderr(
    run: Run, community: Community, tmp_path: Path
) -> None:
    rows = [*REGISTER, ("赵六", "12345", "第2网格", "1", "1", "101", "", "1950", "")]
    result = run("import", "residents", write_register(tmp_path / "register.csv", rows), "--skip-invalid")
    assert result.exit_code == 0
    assert result.stderr == "第 5 行：电话：“12345”（5位）不是有效的中国号码，请核对数字。\n"
    assert result.stdout == "register.csv：导入 3 人，拒收 1 行（见上方；加 --rejects 文件 可保存）。\n"


def test_import_of_a_missing_file_is_one_line(run: Run, community: Community, tmp_path: Path) -> None:
    line = one_line_error(run("import", "residents", tmp_path / "nowhere.csv"))
    assert line == f"请检查输入：找不到文件 {tmp_path / 'nowhere.csv'}。"


# --- export -------------------------------------------------------------------------------------------------


@pytest.fixture
def registered(run: Run, community: Community, tmp_path: Path) -> list[dict[str, Any]]:
    """The sample register imported, with one resident under monitoring and one red."""
    assert run("import", "residents", write_register(tmp_path / "in.csv", REGISTER)).exit_code == 0
    assert run("residents", "set-monitoring", "13800138000", "居家隔离", "--until", "2026-12-04").exit_code == 0
    assert run("residents", "set-status", "13700137000", "red").exit_code == 0
    return resident_dicts()


def reimport_into_fresh_database(run: Run, file: Path, tmp_path: Path) -> list[dict[str, Any]]:
    fresh = tmp_path / "fresh.sqlite3"
    init = ("init", "--name", "幸福里社区", "--region", "CN", "--timezone", "Asia/Shanghai", "--language", "zh,en")
    assert run("--db", fresh, *init).exit_code == 0
    result = run("--db", fresh, "import", "residents", file)
    assert result.exit_code == 0, result.output
    db.connect(fresh)
    return resident_dicts()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_then_import_into_a_fresh_database_gives_the_same_residents(
    run: Run, registered: list[dict[str, Any]], tmp_path: Path, fmt: str
) -> None:
    file = tmp_path / f"residents.{fmt}"
    result = run("export", "residents", "--format", fmt, "-o", file)
    assert result.exit_code == 0, result.output
    assert result.stderr == f"已导出 3 位居民到 {file}。\n"
    assert len(registered) == 3
    assert reimport_into_fresh_database(run, file, tmp_path) == registered


def test_export_json_is_a_list_of_the_residents(run: Run, registered: list[dict[str, Any]]) -> None:
    result = run("export", "residents", "--format", "json")
    assert result.exit_code == 0
    exported = json.loads(result.stdout)
    wang = exported[0]
    assert {key: wang[key] for key in ("name", "phone", "grid", "building", "unit", "room", "language", "tags",
                                       "status", "monitoring", "monitoring_until")} == {
        "name": "王秀英", "phone": "+8613800138000", "grid": "第1网格", "building": "3", "unit": "2", "room": "201",
        "language": "zh", "tags": ["elderly-alone", "chronic"], "status": "green", "monitoring": "home_quarantine",
        "monitoring_until": "2026-12-04",
    }  # fmt: skip
    for row in exported:
        del row["id"]
    assert exported == [{k: v for k, v in row.items() if k != "address"} for row in registered]


def test_export_csv_to_stdout_has_no_bom_and_to_a_file_has_one(
    run: Run, registered: list[dict[str, Any]], tmp_path: Path
) -> None:
    printed = run("export", "residents", "--lang", "en").stdout_bytes
    assert printed.startswith(b"id,name,phone,second_phone,grid,building,unit,room,language,tags,")
    assert printed.splitlines()[1].decode() == (
        '1,王秀英,+8613800138000,+8613900139001,第1网格,3,2,201,zh,"elderly-alone,chronic",1948,green,'
        "home_quarantine,2026-12-04,no,"
    )
    file = tmp_path / "out.csv"
    assert run("export", "residents", "--lang", "en", "-o", file).exit_code == 0
    assert file.read_bytes() == codecs.BOM_UTF8 + printed
    assert run("export", "residents", "--lang", "en", "-o", file, "--encoding", "gb18030").exit_code == 0
    assert file.read_bytes().decode("gb18030").encode("utf-8") == printed


def test_export_filters_by_grid_and_status(run: Run, registered: list[dict[str, Any]]) -> None:
    grid = json.loads(run("export", "residents", "--format", "json", "--grid", "第1网格").stdout)
    assert [row["name"] for row in grid] == ["王秀英", "张桂兰"]
    red = json.loads(run("export", "residents", "--format", "json", "--status", "红").stdout)
    assert [row["name"] for row in red] == ["李建国"]


def test_export_with_a_bad_status_prints_nothing_but_the_error(run: Run, registered: list[dict[str, Any]]) -> None:
    line = one_line_error(run("export", "residents", "--status", "purple"))
    assert line == "请检查输入：“purple”不是健康状态；请用其中之一：green, yellow, red。"


def test_export_xlsx_refuses_to_write_to_a_terminal(
    run: Run, registered: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("linli.cli.exporting.stdout_is_terminal", lambda: True)
    line = one_line_error(run("export", "residents", "--format", "xlsx"))
    assert line == "请检查输入：XLSX 表格不能在终端里显示；请用 -o 文件名.xlsx 写进文件。"


def test_export_says_its_lines_in_english_with_lang_en_or_in_an_english_community(
    run: Run, registered: list[dict[str, Any]], tmp_path: Path
) -> None:
    file = tmp_path / "residents.csv"
    assert run("export", "residents", "--lang", "en", "-o", file).stderr == f"Exported 3 residents to {file}.\n"
    Community.update(languages="en,zh").execute()
    assert run("export", "residents", "-o", file).stderr == f"Exported 3 residents to {file}.\n"
    line = one_line_error(run("export", "residents", "--format", "xlsx", "--encoding", "utf-8"))
    assert line == "Please check the input: --encoding applies to CSV and JSON; an XLSX workbook has none."


def test_export_xlsx_to_a_pipe_is_a_workbook(run: Run, registered: list[dict[str, Any]]) -> None:
    result = run("export", "residents", "--format", "xlsx")
    assert result.exit_code == 0
    sheet = load_workbook(io.BytesIO(result.stdout_bytes), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("编号", "姓名", "电话")  # a Chinese community's export reads in Chinese
    assert [row[1] for row in rows[1:]] == ["王秀英", "李建国", "张桂兰"]


def test_a_chinese_communitys_csv_says_its_columns_and_words_in_chinese(
    run: Run, registered: list[dict[str, Any]]
) -> None:
    (first, *_) = csv.DictReader(io.StringIO(run("export", "residents").stdout))
    assert list(first)[:4] == ["编号", "姓名", "电话", "紧急联系人电话"]
    assert (first["姓名"], first["状态"], first["管控类别"], first["已退订短信"]) == ("王秀英", "绿", "居家隔离", "否")
    assert first["标签"] == "独居老人,慢性病"
    english = next(csv.DictReader(io.StringIO(run("export", "residents", "--lang", "en").stdout)))
    assert (english["name"], english["status"], english["tags"]) == ("王秀英", "green", "elderly-alone,chronic")
    assert json.loads(run("export", "residents", "--format", "json").stdout)[0]["status"] == "green"


# --- residents ----------------------------------------------------------------------------------------------


def test_adding_a_resident_with_a_bad_phone_says_why_and_saves_nothing(run: Run, community: Community) -> None:
    line = one_line_error(run("residents", "add", "--name", "王秀英", "--phone", "138001"))
    assert line == "电话号码不能使用：“138001”（6位）不是有效的中国号码，请核对数字。"
    assert Resident.select().count() == 0


def test_a_grid_typed_by_hand_must_exist_unless_it_is_confirmed_new(run: Run, community: Community) -> None:
    assert run("residents", "add", "--name", "王秀英", "--grid", "第1网格", "--new-grid").exit_code == 0
    assert run("residents", "add", "--name", "李明", "--grid", "第2网格", "--new-grid").exit_code == 0

    typo = one_line_error(run("residents", "add", "--name", "张伟", "--grid", "第l网格"))
    assert typo == (
        "请检查输入：没有“第l网格”这个网格（现有网格：第1网格、第2网格）。请核对名称；如果要新建这个网格，请确认："
        "命令行加 --new-grid，或在表单里再按一次保存。"
    )
    assert not Resident.select().where(Resident.name == "张伟").exists()
    moved = one_line_error(run("residents", "edit", "1", "--grid", "第3网格"))
    assert moved.startswith("请检查输入：没有“第3网格”")
    assert run("residents", "edit", "1", "--room", "202").exit_code == 0  # the grid it has is not asked about
    assert run("residents", "edit", "1", "--grid", "第3网格", "--new-grid").exit_code == 0
    assert sorted(g.name for g in Grid.select()) == ["第1网格", "第2网格", "第3网格"]


def test_add_then_show_a_resident(run: Run, community: Community) -> None:
    result = run("residents", "add", "--name", "王秀英", "--phone", "138 0013 8000", "--grid", "第1网格", "--new-grid",
                 "--building", "3", "--unit", "2", "--room", "201", "--tag", "独居老人", "--tag", "chronic",
                 "--birth-year", "1948", "--second-phone", "13900139001", "--notes", "耳背，请大声")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout == "已登记居民 #1：王秀英，+86 138 0013 8000。\n"
    shown = run("residents", "show", "+86 138-0013-8000")
    assert shown.stdout.splitlines() == [
        "编号        1",
        "姓名        王秀英",
        "电话        +86 138 0013 8000",
        "第二联系人  +86 139 0013 9001",
        "网格        第1网格",
        "地址        3-2-201",
        "语言        zh",
        "标签        独居老人、慢性病",
        "出生年份    1948",
        "健康状态    绿",
        "管控        无",
        "已退订短信  否",
        "备注        耳背，请大声",
    ]
    as_json = json.loads(run("residents", "show", "1", "--json").stdout)
    assert as_json["tags"] == ["elderly-alone", "chronic"] and as_json["phone"] == "+8613800138000"


def test_add_a_resident_with_a_phone_already_registered_is_refused(run: Run, community: Community) -> None:
    assert run("residents", "add", "--name", "王秀英", "--phone", "13800138000").exit_code == 0
    line = one_line_error(run("residents", "add", "--name", "王二", "--phone", "+86 138 0013 8000"))
    assert line == (
        "已经存在：+8613800138000 已经是 王秀英（居民 #1）的号码。只有同一地址的居民才能共用一个电话：请填相同的楼栋、"
        "单元和房号，或者把它填作其所照顾居民的第二联系电话。"
    )


def test_edit_changes_only_what_is_given(run: Run, registered: list[dict[str, Any]]) -> None:
    result = run("residents", "edit", "13800138000", "--room", "203", "--add-tag", "孕妇", "--remove-tag", "慢性病",
                 "--clear-second-phone")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout == "已修改居民 #1 王秀英：第二联系人、房号、标签。\n"
    wang = view_of(get_resident(1))
    assert (wang.room, wang.building, wang.tags, wang.second_phone, wang.grid) == (
        "203", "3", ("elderly-alone", "pregnant"), None, "第1网格",
    )  # fmt: skip


def test_edit_with_nothing_to_change_is_one_line(run: Run, registered: list[dict[str, Any]]) -> None:
    line = one_line_error(run("residents", "edit", "1"))
    assert line == "请检查输入：没有要改的：请至少给出一个选项，例如 --phone 或 --add-tag。"


def test_edit_to_a_bad_phone_keeps_the_old_one(run: Run, registered: list[dict[str, Any]]) -> None:
    line = one_line_error(run("residents", "edit", "1", "--phone", "12"))
    assert line == "电话号码不能使用：“12”作为中国的电话号码太短了。"
    assert view_of(get_resident(1)).phone == "+8613800138000"


def test_show_an_unknown_resident(run: Run, registered: list[dict[str, Any]]) -> None:
    assert one_line_error(run("residents", "show", "99")) == "找不到：找不到居民 99。"


def test_list_shows_a_page_with_status_words(run: Run, registered: list[dict[str, Any]]) -> None:
    result = run("residents", "list", "--limit", "2")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "编号  姓名    电话               地址     网格     健康状态  管控                     标签",
        "1     王秀英  +86 138 0013 8000  3-2-201  第1网格  绿        居家隔离，至 2026-12-04  独居老人、慢性病",
        "2     李建国  +86 137 0013 7000  5-1-102  第2网格  红",
        "第 1-2 位，共 3 位居民。下一页：--offset 2",
    ]
    last = run("residents", "list", "--limit", "2", "--offset", "2").stdout.splitlines()
    assert last[1].startswith("3     张桂兰  （无电话）")
    assert last[-1] == "第 3-3 位，共 3 位居民。"


def test_list_filters_and_json(run: Run, registered: list[dict[str, Any]]) -> None:
    rows = json.loads(run("residents", "list", "--grid", "第1网格", "--tag", "高龄", "--json").stdout)
    assert [row["name"] for row in rows] == ["张桂兰"]
    monitored = json.loads(run("residents", "list", "--monitoring", "home_quarantine", "--json").stdout)
    assert [row["name"] for row in monitored] == ["王秀英"]
    assert run("residents", "list", "--status", "yellow").stdout == "没有符合条件的居民。\n"


def test_search_by_name_phone_digits_and_address(run: Run, registered: list[dict[str, Any]]) -> None:
    def names(query: str) -> list[str]:
        return [row["name"] for row in json.loads(run("residents", "search", query, "--json").stdout)]

    assert names("王") == ["王秀英"]
    assert names("13700137000") == ["李建国"]
    assert names("3-2") == ["王秀英", "张桂兰"]
    assert run("residents", "search", "赵").stdout == "没有与“赵”相符的居民。\n"


def test_set_monitoring_needs_an_end_date(run: Run, registered: list[dict[str, Any]]) -> None:
    line = one_line_error(run("residents", "set-monitoring", "2", "close_contact"))
    assert line == "请检查输入：请给出管控截止日期，例如 2026-12-05。"
    result = run("residents", "set-monitoring", "2", "密接", "--until", "2026/12/01")
    assert result.stdout == "居民 #2 李建国：管控 密接，至 2026-12-01。\n"


def test_set_status(run: Run, registered: list[dict[str, Any]]) -> None:
    result = run("residents", "set-status", "1", "yellow", "--reason", "cough")
    assert result.stdout == "居民 #1 王秀英：健康状态 黄。\n"
    assert view_of(get_resident(1)).status == "yellow"
    assert one_line_error(run("residents", "set-status", "1", "blue")) == (
        "请检查输入：“blue”不是健康状态；请用其中之一：green, yellow, red。"
    )


def test_an_english_community_reads_the_residents_commands_in_english(run: Run, database: Path) -> None:
    init_community("Riverside", "CN", "Asia/Shanghai", ["en", "zh"], actor="test")
    added = run("residents", "add", "--name", "Alice Smith", "--phone", "13800138000", "--tag", "独居老人")
    assert added.stdout == "Added resident #1: Alice Smith, +86 138 0013 8000.\n"
    assert run("residents", "set-monitoring", "1", "密接", "--until", "2026-12-01").stdout == (
        "Resident #1 Alice Smith: monitoring close contact until 2026-12-01.\n"
    )
    assert run("residents", "set-status", "1", "red").stdout == "Resident #1 Alice Smith: status RED.\n"
    assert run("residents", "list").stdout.splitlines() == [
        "ID  NAME         PHONE              ADDRESS  GRID  STATUS  MONITORING                      TAGS",
        "1   Alice Smith  +86 138 0013 8000                 RED     close contact until 2026-12-01  elderly alone",
        "Showing 1-1 of 1 resident.",
    ]
    assert run("residents", "show", "1").stdout.splitlines()[-3:] == [
        "Monitoring      close contact until 2026-12-01",
        "Opted out       no",
        "Notes",
    ]
    assert run("residents", "edit", "1", "--room", "201").stdout == "Updated resident #1 Alice Smith: room.\n"
    assert run("residents", "search", "Bob").stdout == "No resident matches 'Bob'.\n"
    assert one_line_error(run("residents", "show", "99")) == "Not found: No resident 99."
    assert one_line_error(run("residents", "edit", "1")) == (
        "Please check the input: Nothing to change: give at least one option, e.g. --phone or --add-tag."
    )


# --- volunteers ---------------------------------------------------------------------------------------------


def test_volunteers_add_and_list(run: Run, community: Community) -> None:
    result = run("volunteers", "add", "--name", "李明", "--phone", "13900139000", "--skill", "errands,开车",
                 "--grid", "第1网格", "--grid", "第2网格")  # fmt: skip
    assert result.stdout == "已添加志愿者 #1：李明，+86 139 0013 9000，负责第1网格、第2网格。\n"
    assert run("volunteers", "add", "--name", "周红", "--phone", "13900139002", "--grid", "第3网格").exit_code == 0
    assert run("volunteers", "list", "--grid", "第2网格").stdout.splitlines() == [
        "编号  姓名  电话               技能        网格              积分  在岗  已退订",
        "1     李明  +86 139 0013 9000  跑腿、开车  第1网格、第2网格  0     是",
    ]
    opt_out("+8613900139000")  # texted STOP: the list says so beside 在岗
    assert run("volunteers", "list", "--grid", "第2网格").stdout.splitlines()[1].endswith("0     是    是")
    listed = json.loads(run("volunteers", "list", "--json").stdout)
    assert [(v["name"], v["skills"], v["grids"]) for v in listed] == [
        ("李明", ["errands", "driving"], ["第1网格", "第2网格"]),
        ("周红", [], ["第3网格"]),
    ]


def test_volunteer_with_an_unknown_skill_is_refused(run: Run, community: Community) -> None:
    line = one_line_error(run("volunteers", "add", "--name", "李明", "--phone", "13900139000", "--skill", "juggling"))
    assert line == (
        "请检查输入：“juggling”不是可选的技能，请用：errands, medical, counselling, driving"
        "（也可写跑腿、医疗、心理、开车）。"
    )
    assert Volunteer.select().count() == 0


# --- status, backup, config ---------------------------------------------------------------------------------


def test_status_json_counts_the_community(run: Run, registered: list[dict[str, Any]]) -> None:
    assert run("volunteers", "add", "--name", "李明", "--phone", "13900139000", "--grid", "第3网格").exit_code == 0
    figures = json.loads(run("status", "--json").stdout)
    assert set(figures) == {"community", "schema", "residents", "volunteers", "today", "retention"}
    assert figures["community"]["name"] == "幸福里社区"
    assert figures["schema"]["version"] == figures["schema"]["latest"] >= 1
    residents = figures["residents"]
    assert residents["total"] == 3
    assert residents["by_status"] == {"green": 2, "yellow": 0, "red": 1}
    assert residents["by_tag"] == {"chronic": 1, "elderly-alone": 1, "no-phone": 1, "very-old": 1}
    assert residents["by_grid"] == {"第1网格": 2, "第2网格": 1, "第3网格": 0}
    assert residents["by_monitoring"]["home_quarantine"] == 1
    assert residents["without_phone"] == 1
    assert figures["volunteers"] == {"total": 1, "active": 1}


def test_status_for_people(run: Run, registered: list[dict[str, Any]]) -> None:
    lines = run("status").stdout.splitlines()
    assert lines[0] == "幸福里社区（号码地区 CN，Asia/Shanghai，语言 zh, en）"
    assert "居民      3：绿 2  黄 0  红 1" in lines
    assert "网格      第1网格 2，第2网格 1；没有网格 0" in lines
    assert "标签      慢性病 1，独居老人 1，无电话 1，高龄 1" in lines
    Community.update(languages="en").execute()
    lines = run("status").stdout.splitlines()
    assert lines[0] == "幸福里社区  (region CN, Asia/Shanghai, languages en)"
    assert "Residents   3: GREEN 2  YELLOW 0  RED 1" in lines
    assert "Grids       第1网格 2, 第2网格 1; without a grid 0" in lines


def test_backup_copies_the_database_and_refuses_to_overwrite(
    run: Run, registered: list[dict[str, Any]], tmp_path: Path
) -> None:
    copy = tmp_path / "backup.sqlite3"
    result = run("backup", copy)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"已备份到 {copy}（") and result.stdout.endswith("，3 位居民）。\n")
    with sqlite3.connect(copy) as connection:
        assert connection.execute("SELECT COUNT(*) FROM resident").fetchone()[0] == 3
        assert connection.execute("SELECT name FROM resident ORDER BY id").fetchall() == [
            ("王秀英",), ("李建国",), ("张桂兰",),
        ]  # fmt: skip
    connection.close()
    line = one_line_error(run("backup", copy))
    assert line.startswith("已经存在：") and str(copy) in line
    assert run("residents", "add", "--name", "赵六", "--phone", "13600136000").exit_code == 0
    Community.update(languages="en").execute()
    assert run("backup", copy, "--force").stdout.endswith(", 4 residents).\n")


def test_config_lists_every_setting_and_never_a_secret(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "linli.toml"
    file.write_text('[checkin]\ntime = "08:30"\n', encoding="utf-8")
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "s3cret-token")
    result = run("--config", file, "config", "--json")
    assert result.exit_code == 0
    settings = {row["name"]: row for row in json.loads(result.stdout)}
    assert settings["checkin.time"]["value"] == "08:30"
    assert settings["checkin.time"]["doc"] == "Local time the daily check-in round starts."
    assert settings["twilio.auth_token"] == {
        "name": "twilio.auth_token", "value": None, "doc": settings["twilio.auth_token"]["doc"], "secret": True,
        "set": True,
    }  # fmt: skip
    text = run("--config", file, "config").stdout
    assert "s3cret" not in text and "***" not in text
    assert '\n# auth_token = ""  # secret, set: give it in TWILIO_AUTH_TOKEN\n' in text
    assert '\n# token = ""  # secret, not set: give it in LINLI_DISTRICT_TOKEN\n' in text
    again = tmp_path / "again.toml"
    again.write_text(text, encoding="utf-8")  # the output starts a file that loads, without the secret in it
    monkeypatch.delenv("TWILIO_AUTH_TOKEN")
    assert run("--config", again, "config", "--json").exit_code == 0
    assert '[checkin]\n# Local time the daily check-in round starts.\ntime = "08:30"\n' in text


def test_config_speaks_the_communitys_language(run: Run, community: Community) -> None:
    text = run("config").stdout
    assert "\n# 正在用的数据库：" in text
    assert '\n# auth_token = ""  # 密钥，未设置：请在环境变量 TWILIO_AUTH_TOKEN 里设置\n' in text
    docs = [line for line in text.splitlines() if line.startswith("# ") and not line.startswith("# auth_token")]
    assert docs and not [doc for doc in docs if not any("\u4e00" <= ch <= "\u9fff" for ch in doc)]  # every one


def test_every_setting_is_described_in_chinese_and_nothing_else_is() -> None:
    from kit.config import describe
    from linli.cli.help_words import setting_docs

    assert setting_docs("zh").keys() == {name for name, _, _ in describe()}


def test_config_with_a_missing_file_is_one_line(run: Run, tmp_path: Path) -> None:
    line = one_line_error(run("--config", tmp_path / "none.toml", "config"))
    assert line == f"Configuration problem: Configuration file {tmp_path / 'none.toml'} does not exist."


def test_status_shows_todays_round_alerts_tasks_and_outbox(run: Run, community: Community) -> None:
    from kit.checkin import start_round
    from kit.config import CheckinSettings
    from kit.residents import ResidentInput, add_resident

    add_resident(ResidentInput(name="王秀英", phone="13800138000", grid="第1网格"), actor="test")
    add_resident(ResidentInput(name="张桂兰", grid="第1网格"), actor="test")  # no phone: straight to a door-knock
    start_round(settings=CheckinSettings(), actor="test")
    result = run("status", "--json")
    assert result.exit_code == 0, result.output
    today = json.loads(result.output)["today"]
    assert today["date"] == "2026-11-20"
    assert today["checkin"]["asked"] == 2
    assert today["checkin"]["answered"] == 0
    assert today["checkin"]["door_knock"] == 1
    assert today["outbox"] == {"queued": 1}
    assert today["tasks"]["open"] + today["tasks"]["assigned"] == 1
    human = run("status")
    assert "报平安    2026-11-20：已问 2，已回 0，未回 2，已上报 1" in human.output
    assert "发件箱    排队中 1" in human.output
    Community.update(languages="en").execute()
    assert "Check-in    2026-11-20: asked 2, answered 0, silent 2, escalated 1" in run("status").output
