"""Updating the register from a revised sheet: the preview (new, changed field by field, unchanged, missing,
ambiguous, phone clashes) and applying it in one transaction."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from kit import residents
from kit.clock import FixedClock
from kit.errors import Conflict, ImportFailed, StorageError
from kit.importer import import_residents
from kit.models import AuditEntry, Community, Resident
from kit.register_update import FieldChange, UpdatePreview, apply_update, preview_update
from kit.register_update_text import preview_lines
from kit.resident_search import ResidentFilter, find_residents
from kit.residents import ResidentInput, add_resident, set_status
from kit.retention import set_moved_out

pytestmark = pytest.mark.each_database  # storage code: runs on SQLite and PostgreSQL

HEADER = ["姓名", "电话", "网格", "楼栋", "单元", "房号"]
WEEK_1 = [
    ["王秀英", "13800000001", "第2网格", "3", "2", "401"],
    ["李建国", "13800000002", "第1网格", "5", "1", "101"],
    ["张淑珍", "", "第1网格", "5", "1", "102"],
    ["刘德明", "", "第2网格", "3", "1", "201"],
]


def sheet(
    tmp_path: Path, rows: Sequence[Sequence[str]], name: str = "名册.csv", header: Sequence[str] = HEADER
) -> Path:
    path = tmp_path / name
    with path.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows([header, *rows])
    return path


def everybody() -> dict[str, dict[str, Any]]:
    """name -> the fields the tests look at, for every resident."""
    return {
        view.name: {"id": view.id, "phone": view.phone, "grid": view.grid, "address": view.address}
        for view in find_residents(limit=None)
    }


def moved_out(name: str) -> bool:
    return Resident.get(Resident.name == name).moved_out_at is not None


def updated(path: Path, **options: Any) -> UpdatePreview:
    return apply_update(preview_update(path), **options)


def test_the_same_sheet_twice_changes_nothing_the_second_time(community: Community, tmp_path: Path) -> None:
    path = sheet(tmp_path, WEEK_1)
    first = updated(path, actor="王站长")
    assert (len(first.new), len(first.changed), first.unchanged, len(first.missing)) == (4, 0, 0, 0)
    before = everybody()
    audit_before = AuditEntry.select().count()

    again = preview_update(path)

    assert (len(again.new), len(again.changed), again.unchanged, len(again.missing)) == (0, 0, 4, 0)
    assert again.changes_nothing
    assert preview_lines(again, "zh")[1] == "表格与名册一致，没有要更改的。"
    applied = apply_update(again, actor="王站长")
    assert applied.applied and everybody() == before and Resident.select().count() == 4
    entry = AuditEntry.select().order_by(AuditEntry.id.desc()).first()
    assert AuditEntry.select().count() == audit_before + 1  # the update itself, and nothing else
    assert (entry.actor, entry.action) == ("王站长", "import-update")
    assert json.loads(entry.detail)["unchanged"] == 4


def test_a_plain_import_then_an_update_of_the_same_sheet(community: Community, tmp_path: Path) -> None:
    path = sheet(tmp_path, WEEK_1)
    import_residents(path)
    preview = preview_update(path)
    assert preview.unchanged == 4 and preview.changes_nothing


def test_a_plain_import_twice_does_not_register_residents_without_a_phone_again(
    community: Community, tmp_path: Path
) -> None:
    import_residents(sheet(tmp_path, WEEK_1))
    phoneless = sheet(tmp_path, [row for row in WEEK_1 if not row[1]], "无电话.csv")

    result = import_residents(phoneless)

    assert (result.imported, result.already_registered, result.read) == (0, 2, 2)
    assert Resident.select().count() == 4


def test_a_changed_grid_and_phone_are_shown_field_by_field_and_applied(community: Community, tmp_path: Path) -> None:
    updated(sheet(tmp_path, WEEK_1))
    week_2 = [list(row) for row in WEEK_1]
    week_2[0][2] = "第3网格"  # 王秀英 moves to grid 3
    week_2[2][1] = "13900000003"  # 张淑珍 has a phone now (matched by name and address)
    path = sheet(tmp_path, week_2, "第二周.csv")

    preview = preview_update(path)

    assert [(c.line, c.name, c.changes) for c in preview.changed] == [
        (2, "王秀英", (FieldChange("grid", "第2网格", "第3网格"),)),
        (4, "张淑珍", (FieldChange("phone", None, "+8613900000003"), FieldChange("tags", ("no-phone",), ()))),
    ]  # the no-phone tag follows the phone, though the sheet has no tags column
    assert preview.unchanged == 2 and not preview.new and not preview.missing
    lines = preview_lines(preview, "zh")
    assert "    网格 第2网格 -> 第3网格" in lines
    assert "    电话 （空） -> +86 139 0000 0003" in lines
    assert "    标签 无电话 -> （空）" in lines
    assert "    grid 第2网格 -> 第3网格" in preview_lines(preview, "en")

    apply_update(preview, actor="王站长")

    after = everybody()
    assert after["王秀英"]["grid"] == "第3网格" and after["张淑珍"]["phone"] == "+8613900000003"
    assert find_residents(ResidentFilter(query="张淑珍"))[0].tags == ()
    edits = AuditEntry.select().where((AuditEntry.action == "edit") & (AuditEntry.actor == "王站长"))
    assert sorted(entry.entity_id for entry in edits) == sorted([after["王秀英"]["id"], after["张淑珍"]["id"]])
    assert preview_update(path).changes_nothing


def test_columns_the_sheet_does_not_have_are_left_alone(community: Community, tmp_path: Path) -> None:
    updated(sheet(tmp_path, WEEK_1))
    set_status(everybody()["李建国"]["id"], "red")
    preview = preview_update(sheet(tmp_path, WEEK_1, "again.csv"))
    assert preview.changes_nothing  # no 状态 column: 李建国 stays red, not "changed" to green


def test_a_resident_missing_from_the_sheet_is_listed_and_marked_moved_out_only_when_asked(
    community: Community, tmp_path: Path
) -> None:
    updated(sheet(tmp_path, WEEK_1))
    path = sheet(tmp_path, WEEK_1[:3], "第二周.csv")  # 刘德明 is not on it

    preview = preview_update(path)
    assert [(m.name, m.address) for m in preview.missing] == [("刘德明", "3-1-201")]
    assert "表里没有  #4 刘德明 3-1-201" in preview_lines(preview, "zh")

    apply_update(preview)
    assert not moved_out("刘德明")

    applied = apply_update(preview_update(path), mark_missing=True, actor="王站长")
    assert applied.marked_moved_out == 1 and moved_out("刘德明")
    assert Resident.select().count() == 4  # never deleted
    assert preview_update(path).changes_nothing  # moved out: no longer missing


def test_a_resident_who_moved_out_and_is_on_the_sheet_again_comes_back(community: Community, tmp_path: Path) -> None:
    path = sheet(tmp_path, WEEK_1)
    updated(path)
    set_moved_out(everybody()["刘德明"]["id"])

    preview = preview_update(path)

    assert [(c.name, [f.field for f in c.changes]) for c in preview.changed] == [("刘德明", ["moved_out"])]
    apply_update(preview)
    assert not moved_out("刘德明") and Resident.select().count() == 4


def test_a_row_matching_two_residents_is_listed_never_guessed(community: Community, tmp_path: Path) -> None:
    for _ in range(2):  # registered twice before updates could tell
        add_resident(ResidentInput(name="赵玉兰", grid="第1网格", building="7", unit="1", room="301"))
    path = sheet(tmp_path, [["赵玉兰", "", "第2网格", "7", "1", "301"]])

    preview = preview_update(path)

    assert [(a.line, [name for _, name in a.candidates]) for a in preview.ambiguous] == [(2, ["赵玉兰", "赵玉兰"])]
    assert not preview.new and not preview.changed and not preview.missing
    ids = ", ".join(f"#{resident_id} 赵玉兰" for resident_id, _ in preview.ambiguous[0].candidates)
    assert f"无法确定  第2行 赵玉兰 7-1-301：可能是 {ids}" in preview_lines(preview, "zh")
    apply_update(preview, mark_missing=True)
    assert [view.grid for view in find_residents(limit=None)] == ["第1网格", "第1网格"]  # neither was guessed
    assert Resident.select().where(Resident.moved_out_at.is_null(False)).count() == 0


def test_two_rows_matching_one_resident_are_listed(community: Community, tmp_path: Path) -> None:
    updated(sheet(tmp_path, WEEK_1))
    path = sheet(tmp_path, [*WEEK_1, ["张淑珍", "", "第2网格", "5", "1", "102"]], "twice.csv")
    preview = preview_update(path)
    assert [(a.line, a.other_lines) for a in preview.ambiguous] == [(4, (6,)), (6, (4,))]
    assert preview.unchanged == 3 and not preview.missing


def test_a_row_giving_another_residents_phone_is_refused_and_nothing_is_applied(
    community: Community, tmp_path: Path
) -> None:
    updated(sheet(tmp_path, WEEK_1))
    before = everybody()
    week_2 = [list(row) for row in WEEK_1]
    week_2[0][1] = "13800000002"  # 王秀英's row gives 李建国's phone...
    week_2[1][1] = "13800000009"  # ...and 李建国's row a new one
    week_2[3][2] = "第3网格"  # a change that must not be applied either
    path = sheet(tmp_path, [*week_2, ["新居民", "13700000000", "第1网格", "9", "9", "909"]], "第二周.csv")

    preview = preview_update(path)

    assert [(c.line, c.name, c.owner_name, c.owner_line) for c in preview.clashes] == [(2, "王秀英", "李建国", 3)]
    wang, li = before["王秀英"]["id"], before["李建国"]["id"]
    assert (
        f"电话冲突  第2行 王秀英（#{wang}）的电话 +86 138 0000 0002 是 李建国（#{li}）（第3行）的号码"
        in preview_lines(preview, "zh")
    )
    with pytest.raises(Conflict) as refused:
        apply_update(preview)
    assert (
        f"line 2 (王秀英, resident #{wang}) gives +8613800000002, the phone of 李建国 (resident #{li}) (line 3)"
        in refused.value.message
    )
    assert "Nothing was applied" in refused.value.message
    assert everybody() == before


def test_a_failure_part_way_through_leaves_nothing_changed(
    community: Community, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    updated(sheet(tmp_path, WEEK_1[:3]))
    before = everybody()
    audit_before = AuditEntry.select().count()
    week_2 = [list(row) for row in WEEK_1]
    week_2[0][2] = "第3网格"
    week_2[1][2] = "第3网格"
    path = sheet(tmp_path, week_2, "第二周.csv")  # a new resident and two changes
    real_edit = residents.edit_resident
    calls: list[int] = []

    def edit_then_fail(resident_id: int, changes: dict[str, Any], *, actor: str = "cli") -> Resident:
        calls.append(resident_id)
        if len(calls) == 2:
            raise StorageError("The disk is full.")
        return real_edit(resident_id, changes, actor=actor)

    monkeypatch.setattr("kit.register_update.edit_resident", edit_then_fail)

    with pytest.raises(StorageError):
        apply_update(preview_update(path), mark_missing=True)

    assert len(calls) == 2  # the first change was written before the failure...
    assert everybody() == before  # ...and taken back with the new resident
    assert AuditEntry.select().count() == audit_before


def test_a_register_changed_since_the_preview_is_not_applied(
    community: Community, tmp_path: Path, fixed_clock: FixedClock
) -> None:
    updated(sheet(tmp_path, WEEK_1))
    week_2 = [list(row) for row in WEEK_1]
    week_2[0][2] = "第3网格"
    path = sheet(tmp_path, week_2, "第二周.csv")
    preview = preview_update(path)
    add_resident(ResidentInput(name="新来的", phone="13700000001"))  # meanwhile, at the desk
    with pytest.raises(Conflict, match="changed since this preview"):
        apply_update(preview)

    preview = preview_update(path)
    fixed_clock.advance(minutes=1)
    set_status(everybody()["李建国"]["id"], "red")  # meanwhile, a reply
    with pytest.raises(Conflict, match="changed since this preview"):
        apply_update(preview)
    assert everybody()["王秀英"]["grid"] == "第2网格"


def test_bad_rows_stop_the_update_unless_skipped(community: Community, tmp_path: Path) -> None:
    path = sheet(tmp_path, [*WEEK_1, ["", "13800000005", "第1网格", "1", "1", "101"]])
    preview = preview_update(path)
    assert [r.line for r in preview.rejected] == [6]
    with pytest.raises(ImportFailed):
        apply_update(preview)
    assert Resident.select().count() == 0
    assert len(apply_update(preview, skip_invalid=True).new) == 4


def test_a_household_sharing_a_phone_is_matched_person_by_person(community: Community, tmp_path: Path) -> None:
    couple = [
        ["王秀英", "13800000001", "第2网格", "3", "2", "401"],
        ["王建华", "13800000001", "第2网格", "3", "2", "401"],
    ]
    path = sheet(tmp_path, couple)
    assert len(updated(path).new) == 2

    again = preview_update(path)
    assert again.unchanged == 2 and again.changes_nothing and not again.ambiguous

    grandson = sheet(tmp_path, [*couple, ["王小明", "13800000001", "第2网格", "3", "2", "401"]], "三口.csv")
    assert [new.record.name for new in preview_update(grandson).new] == ["王小明"]  # joins the shared phone


def test_a_total_row_is_set_aside_not_taken_for_a_new_resident(community: Community, tmp_path: Path) -> None:
    updated(sheet(tmp_path, WEEK_1))
    preview = preview_update(sheet(tmp_path, [*WEEK_1, ["合计：4户", "", "", "", "", ""]], "合计.csv"))
    assert preview.changes_nothing and preview.unchanged == 4 and not preview.rejected
    assert any("合计：4户" in line for line in preview_lines(preview, "zh"))


def test_a_landline_in_place_of_a_mobile_brings_its_tag(community: Community, tmp_path: Path) -> None:
    updated(sheet(tmp_path, WEEK_1))
    week_2 = [list(row) for row in WEEK_1]
    week_2[1][1] = "010-62345678"  # 李建国 gives his home number now
    preview = preview_update(sheet(tmp_path, week_2, "第二周.csv"))
    (changed,) = preview.changed
    assert changed.changes == (
        FieldChange("phone", "+8613800000002", "+861062345678"),
        FieldChange("tags", (), ("landline",)),
    )
    apply_update(preview)
    assert find_residents(ResidentFilter(query="李建国"))[0].tags == ("landline",)


def test_a_sheet_without_addresses_tells_who_of_a_couple_on_one_phone_it_is_by_name(
    community: Community, tmp_path: Path
) -> None:
    couple = [
        ["王秀英", "13800000001", "第2网格", "3", "2", "401"],
        ["王建华", "13800000001", "第2网格", "3", "2", "401"],
    ]
    updated(sheet(tmp_path, couple))
    names_and_phones = sheet(tmp_path, [couple[1][:3]], "电话表.csv", header=HEADER[:3])  # the husband only
    preview = preview_update(names_and_phones)
    assert preview.unchanged == 1 and not preview.changed and not preview.ambiguous
    assert [missing.name for missing in preview.missing] == ["王秀英"]
