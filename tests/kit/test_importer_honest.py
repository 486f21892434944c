"""An import that says what it did with every column and row: unused columns listed, `--map`, addresses split or
kept whole, landlines marked for a call, total rows and merged header cells."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import pytest
from openpyxl import Workbook

from kit.errors import ImportFailed, ValidationError
from kit.importer import ImportResult, import_residents
from kit.models import Community, Household, Resident, ResidentTag
from kit.register_sheet import RowNote, TotalRow, column_map, total_row_text
from kit.resident_search import count_residents
from tests.workbooks import active_sheet

pytestmark = pytest.mark.each_database  # storage code: runs on SQLite and PostgreSQL


def write_csv(path: Path, rows: Sequence[Sequence[object]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as out:
        csv.writer(out, lineterminator="\r\n").writerows(rows)
    return path


def addresses() -> dict[str, tuple[str, str, str] | None]:
    """name -> (building, unit, room) of the resident's household."""
    found: dict[str, tuple[str, str, str] | None] = {}
    for resident in Resident.select():
        household = Household.get_or_none(Household.id == resident.household_id)
        found[resident.name] = None if household is None else (household.building, household.unit, household.room)
    return found


def tags_of(name: str) -> list[str]:
    resident = Resident.get(Resident.name == name)
    return sorted(
        tag for (tag,) in ResidentTag.select(ResidentTag.tag).where(ResidentTag.resident == resident).tuples()
    )


# --- columns Linli does not use, and --map ----------------------------------------------------------------------


def test_columns_linli_does_not_use_are_listed_in_sheet_order(community: Community, tmp_path: Path) -> None:
    rows = [
        ("序号", "姓名", "性别", "电话", "身份证号", "网格"),
        ("1", "王秀英", "女", "13800138000", "1101...", "第1网格"),
    ]
    result = import_residents(write_csv(tmp_path / "register.csv", rows))
    assert result.imported == 1
    assert result.ignored == ("序号", "性别", "身份证号")


def test_a_second_column_for_the_same_field_is_listed_as_ignored(community: Community, tmp_path: Path) -> None:
    rows = [("姓名", "手机", "联系电话"), ("王秀英", "13800138000", "13900139000")]
    result = import_residents(write_csv(tmp_path / "register.csv", rows))
    assert result.ignored == ("联系电话",)
    assert Resident.get().phone == "+8613800138000"


def test_a_map_reads_columns_linli_does_not_know(community: Community, tmp_path: Path) -> None:
    rows = [("户主", "电话", "户籍地址", "Block"), ("王秀英", "13800138000", "3-2-401", "x")]
    file = write_csv(tmp_path / "register.csv", rows)
    result = import_residents(file, mapping=column_map(["户主=name", "户籍地址=address", "Block=notes"]))
    assert (result.imported, result.ignored) == (1, ())
    assert addresses() == {"王秀英": ("3", "2", "401")}
    assert Resident.get().notes == "x"


def test_a_map_wins_over_the_column_linli_would_have_chosen(community: Community, tmp_path: Path) -> None:
    rows = [("姓名", "手机", "家属电话"), ("王秀英", "13800138000", "13900139000")]
    result = import_residents(write_csv(tmp_path / "register.csv", rows), mapping={"家属电话": "phone"})
    assert Resident.get().phone == "+8613900139000"
    assert result.ignored == ("手机",)


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        (["住址=adress"], "--map 住址=adress: there is no field 'adress'; fields: name, phone, second_phone, grid,"),
        (["住址"], "--map 住址: write COLUMN=field, e.g. --map 住址=address."),
        (["=address"], "--map =address: write COLUMN=field"),
        (["住址=address", "地址=address"], "--map 地址=address: two columns are mapped to address."),
        (["住址=address", " 住址 =notes"], "--map  住址 =notes: the column 住址 is mapped twice."),
    ],
)
def test_a_map_that_cannot_be_followed_is_refused(pairs: list[str], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        column_map(pairs)
    assert caught.value.message.startswith(message)


def test_a_map_accepts_the_field_names_people_write() -> None:
    assert column_map(["户籍地址=地址", "Mobile=second phone"]) == {"户籍地址": "address", "Mobile": "second_phone"}


def test_a_map_naming_a_column_not_in_the_sheet_writes_nothing(community: Community, tmp_path: Path) -> None:
    rows = [("姓名", "电话"), ("王秀英", "13800138000")]
    with pytest.raises(ValidationError) as caught:
        import_residents(write_csv(tmp_path / "register.csv", rows), mapping={"住址": "address"})
    assert (
        caught.value.message == "--map 住址=address: the header (line 1) has no column 住址; its columns: 姓名, 电话."
    )
    assert count_residents() == 0


# --- addresses ------------------------------------------------------------------------------------------------


def test_an_address_column_is_split_into_building_unit_and_room(community: Community, tmp_path: Path) -> None:
    rows = [
        ("姓名", "电话", "住址"),
        ("王秀英", "13800138001", "3栋2单元401"),
        ("李建国", "13800138002", "３－２－４０２"),
        ("张桂兰", "13800138003", "5号楼1单元101室"),
        ("Mary Lee", "13800138004", "Block 7, 3-1502"),
    ]
    result = import_residents(write_csv(tmp_path / "register.csv", rows))
    assert (result.imported, result.notes) == (4, [])
    assert addresses() == {
        "王秀英": ("3", "2", "401"),
        "李建国": ("3", "2", "402"),
        "张桂兰": ("5", "1", "101"),
        "Mary Lee": ("7", "3", "1502"),
    }


def test_an_address_that_cannot_be_split_is_kept_whole_with_a_note(community: Community, tmp_path: Path) -> None:
    rows = [
        ("姓名", "电话", "地址", "楼栋", "备注"),
        ("王秀英", "13800138001", "幸福里东门平房", "", ""),
        ("李建国", "13800138002", "建国路88号", "8", "腿脚不便"),
        ("张桂兰", "13800138003", "3-401", "", ""),
    ]
    result = import_residents(write_csv(tmp_path / "register.csv", rows))
    assert result.imported == 3
    assert result.notes == [
        RowNote(2, "address_in_room", "幸福里东门平房"),
        RowNote(3, "address_in_notes", "建国路88号"),
        RowNote(4, "address_in_room", "3-401"),
    ]
    assert addresses() == {"王秀英": ("", "", "幸福里东门平房"), "李建国": ("8", "", ""), "张桂兰": ("", "", "3-401")}
    assert Resident.get(Resident.name == "李建国").notes == "腿脚不便; 建国路88号"


def test_the_row_own_address_columns_win_over_the_split(community: Community, tmp_path: Path) -> None:
    rows = [("姓名", "电话", "住址", "房号"), ("王秀英", "13800138001", "3-2-401", "402")]
    import_residents(write_csv(tmp_path / "register.csv", rows))
    assert addresses() == {"王秀英": ("3", "2", "402")}


# --- landlines ------------------------------------------------------------------------------------------------


def test_landlines_are_imported_tagged_and_noted(community: Community, tmp_path: Path) -> None:
    rows = [
        ("姓名", "电话", "标签"),
        ("王秀英", "010-6552 9988", "独居老人"),
        ("李建国", "021 5888 1234", ""),
        ("张桂兰", "138 0013 8000", ""),
        ("赵六", "400 810 8888", ""),
        ("钱七", "", ""),
    ]
    result = import_residents(write_csv(tmp_path / "register.csv", rows))
    assert result.imported == 5
    assert result.notes == [
        RowNote(2, "landline", "+861065529988"),
        RowNote(3, "landline", "+862158881234"),
        RowNote(5, "landline", "+864008108888"),
    ]
    assert tags_of("王秀英") == ["elderly-alone", "landline"]
    assert tags_of("李建国") == ["landline"]
    assert tags_of("张桂兰") == []
    assert tags_of("钱七") == ["no-phone"]


def test_a_landline_tag_written_in_the_sheet_is_kept_once(community: Community, tmp_path: Path) -> None:
    rows = [("姓名", "电话", "标签"), ("王秀英", "01065529988", "座机")]
    import_residents(write_csv(tmp_path / "register.csv", rows))
    assert tags_of("王秀英") == ["landline"]


def test_notes_of_a_rejected_row_are_not_kept(community: Community, tmp_path: Path) -> None:
    rows = [("姓名", "电话", "出生年份"), ("王秀英", "010-6552 9988", "19x0"), ("李建国", "021 5888 1234", "1950")]
    result = import_residents(write_csv(tmp_path / "register.csv", rows), skip_invalid=True)
    assert [r.line for r in result.rejected] == [2]
    assert result.notes == [RowNote(3, "landline", "+862158881234")]


# --- total and blank rows --------------------------------------------------------------------------------------


def test_total_and_blank_rows_at_the_end_are_skipped_with_a_note(community: Community, tmp_path: Path) -> None:
    rows = [
        ("姓名", "电话", "网格"),
        ("王秀英", "13800138001", "第1网格"),
        ("小计：1户", "", ""),
        ("李建国", "13800138002", "第2网格"),
        ("", "", ""),
        ("合计：15户", "", ""),
        ("", "", ""),
        ("", "", ""),
    ]
    result = import_residents(write_csv(tmp_path / "register.csv", rows))
    assert (result.imported, result.rejected, result.blank_rows) == (2, [], 3)
    assert result.totals == [TotalRow(3, "小计：1户"), TotalRow(6, "合计：15户")]
    assert count_residents() == 2


@pytest.mark.parametrize(
    ("cells", "total"),
    [
        (("合计：15户", None, None), "合计：15户"),
        (("", "总计", 15), "总计"),
        (("合 计", "15户"), "合 计"),
        (("Total: 15 households",), "Total: 15 households"),
        (("TOTAL",), "TOTAL"),
        (("Subtotal", 3), "Subtotal"),
        (("共计 12 人",), "共计 12 人"),
        (("王秀英", "合计"), None),  # a resident, with a word in another cell
        (("Totaro Sato", "13800138000"), None),
        (("", "", ""), None),
    ],
)
def test_total_rows(cells: tuple[object, ...], total: str | None) -> None:
    assert total_row_text(cells) == total


def test_a_total_row_is_not_a_resident_even_with_skip_invalid(community: Community, tmp_path: Path) -> None:
    rows = [("姓名", "电话"), ("王秀英", "13800138001"), ("Total", "1")]
    result = import_residents(write_csv(tmp_path / "register.csv", rows), skip_invalid=True)
    assert (result.imported, result.rejected, [t.line for t in result.totals]) == (1, [], [3])


# --- merged header cells ---------------------------------------------------------------------------------------


def merged_register(path: Path) -> Path:
    """A title merged across the sheet, a two-row header with merged groups, a grid merged down beside its
    residents, and a total row merged across, as street offices send them."""
    book = Workbook()
    sheet = active_sheet(book)
    sheet.append(["幸福里社区居民登记表（2026年11月）"])
    sheet.merge_cells("A1:H1")
    sheet.append(["姓名", "联系方式", None, "住址", None, None, "网格", "紧急联系人"])
    sheet.append([None, "手机", "座机", "楼栋", "单元", "房号", None, "电话"])
    for cell in ("A2:A3", "B2:C2", "D2:F2", "G2:G3"):
        sheet.merge_cells(cell)
    sheet.append(["王秀英", 13800138001, None, 3, 2, 401, "第1网格", "13900139001"])
    sheet.append(["李建国", None, "010-6552 9988", 3, 2, 402, None, None])
    sheet.append(["张桂兰", 13800138003, None, 5, 1, 101, "第2网格", None])
    sheet.merge_cells("G4:G5")
    sheet.append(["合计：3户"])
    sheet.merge_cells("A7:H7")
    book.save(path)
    return path


def test_a_workbook_with_merged_header_cells_and_a_total_row(community: Community, tmp_path: Path) -> None:
    result = import_residents(merged_register(tmp_path / "register.xlsx"))
    assert result.header == (
        "姓名",
        "联系方式/手机",
        "联系方式/座机",
        "住址/楼栋",
        "住址/单元",
        "住址/房号",
        "网格",
        "紧急联系人/电话",
    )
    assert result.columns == {
        "name": 0, "phone": 1, "building": 3, "unit": 4, "room": 5, "grid": 6, "second_phone": 7,
    }  # fmt: skip
    assert result.ignored == ("联系方式/座机",)
    assert (result.imported, result.rejected, result.totals) == (3, [], [TotalRow(7, "合计：3户")])
    grids = {r.name: (r.grid.name if r.grid else None, r.phone, r.second_phone) for r in Resident.select()}
    assert grids == {
        "王秀英": ("第1网格", "+8613800138001", "+8613900139001"),
        "李建国": ("第1网格", None, None),  # the grid merged down beside him; his landline is in an unused column
        "张桂兰": ("第2网格", "+8613800138003", None),
    }


def test_a_map_names_a_column_of_a_two_row_header_by_its_lower_cell(community: Community, tmp_path: Path) -> None:
    result = import_residents(merged_register(tmp_path / "register.xlsx"), mapping={"座机": "phone"})
    assert result.ignored == ("联系方式/手机",)
    assert Resident.get(Resident.name == "李建国").phone == "+861065529988"
    assert [note.line for note in result.notes if note.kind == "landline"] == [5]


def test_a_two_row_header_without_merges(community: Community, tmp_path: Path) -> None:
    rows = [
        ("居民名册",),
        ("姓名", "联系方式", "", "住址"),
        ("", "手机", "家属电话", ""),
        ("王秀英", "13800138001", "13900139001", "3栋2单元401"),
    ]
    result = import_residents(write_csv(tmp_path / "register.csv", rows))
    assert result.columns == {"name": 0, "phone": 1, "second_phone": 2, "address": 3}
    assert result.imported == 1
    assert addresses() == {"王秀英": ("3", "2", "401")}


def test_a_first_resident_is_not_taken_for_a_second_header_row(community: Community, tmp_path: Path) -> None:
    rows = [("姓名", "电话", "标签"), ("王秀英", "13800138001", "慢性病")]
    result: ImportResult = import_residents(write_csv(tmp_path / "register.csv", rows))
    assert (result.imported, result.header) == (1, ("姓名", "电话", "标签"))


def test_a_header_without_a_phone_column_is_still_refused(community: Community, tmp_path: Path) -> None:
    rows = [("姓名", "网格"), ("王秀英", "第1网格")]
    with pytest.raises(ValidationError, match="none of them is a phone column"):
        import_residents(write_csv(tmp_path / "register.csv", rows))


def test_a_bad_row_still_stops_the_import(community: Community, tmp_path: Path) -> None:
    rows = [("姓名", "电话", "住址"), ("王秀英", "12345", "3-2-401"), ("合计", "", "")]
    with pytest.raises(ImportFailed):
        import_residents(write_csv(tmp_path / "register.csv", rows))
    assert count_residents() == 0
