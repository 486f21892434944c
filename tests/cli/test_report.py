"""`linli report`: the day's figures for people and machines, and the street office's own form filled in."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook

from kit.checkin import record_answer, start_round
from kit.config import CheckinSettings
from kit.models import Community
from kit.reports import record_report
from kit.residents import ResidentInput, add_resident
from linli.cli.main import main
from tests.cli_run import one_line_error
from tests.workbooks import active_sheet


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def today(community: Community) -> Community:
    first = add_resident(ResidentInput(name="王芳", phone="+8613800000001", grid="第1网格", room="101")).id
    add_resident(ResidentInput(name="李伯", phone="+8613800000002", grid="第2网格", room="102"))
    start_round(settings=CheckinSettings())
    record_report(first, "unwell", temperature_c=38.0, text="2 38")
    record_answer(first, "unwell")
    return community


def test_the_table_is_labelled_in_the_communitys_language(today: Community) -> None:
    result = run("report", "daily", "--date", "2026-11-20")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "幸福里社区  日期 2026-11-20"
    assert lines[1].split()[:5] == ["网格", "居民数", "已问", "已答", "未答"]
    assert lines[-1].split()[:5] == ["合计", "2", "2", "1", "1"]
    english = run("report", "daily", "--lang", "en").stdout.splitlines()
    assert english[1].split()[:2] == ["Grid", "Residents"]


def test_json_and_csv_use_the_stable_figure_names(today: Community) -> None:
    rows = json.loads(run("report", "daily", "--format", "json").stdout)
    assert [(row["grid"], row["asked"], row["fever"]) for row in rows] == [("第1网格", 1, 1), ("第2网格", 1, 0)]
    table = list(csv.DictReader(io.StringIO(run("report", "daily", "--format", "csv").stdout)))
    assert table[0]["date"] == "2026-11-20" and table[0]["unwell"] == "1"


def test_the_shipped_examples_fill_in_with_one_command(today: Community, tmp_path: Path) -> None:
    assert run("report", "examples", str(tmp_path / "forms")).exit_code == 0
    grid_form = tmp_path / "forms" / "街道日报-分网格.xlsx"
    result = run("report", "daily", "--template", str(grid_form), "-o", str(tmp_path / "1120.xlsx"))
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(f"已写入 {tmp_path / '1120.xlsx'}：{grid_form} 的副本，填好了 2026-11-20 的 ")
    sheet = active_sheet(load_workbook(tmp_path / "1120.xlsx"))
    assert sheet["B2"].value == "幸福里社区"
    assert [sheet[f"{column}4"].value for column in "ABCDEF"] == ["第1网格", 1, 1, 1, 0, 1]
    assert sheet["A6"].value == "合计"
    summary = tmp_path / "forms" / "街道日报-汇总.xlsx"
    assert run("report", "daily", "--template", str(summary), "-o", str(tmp_path / "s.xlsx")).exit_code == 0
    assert active_sheet(load_workbook(tmp_path / "s.xlsx"))["B7"].value == 1  # fever


def test_a_map_naming_an_unknown_figure_is_one_line_listing_the_known_ones(today: Community, tmp_path: Path) -> None:
    run("report", "examples", str(tmp_path))
    form = tmp_path / "街道日报-汇总.xlsx"
    (tmp_path / "bad.toml").write_text('[cells]\n"B4" = "体温"\n', encoding="utf-8")
    line = one_line_error(
        run("report", "daily", "--template", str(form), "--map", str(tmp_path / "bad.toml"), "-o", "x")
    )
    bad = tmp_path / "bad.toml"
    assert line.startswith(
        f"表格填不了：对照表 {bad}，单元格 B4：邻里没有“体温”这个统计项。可以用的有：community, date, grid"
    )


def test_an_english_community_reads_the_reports_lines_in_english(today: Community, tmp_path: Path) -> None:
    Community.update(languages="en,zh").execute()
    form = str(tmp_path / "街道日报-汇总.xlsx")
    assert run("report", "examples", str(tmp_path)).exit_code == 0
    assert one_line_error(run("report", "daily", "--template", form)).endswith(
        "Say where to write the filled form: -o FILE.xlsx."
    )
    filled = run("report", "daily", "--template", form, "-o", str(tmp_path / "s.xlsx"))
    assert filled.stderr.startswith(f"Wrote {tmp_path / 's.xlsx'}: a copy of {form} with ")
    assert filled.stderr.endswith(" cells filled for 2026-11-20.\n")
    machine = run("report", "daily", "--format", "csv", "-o", str(tmp_path / "d.csv"))
    assert machine.stderr == f"Wrote the figures of 2026-11-20 (2 grids) to {tmp_path / 'd.csv'}.\n"


def test_a_template_needs_an_output_and_a_map(today: Community, tmp_path: Path) -> None:
    run("report", "examples", str(tmp_path))
    form = str(tmp_path / "街道日报-汇总.xlsx")
    assert one_line_error(run("report", "daily", "--template", form)) == (
        "请检查输入：请用 -o FILE.xlsx 指定填好的表写到哪里。"
    )
    (tmp_path / "街道日报-汇总.toml").unlink()
    missing = tmp_path / "街道日报-汇总.toml"
    assert one_line_error(run("report", "daily", "--template", form, "-o", "x.xlsx")) == (
        f"表格填不了：找不到对照表 {missing}；请写一个（见 `linli report daily --help`），或用 --map 指定。"
    )


def test_a_table_is_not_written_to_a_file_and_csv_says_what_it_wrote(today: Community, tmp_path: Path) -> None:
    assert "表格只在终端里看" in one_line_error(run("report", "daily", "-o", str(tmp_path / "t.txt")))
    machine = run("report", "daily", "--format", "json", "-o", str(tmp_path / "d.json"))
    assert machine.stderr == f"已把 2026-11-20 的数字（2 个网格）写入 {tmp_path / 'd.json'}。\n"
    english = run("report", "daily", "--format", "json", "-o", str(tmp_path / "d.json"), "--lang", "en")
    assert english.stderr == f"Wrote the figures of 2026-11-20 (2 grids) to {tmp_path / 'd.json'}.\n"


def test_examples_never_overwrite(tmp_path: Path) -> None:
    assert run("report", "examples", str(tmp_path)).exit_code == 0
    assert "exists already; choose an empty folder." in one_line_error(run("report", "examples", str(tmp_path)))
