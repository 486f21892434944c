"""`linli import residents FILE --update`: the preview, --yes, --mark-missing and --json, and the bad inputs."""

from __future__ import annotations

import json
from pathlib import Path

from kit.models import AuditEntry, Community, Resident
from kit.resident_search import find_residents
from tests.cli_run import Run, one_line_error
from tests.kit.test_register_update import HEADER, WEEK_1, sheet


def grids() -> dict[str, str | None]:
    return {view.name: view.grid for view in find_residents(limit=None)}


def test_the_same_file_twice_applies_once_and_then_says_nothing_changes(
    run: Run, community: Community, tmp_path: Path
) -> None:
    path = sheet(tmp_path, WEEK_1)
    first = run("import", "residents", path, "--update", "--yes")
    assert first.exit_code == 0, first.output
    assert first.stdout.splitlines()[0] == "名册.csv：新增 4 人 · 有变动 0 人 · 无变动 0 人 · 名册里有而表里没有 0 人"
    assert first.stdout.splitlines()[-1] == "已应用：新增 4 人，变动 0 人，标为已迁出 0 人。"

    second = run("import", "residents", path, "--update", "--yes")

    assert second.exit_code == 0, second.output
    assert second.stdout.splitlines() == [
        "名册.csv：新增 0 人 · 有变动 0 人 · 无变动 4 人 · 名册里有而表里没有 0 人",
        "表格与名册一致，没有要更改的。",
        "已应用：新增 0 人，变动 0 人，标为已迁出 0 人。",
    ]
    assert Resident.select().count() == 4


def test_the_preview_changes_nothing_and_yes_applies_it(run: Run, community: Community, tmp_path: Path) -> None:
    run("import", "residents", sheet(tmp_path, WEEK_1))
    week_2 = [list(row) for row in WEEK_1[:3]]
    week_2[0][2] = "第3网格"
    path = sheet(tmp_path, week_2, "第二周.csv")

    preview = run("import", "residents", path, "--update")

    assert preview.exit_code == 0, preview.output
    lines = preview.stdout.splitlines()
    assert lines[:3] == [
        "第二周.csv：新增 0 人 · 有变动 1 人 · 无变动 2 人 · 名册里有而表里没有 1 人",
        "变动  第2行 王秀英（#1）",
        "    网格 第2网格 -> 第3网格",
    ]
    assert lines[3] == "表里没有  #4 刘德明 3-1-201"
    assert lines[4].startswith("以上尚未生效。加 --yes 应用")
    assert grids()["王秀英"] == "第2网格"

    applied = run("import", "residents", path, "--update", "--yes", "--mark-missing")

    assert applied.exit_code == 0, applied.output
    assert applied.stdout.splitlines()[-1] == "已应用：新增 0 人，变动 1 人，标为已迁出 1 人。"
    assert grids()["王秀英"] == "第3网格"
    assert Resident.get(Resident.name == "刘德明").moved_out_at is not None
    assert AuditEntry.select().where(AuditEntry.action == "import-update").count() == 1


def test_json_preview(run: Run, community: Community, tmp_path: Path) -> None:
    run("import", "residents", sheet(tmp_path, WEEK_1))
    week_2 = [list(row) for row in WEEK_1]
    week_2[1][1] = "13900000002"
    result = run("import", "residents", sheet(tmp_path, week_2, "第二周.csv"), "--update", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["new"], data["changed"], data["unchanged"], data["missing"], data["applied"]) == (0, 1, 3, 0, False)
    assert data["changed_rows"] == [
        {
            "line": 3,
            "resident_id": 2,
            "name": "李建国",
            "changes": [{"field": "phone", "old": "+8613800000002", "new": "+8613900000002"}],
        }
    ]


def test_a_phone_clash_prints_the_preview_then_refuses_in_one_line(
    run: Run, community: Community, tmp_path: Path
) -> None:
    run("import", "residents", sheet(tmp_path, WEEK_1))
    week_2 = [list(row) for row in WEEK_1]
    week_2[0][1] = "13800000009"  # 王秀英 has a new phone...
    week_2[2][1] = "13800000001"  # ...and 张淑珍's row gives her old one
    result = run("import", "residents", sheet(tmp_path, week_2, "第二周.csv"), "--update", "--yes")
    assert result.exit_code == 2
    assert "电话冲突  第4行 张淑珍（#3）的电话 +86 138 0000 0001 是 王秀英（#1）（第2行）的号码" in result.stdout
    (line,) = result.stderr.splitlines()
    assert line == (
        "已经存在：第 4 行（张淑珍，居民 #3）的电话 +8613800000001 是 王秀英（居民 #1，在第 2 行）的号码。"
        "什么都没有应用：请改正表格里的电话号码，再预览一次。"
    )
    assert Resident.get(Resident.name == "王秀英").phone == "+8613800000001"
    assert Resident.get(Resident.name == "张淑珍").phone is None


def test_the_update_options_go_together(run: Run, community: Community, tmp_path: Path) -> None:
    path = sheet(tmp_path, WEEK_1)
    assert "要和 --update 一起用" in one_line_error(run("import", "residents", path, "--yes"))
    assert "要和 --update 一起用" in one_line_error(run("import", "residents", path, "--json"))
    assert one_line_error(run("import", "residents", path, "--update", "--mark-missing")) == (
        "请检查输入：--mark-missing 要和 --yes 一起用：没有 --yes 什么都不会应用。"
    )
    assert one_line_error(run("import", "residents", path, "--rejects", path, "--skip-invalid")) == (
        "请检查输入：--rejects 要写到另一个文件，不能是正在导入的这个。"
    )
    assert Resident.select().count() == 0


def test_a_plain_import_twice_says_who_was_left_out(run: Run, community: Community, tmp_path: Path) -> None:
    phoneless = [row for row in WEEK_1 if not row[1]]
    path = sheet(tmp_path, phoneless, header=HEADER)
    assert run("import", "residents", path).stdout == "名册.csv：导入 2 人，拒收 0 行。\n"
    again = run("import", "residents", path)
    assert again.exit_code == 0, again.output
    assert again.stdout == (
        "名册.csv：导入 0 人，拒收 0 行；2 位无电话的居民已按姓名和地址登记过，"
        "未重复登记（修订后的名册请用 --update）。\n"
    )
    assert Resident.select().count() == 2
