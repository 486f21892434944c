"""`linli import residents` says what it did, in the community's language: imported, rejected, skipped and why,
the columns it left unused (and --map for them), a warning for each landline and each address kept whole."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import pytest

from kit.community import init_community
from kit.models import Community, Resident
from kit.resident_search import ResidentFilter, count_residents, find_residents
from tests.cli_run import Run, one_line_error
from tests.kit.test_importer_honest import merged_register

SHEET = [
    ("序号", "姓名", "电话", "住址", "Block"),
    ("1", "王秀英", "138 0013 8000", "3栋2单元401", "A"),
    ("2", "李建国", "010-6552 9988", "幸福里东门平房", "B"),
    ("3", "张桂兰", "", "3-2-402", "A"),
    ("", "合计：3户", "", "", ""),
    ("", "", "", "", ""),
]


def write_sheet(path: Path, rows: Sequence[Sequence[str]] = SHEET) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as out:
        csv.writer(out, lineterminator="\r\n").writerows(rows)
    return path


def test_the_summary_in_chinese(run: Run, community: Community, tmp_path: Path) -> None:
    result = run("import", "residents", write_sheet(tmp_path / "名册.csv"))
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        "第 3 行：地址“幸福里东门平房”无法拆分成楼栋、单元、房号，原样记作房号。",
        "第 3 行：+86 10 6552 9988 不能收短信（座机等）：已导入，签到时改为打电话或上门。",
    ]
    assert result.stdout.splitlines() == [
        "名册.csv：导入 3 人，拒收 0 行。",
        "跳过 2 行：合计行 1 行（第 5 行“合计：3户”）、空行 1 行。",
        "未使用的列：序号、Block —— 要导入，用 --map 序号=字段 指定（字段：name, phone, second_phone, grid, building, "
        "unit, room, language, tags, birth_year, status, monitoring, monitoring_until, notes, address）。",
        "座机等不能收短信的号码 1 个：已导入，签到时改为打电话或上门（标签 landline），第 3 行。",
        "无法拆分成楼栋、单元、房号的地址 1 个：原样保存，第 3 行。",
    ]
    assert count_residents() == 3


@pytest.fixture
def english(database: Path) -> Community:
    return init_community("Riverside", "CN", "Asia/Shanghai", ["en", "zh"], actor="test")


def test_the_summary_in_english_with_a_map(run: Run, english: Community, tmp_path: Path) -> None:
    result = run("import", "residents", write_sheet(tmp_path / "register.csv"), "--map", "Block=grid")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:3] == [
        "register.csv: imported 3, rejected 0.",
        'Skipped 2 row(s): 1 total row(s) (line 5 "合计：3户"), 1 blank row(s).',
        "Ignored columns: 序号 — map them with --map 序号=FIELD (fields: name, phone, second_phone, grid, building, "
        "unit, room, language, tags, birth_year, status, monitoring, monitoring_until, notes, address).",
    ]
    assert result.stderr.splitlines()[1] == (
        "line 3: +86 10 6552 9988 cannot take SMS (a landline or similar): imported; the check-in calls or knocks "
        "instead."
    )
    assert {r.name: r.grid.name for r in Resident.select()} == {"王秀英": "A", "李建国": "B", "张桂兰": "A"}


def test_rejected_rows_are_counted_in_the_summary(run: Run, community: Community, tmp_path: Path) -> None:
    rows = [("姓名", "电话"), ("王秀英", "13800138000"), ("赵六", "12345")]
    rejects = tmp_path / "rejects.csv"
    result = run(
        "import", "residents", write_sheet(tmp_path / "名册.csv", rows), "--skip-invalid", "--rejects", rejects
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == f"名册.csv：导入 1 人，拒收 1 行（已写入 {rejects}）。\n"


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("住址=adress", "--map 住址=adress：没有“adress”这个字段；可用的字段：name, phone,"),
        ("住址", "--map 住址：请写成 列名=字段，例如 --map 住址=address。"),
        ("户籍=address", "--map 户籍=address：表头（第 1 行）没有 户籍 这一列；现有的列：序号, 姓名, 电话,"),
    ],
)
def test_a_map_that_cannot_be_followed_is_one_line_and_writes_nothing(
    run: Run, community: Community, tmp_path: Path, option: str, message: str
) -> None:
    line = one_line_error(run("import", "residents", write_sheet(tmp_path / "名册.csv"), "--map", option))
    assert line.startswith(f"请检查输入：{message}"), line
    assert count_residents() == 0


def test_a_map_works_with_update_too(run: Run, community: Community, tmp_path: Path) -> None:
    first = [("姓名", "电话", "Block"), ("王秀英", "13800138000", "3")]
    assert (
        run("import", "residents", write_sheet(tmp_path / "名册.csv", first), "--map", "Block=building").exit_code == 0
    )
    revised = [("姓名", "电话", "Block"), ("王秀英", "13800138000", "5")]
    sheet = write_sheet(tmp_path / "名册2.csv", revised)
    result = run("import", "residents", sheet, "--update", "--map", "Block=building", "--yes")
    assert result.exit_code == 0, result.output
    (wang,) = find_residents(ResidentFilter(query="王秀英"))
    assert wang.building == "5"


def test_cells_with_control_characters_are_shown_as_plain_text(run: Run, community: Community, tmp_path: Path) -> None:
    rows = [("姓名", "电话", "住址", "\x1b[31m列"), ("王秀英", "13800138000", "东门\x1b[2J平房", "")]
    result = run("import", "residents", write_sheet(tmp_path / "名册.csv", rows))
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout + result.stderr


def test_a_workbook_with_merged_header_cells_and_a_total_row(run: Run, community: Community, tmp_path: Path) -> None:
    result = run("import", "residents", merged_register(tmp_path / "名册.xlsx"))
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert result.stdout.splitlines()[:2] == [
        "名册.xlsx：导入 3 人，拒收 0 行。",
        "跳过 1 行：合计行 1 行（第 7 行“合计：3户”）。",
    ]
    assert result.stdout.splitlines()[2].startswith(
        "未使用的列：联系方式/座机 —— 要导入，用 --map 联系方式/座机=字段 指定"
    )


def test_the_errors_and_the_rejected_rows_in_english(run: Run, english: Community, tmp_path: Path) -> None:
    bad_map = one_line_error(run("import", "residents", write_sheet(tmp_path / "register.csv"), "--map", "住址"))
    assert bad_map == "Please check the input: --map 住址: write COLUMN=field, e.g. --map 住址=address."
    rows = [("姓名", "电话", "出生年份"), ("王秀英", "13800138000", "1948"), ("赵六", "12345", "19x0")]
    result = run("import", "residents", write_sheet(tmp_path / "register.csv", rows))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "line 3: phone: '12345' (5 digits) is not a valid number in China; check the digits.",
        "Import stopped: nothing was written: 1 of 2 rows have problems; fix them or use --skip-invalid.",
    ]
    assert count_residents() == 0


def test_rows_sharing_a_phone_are_refused_in_chinese(run: Run, community: Community, tmp_path: Path) -> None:
    rows = [("姓名", "电话", "住址"), ("王秀英", "13800138000", "3-2-401"), ("王秀英", "13800138000", "3-2-401")]
    result = run("import", "residents", write_sheet(tmp_path / "名册.csv", rows), "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert result.stderr == "第 3 行：电话 +8613800138000 已在第 2 行出现过，姓名也相同\n"
    assert count_residents() == 1
