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
from kit.models import Community, Resident, Volunteer
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
    assert result.stdout.splitlines()[0] == (
        f"Created 幸福里社区 (region CN, Asia/Shanghai, languages zh, en) in {path}."
    )
    db.connect(path)
    try:
        community = Community.get()
        assert (community.name, community.region, community.timezone, community.languages) == (
            "幸福里社区", "CN", "Asia/Shanghai", "zh,en",
        )  # fmt: skip
    finally:
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
    assert one_line_error(result) == (
        "Already exists: This database already belongs to '幸福里社区'. Use another --db for a new one."
    )


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
        "line 5: phone: '12345' (5 digits) is not a valid number in CN; check the digits.",
        "line 6: birth_year: Birth year '19x0' should be four digits, e.g. 1948.",
        result.stderr.splitlines()[-1],
    ]
    assert result.stderr.splitlines()[-1].startswith("Import stopped: nothing was written: 2 of ")
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
        ["line", "reason", *REGISTER[0]],
        ["5", "phone: '12345' (5 digits) is not a valid number in CN; check the digits.",
         "赵六", "12345", "第2网格", "1", "1", "101", "", "1950", ""],
    ]  # fmt: skip


def test_import_skipping_invalid_rows_without_a_rejects_file_lists_them_on_stderr(
    run: Run, community: Community, tmp_path: Path
) -> None:
    rows = [*REGISTER, ("赵六", "12345", "第2网格", "1", "1", "101", "", "1950", "")]
    result = run("import", "residents", write_register(tmp_path / "register.csv", rows), "--skip-invalid")
    assert result.exit_code == 0
    assert result.stderr == "line 5: phone: '12345' (5 digits) is not a valid number in CN; check the digits.\n"
    assert result.stdout == "register.csv：导入 3 人，拒收 1 行（见上方；加 --rejects 文件 可保存）。\n"


def test_import_of_a_missing_file_is_one_line(run: Run, community: Community, tmp_path: Path) -> None:
    line = one_line_error(run("import", "residents", tmp_path / "nowhere.csv"))
    assert line == f"Please check the input: There is no file {tmp_path / 'nowhere.csv'}."


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
    assert result.stderr == f"Exported 3 residents to {file}.\n"
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
    assert line == "Please check the input: 'purple' is not a health status; use one of: green, yellow, red."


def test_export_xlsx_refuses_to_write_to_a_terminal(
    run: Run, registered: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("linli.cli.exporting.stdout_is_terminal", lambda: True)
    line = one_line_error(run("export", "residents", "--format", "xlsx"))
    assert "-o FILE.xlsx" in line


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
    assert line == "Phone number not accepted: '138001' (6 digits) is not a valid number in CN; check the digits."
    assert Resident.select().count() == 0


def test_add_then_show_a_resident(run: Run, community: Community) -> None:
    result = run("residents", "add", "--name", "王秀英", "--phone", "138 0013 8000", "--grid", "第1网格",
                 "--building", "3", "--unit", "2", "--room", "201", "--tag", "独居老人", "--tag", "chronic",
                 "--birth-year", "1948", "--second-phone", "13900139001", "--notes", "耳背，请大声")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout == "Added resident #1: 王秀英, +86 138 0013 8000.\n"
    shown = run("residents", "show", "+86 138-0013-8000")
    assert shown.stdout.splitlines() == [
        "ID              1",
        "Name            王秀英",
        "Phone           +86 138 0013 8000",
        "Second contact  +86 139 0013 9001",
        "Grid            第1网格",
        "Address         3-2-201",
        "Language        zh",
        "Tags            elderly-alone, chronic",
        "Birth year      1948",
        "Status          GREEN",
        "Monitoring      none",
        "Opted out       no",
        "Notes           耳背，请大声",
    ]
    as_json = json.loads(run("residents", "show", "1", "--json").stdout)
    assert as_json["tags"] == ["elderly-alone", "chronic"] and as_json["phone"] == "+8613800138000"


def test_add_a_resident_with_a_phone_already_registered_is_refused(run: Run, community: Community) -> None:
    assert run("residents", "add", "--name", "王秀英", "--phone", "13800138000").exit_code == 0
    line = one_line_error(run("residents", "add", "--name", "王二", "--phone", "+86 138 0013 8000"))
    assert line == (
        "Already exists: +8613800138000 is already the number of 王秀英 (resident #1). Only residents at one address "
        "share a phone: give the same building, unit and room, or give it as the second phone of someone they look "
        "after."
    )


def test_edit_changes_only_what_is_given(run: Run, registered: list[dict[str, Any]]) -> None:
    result = run("residents", "edit", "13800138000", "--room", "203", "--add-tag", "孕妇", "--remove-tag", "慢性病",
                 "--clear-second-phone")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout == "Updated resident #1 王秀英: second_phone, room, tags.\n"
    wang = view_of(get_resident(1))
    assert (wang.room, wang.building, wang.tags, wang.second_phone, wang.grid) == (
        "203", "3", ("elderly-alone", "pregnant"), None, "第1网格",
    )  # fmt: skip


def test_edit_with_nothing_to_change_is_one_line(run: Run, registered: list[dict[str, Any]]) -> None:
    line = one_line_error(run("residents", "edit", "1"))
    assert line == "Please check the input: Nothing to change: give at least one option, e.g. --phone or --add-tag."


def test_edit_to_a_bad_phone_keeps_the_old_one(run: Run, registered: list[dict[str, Any]]) -> None:
    line = one_line_error(run("residents", "edit", "1", "--phone", "12"))
    assert line.startswith("Phone number not accepted: '12'")
    assert view_of(get_resident(1)).phone == "+8613800138000"


def test_show_an_unknown_resident(run: Run, registered: list[dict[str, Any]]) -> None:
    assert one_line_error(run("residents", "show", "99")) == "Not found: No resident 99."


def test_list_shows_a_page_with_status_words(run: Run, registered: list[dict[str, Any]]) -> None:
    result = run("residents", "list", "--limit", "2")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "ID  NAME    PHONE              ADDRESS  GRID     STATUS  MONITORING                        TAGS",
        "1   王秀英  +86 138 0013 8000  3-2-201  第1网格  GREEN   home quarantine until 2026-12-04  "
        "elderly-alone, chronic",
        "2   李建国  +86 137 0013 7000  5-1-102  第2网格  RED",
        "Showing 1-2 of 3 residents. Next page: --offset 2",
    ]
    last = run("residents", "list", "--limit", "2", "--offset", "2").stdout.splitlines()
    assert last[1].startswith("3   张桂兰  (no phone)")
    assert last[-1] == "Showing 3-3 of 3 residents."


def test_list_filters_and_json(run: Run, registered: list[dict[str, Any]]) -> None:
    rows = json.loads(run("residents", "list", "--grid", "第1网格", "--tag", "高龄", "--json").stdout)
    assert [row["name"] for row in rows] == ["张桂兰"]
    monitored = json.loads(run("residents", "list", "--monitoring", "home_quarantine", "--json").stdout)
    assert [row["name"] for row in monitored] == ["王秀英"]
    assert run("residents", "list", "--status", "yellow").stdout == "No residents match.\n"


def test_search_by_name_phone_digits_and_address(run: Run, registered: list[dict[str, Any]]) -> None:
    def names(query: str) -> list[str]:
        return [row["name"] for row in json.loads(run("residents", "search", query, "--json").stdout)]

    assert names("王") == ["王秀英"]
    assert names("13700137000") == ["李建国"]
    assert names("3-2") == ["王秀英", "张桂兰"]
    assert run("residents", "search", "赵").stdout == "No resident matches '赵'.\n"


def test_set_monitoring_needs_an_end_date(run: Run, registered: list[dict[str, Any]]) -> None:
    line = one_line_error(run("residents", "set-monitoring", "2", "close_contact"))
    assert line == "Please check the input: Give the date monitoring ends, e.g. 2026-12-05."
    result = run("residents", "set-monitoring", "2", "密接", "--until", "2026/12/01")
    assert result.stdout == "Resident #2 李建国: monitoring close contact until 2026-12-01.\n"


def test_set_status(run: Run, registered: list[dict[str, Any]]) -> None:
    assert run("residents", "set-status", "1", "yellow", "--reason", "cough").stdout == (
        "Resident #1 王秀英: status YELLOW.\n"
    )
    assert view_of(get_resident(1)).status == "yellow"
    assert one_line_error(run("residents", "set-status", "1", "blue")).startswith("Please check the input: 'blue'")


# --- volunteers ---------------------------------------------------------------------------------------------


def test_volunteers_add_and_list(run: Run, community: Community) -> None:
    result = run("volunteers", "add", "--name", "李明", "--phone", "13900139000", "--skill", "errands,开车",
                 "--grid", "第1网格", "--grid", "第2网格")  # fmt: skip
    assert result.stdout == "Added volunteer #1: 李明, +86 139 0013 9000, covering 第1网格, 第2网格.\n"
    assert run("volunteers", "add", "--name", "周红", "--phone", "13900139002", "--grid", "第3网格").exit_code == 0
    assert run("volunteers", "list", "--grid", "第2网格").stdout.splitlines() == [
        "ID  NAME  PHONE              SKILLS            GRIDS             POINTS  ACTIVE  OPTED OUT",
        "1   李明  +86 139 0013 9000  errands, driving  第1网格, 第2网格  0       yes",
    ]
    opt_out("+8613900139000")  # texted STOP: the list says so beside ACTIVE
    assert run("volunteers", "list", "--grid", "第2网格").stdout.splitlines()[1].endswith("0       yes     yes")
    listed = json.loads(run("volunteers", "list", "--json").stdout)
    assert [(v["name"], v["skills"], v["grids"]) for v in listed] == [
        ("李明", ["errands", "driving"], ["第1网格", "第2网格"]),
        ("周红", [], ["第3网格"]),
    ]


def test_volunteer_with_an_unknown_skill_is_refused(run: Run, community: Community) -> None:
    line = one_line_error(run("volunteers", "add", "--name", "李明", "--phone", "13900139000", "--skill", "juggling"))
    assert line == "Please check the input: 'juggling' is not a skill; use: errands, medical, counselling, driving."
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
    assert lines[0] == "幸福里社区  (region CN, Asia/Shanghai, languages zh, en)"
    assert "Residents   3: GREEN 2  YELLOW 0  RED 1" in lines
    assert "Grids       第1网格 2, 第2网格 1; without a grid 0" in lines


def test_backup_copies_the_database_and_refuses_to_overwrite(
    run: Run, registered: list[dict[str, Any]], tmp_path: Path
) -> None:
    copy = tmp_path / "backup.sqlite3"
    result = run("backup", copy)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Backed up to {copy} (") and result.stdout.endswith(", 3 residents).\n")
    with sqlite3.connect(copy) as connection:
        assert connection.execute("SELECT COUNT(*) FROM resident").fetchone()[0] == 3
        assert connection.execute("SELECT name FROM resident ORDER BY id").fetchall() == [
            ("王秀英",), ("李建国",), ("张桂兰",),
        ]  # fmt: skip
    connection.close()
    line = one_line_error(run("backup", copy))
    assert line == f"Already exists: {copy} already exists; choose another name, or add --force to replace it."
    assert run("residents", "add", "--name", "赵六", "--phone", "13600136000").exit_code == 0
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
    assert "Check-in    2026-11-20: asked 2, answered 0, silent 2, escalated 1" in human.output
