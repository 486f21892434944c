"""`linli points`: the month's neighbour points per person and per grid, in the community's words, and exported."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from kit.clock import FixedClock
from kit.community import init_community
from kit.models import AuditEntry, Community, Resident
from kit.outbox import Draft, queue
from kit.points import award_second_contact
from kit.residents import ResidentInput, add_resident
from kit.tasks import complete_task, create_task
from kit.volunteers import add_volunteer
from tests.cli_run import Run, one_line_error
from tests.workbooks import active_sheet

DAUGHTER = "+8613700000003"


@pytest.fixture
def helped(community: Community) -> Community:
    """November: 李明 (a resident who volunteers) did two errands for 王芳; 王芳's daughter answered for her once."""
    add_resident(ResidentInput(name="李明", phone="+8613900000001", grid="第1网格", building="1", room="101"))
    wang = add_resident(ResidentInput(name="王芳", phone="+8613800000002", grid="第1网格", building="2", room="1"))
    add_volunteer("李明", "+8613900000001", grids=["第1网格"])
    for _ in range(2):
        complete_task(create_task("errand", resident_id=wang.id, actor="test").id, actor="test")
    queue(Draft(peer=DAUGHTER, body="...", kind="second_contact", key="second:1", resident_id=wang.id))
    award_second_contact(DAUGHTER, wang.id)
    return community


def test_the_table_in_the_communitys_language(run: Run, helped: Community) -> None:
    result = run("points", "--month", "2026-11")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "幸福里社区 2026-11 邻里积分"
    assert lines[1].split() == ["姓名", "身份", "电话", "网格", "积分", "事由"]
    assert lines[2].split() == ["李明", "居民", "+86", "139", "0000", "0001", "第1网格", "2", "完成任务2次"]
    assert lines[3].split() == ["王芳的联系人", "亲友", "+86", "137", "0000", "0003", "第1网格", "1", "代邻居回复1次"]
    assert lines[5].split() == ["网格", "积分", "人数", "完成任务", "代邻居回复"]
    assert lines[6].split() == ["第1网格", "3", "2", "2", "1"]
    assert lines[7].split() == ["合计", "3"]
    english = run("points", "--month", "2026-11", "--lang", "en").stdout.splitlines()
    assert english[1].split() == ["Name", "Role", "Phone", "Grid", "Points", "For"]


def test_another_month_has_nobody_yet(run: Run, helped: Community, fixed_clock: FixedClock) -> None:
    fixed_clock.advance(days=15)  # December
    assert run("points").stdout.splitlines()[1] == "2026-12还没有人获得邻里积分。"
    assert "李明" in run("points", "--month", "2026-11").stdout


def test_the_csv_has_the_communitys_headers(run: Run, helped: Community) -> None:
    result = run("points", "--month", "2026-11", "--csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(row["姓名"], row["积分"]) for row in rows] == [("李明", "2"), ("王芳的联系人", "1")]
    assert {row["网格"] for row in rows} == {"第1网格"}
    grids = list(csv.DictReader(io.StringIO(run("points", "--month", "2026-11", "--csv", "--by", "grid").stdout)))
    assert [(row["网格"], row["积分"], row["人数"]) for row in grids] == [("第1网格", "3", "2")]
    assert AuditEntry.get(AuditEntry.action == "export").entity == "points"  # personal data left the kit
    english = list(csv.DictReader(io.StringIO(run("points", "--month", "2026-11", "--csv", "--lang", "en").stdout)))
    assert [(row["name"], row["role"], row["grid"]) for row in english][1] == ("contact of 王芳", "contact", "第1网格")


def test_json_keeps_stable_keys(run: Run, helped: Community) -> None:
    people = json.loads(run("points", "--month", "2026-11", "--json").stdout)
    assert people[0] == {
        "name": "李明",
        "role": "resident",
        "phone": "+8613900000001",
        "grids": ["第1网格"],
        "points": 2,
        "tasks": 2,
        "answers": 0,
        "answered_for": [],
        "what_for": "完成任务2次",
    }
    assert people[1]["answered_for"] == ["王芳"] and people[1]["role"] == "contact"


def test_the_export_to_a_file_follows_its_name(run: Run, helped: Community, tmp_path: Path) -> None:
    target = tmp_path / "11月积分.xlsx"
    result = run("points", "--month", "2026-11", "--grid", "第1网格", "-o", target)
    assert result.exit_code == 0, result.output
    assert result.stderr == f"已导出 2026-11 的积分 2 行到 {target}。\n"
    sheet = active_sheet(load_workbook(target))
    assert [cell.value for cell in sheet[1]] == ["姓名", "身份", "电话", "网格", "积分", "事由"]
    assert [cell.value for cell in sheet[2]][:2] == ["李明", "居民"]
    assert run("points", "--month", "2026-11", "-o", tmp_path / "p.csv").exit_code == 0
    assert (tmp_path / "p.csv").read_text(encoding="utf-8-sig").startswith("姓名,身份,电话,网格,积分,事由")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--month", "2026-13"), "请检查输入：“2026-13”不是月份，请写成 2026-11 这样。"),
        (("--grid", "第9网格"), "找不到：没有网格“第9网格”；现有网格：第1网格。"),
        (("--json", "--csv"), "请检查输入：--json 和 --csv 只能选一个。"),
    ],
)
def test_bad_input_is_one_line(run: Run, helped: Community, args: tuple[str, ...], expected: str) -> None:
    assert one_line_error(run("points", *args)) == expected


def test_lang_en_reads_english(run: Run, helped: Community, tmp_path: Path) -> None:
    target = tmp_path / "points.csv"
    result = run("points", "--month", "2026-11", "--lang", "en", "-o", target)
    assert result.stderr == f"Exported 2 rows of 2026-11's points to {target}.\n"
    result = run("points", "--month", "2026-11", "--by", "grid", "--lang", "en", "-o", target)
    assert result.stderr == f"Exported 1 row of 2026-11's points to {target}.\n"


def test_an_english_community_reads_english_errors(run: Run, database: Path | str) -> None:
    init_community("Riverside", "CN", "Asia/Shanghai", ["en", "zh"], actor="test")
    line = one_line_error(run("points", "--grid", "North"))
    assert line == "Not found: There is no grid 'North'; the grids are: none yet."


def test_the_example_in_the_help_runs(
    run: Run, helped: Community, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run("points", "--month", "2026-11").exit_code == 0
    result = run("points", "--month", "2026-11", "--grid", "第1网格", "--csv", "-o", "11月积分.csv")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "11月积分.csv").exists()
    assert Resident.select().count() == 2
