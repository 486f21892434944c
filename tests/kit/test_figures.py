"""A day's figures per grid (kit.figures) and the street office's form filled from them (kit.daily_sheet)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from kit import ui_words
from kit.checkin import record_answer, start_round
from kit.clock import FixedClock
from kit.config import CheckinSettings
from kit.daily_sheet import MapError, fill_template, parse_map
from kit.figures import FIGURES, day_figures, figure_labels
from kit.models import Community
from kit.reports import record_report
from kit.residents import ResidentInput, add_resident, set_monitoring
from kit.tasks import create_task
from tests.workbooks import active_sheet

TODAY = date(2026, 11, 20)


def resident(name: str, phone: str | None, grid: str) -> int:
    resident_id: int = add_resident(ResidentInput(name=name, phone=phone, grid=grid, room=name)).id
    return resident_id


@pytest.fixture
def day(community: Community) -> dict[str, int]:
    ids = {
        "王芳": resident("王芳", "+8613800000001", "第2网格"),
        "李伯": resident("李伯", None, "第2网格"),
        "陈姐": resident("陈姐", "+8613800000003", "第10网格"),
        "刘叔": resident("刘叔", "+8613800000004", "第10网格"),
        "赵婶": resident("赵婶", "+8613800000005", "第10网格"),
    }
    set_monitoring(ids["赵婶"], "home_quarantine", "2026-12-01", actor="test")
    start_round(settings=CheckinSettings())
    record_report(ids["王芳"], "well", text="1")
    record_answer(ids["王芳"], "well")
    record_report(ids["陈姐"], "unwell", temperature_c=38.6, text="2 38.6")
    record_answer(ids["陈姐"], "unwell")
    record_report(ids["刘叔"], "help", text="3 买药")
    record_answer(ids["刘叔"], "help")
    return ids


def by_grid() -> dict[str, dict[str, int]]:
    return {row.grid: row.figures for row in day_figures(TODAY).grids}


def test_each_grid_has_its_own_counts_in_natural_order(day: dict[str, int]) -> None:
    grids = by_grid()
    assert list(grids) == ["第2网格", "第10网格"]
    second, tenth = grids["第2网格"], grids["第10网格"]
    assert (second["residents"], second["asked"], second["answered"], second["well"]) == (2, 2, 1, 1)
    assert (tenth["residents"], tenth["asked"], tenth["answered"], tenth["silent"]) == (3, 3, 2, 1)
    assert (tenth["unwell"], tenth["fever"], tenth["help"], tenth["monitored"]) == (1, 1, 1, 1)
    assert tenth["red"] == 1  # 38.6 °C is red
    assert second["unreachable"] == 1  # 李伯 has no phone: straight to the door-knock list


def test_totals_add_up_the_grids(day: dict[str, int]) -> None:
    figures = day_figures(TODAY)
    assert figures.totals["asked"] == 5
    assert figures.totals == {name: sum(row.figures[name] for row in figures.grids) for name in FIGURES}


def test_another_day_counts_only_its_own_check_ins_and_fevers(day: dict[str, int], fixed_clock: FixedClock) -> None:
    fixed_clock.advance(days=1)
    tomorrow = day_figures(TODAY + timedelta(days=1)).totals
    assert (tomorrow["asked"], tomorrow["fever"], tomorrow["tasks_new"]) == (0, 0, 0)
    assert tomorrow["residents"] == 5


def test_tasks_are_counted_per_grid(day: dict[str, int]) -> None:
    create_task("errand", resident_id=day["王芳"], need="买菜", actor="test")
    assert by_grid()["第2网格"]["tasks_open"] >= 1


def test_the_payload_has_counts_only(day: dict[str, int]) -> None:
    payload = str(day_figures(TODAY).as_dict())
    for text in ("王芳", "陈姐", "+86138", "买药"):
        assert text not in payload


def test_every_language_labels_every_figure() -> None:
    for language in ("zh", "en"):
        labels = figure_labels(language)
        assert set(FIGURES) <= set(labels)
        assert {"community", "date", "grid", "no_grid", "total"} <= set(labels)
    assert figure_labels("fr") == figure_labels("en")


# --- the street office's form ----------------------------------------------------------------------------------


def form(tmp_path: Path, *, merge: str | None = None, footer: str | None = None) -> Path:
    book = Workbook()
    sheet = active_sheet(book)
    sheet.title = "日报"
    sheet["A1"] = "社区日报"
    if merge:
        sheet.merge_cells(merge)
    if footer:
        sheet[footer] = "填报人：____"
    path = tmp_path / "街道日报.xlsx"
    book.save(path)
    return path


TABLE_MAP = {
    "cells": {"B2": "community", "D2": "date", "日报!F2": "total.fever"},
    "tables": [{"start_row": 4, "total_row": True, "columns": {"A": "grid", "B": "asked", "C": "answered"}}],
}


def test_a_form_is_filled_cell_by_cell_and_grid_by_grid(day: dict[str, int], tmp_path: Path) -> None:
    template = form(tmp_path)
    output = tmp_path / "1120.xlsx"
    written = fill_template(template, parse_map(TABLE_MAP), day_figures(TODAY), output, language="zh")
    sheet = active_sheet(load_workbook(output))
    assert (sheet["B2"].value, sheet["D2"].value.date(), sheet["F2"].value) == ("幸福里社区", TODAY, 1)
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=4, max_row=6, max_col=3)]
    assert rows == [["第2网格", 2, 1], ["第10网格", 3, 2], ["合计", 5, 3]]
    assert written == 3 + 3 * 3
    assert active_sheet(load_workbook(template))["B2"].value is None  # the template itself is untouched


def test_english_labels_for_an_english_sheet(day: dict[str, int], tmp_path: Path) -> None:
    output = tmp_path / "out.xlsx"
    fill_template(form(tmp_path), parse_map(TABLE_MAP), day_figures(TODAY), output, language="en")
    assert active_sheet(load_workbook(output))["A6"].value == "Total"


def test_an_unknown_figure_names_the_known_ones() -> None:
    with pytest.raises(MapError) as caught:
        parse_map({"cells": {"B4": "temperature"}})
    assert "'temperature' is not a figure" in str(caught.value)
    assert "fever" in str(caught.value) and "unreachable" in str(caught.value)


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ({"cells": {"B0": "asked"}}, "'B0' is not a cell"),
        ({"cells": {"XFE1": "asked"}}, "'XFE1' is not a cell"),
        ({"cells": {"B1048577": "asked"}}, "is not a cell"),
        ({"tables": [{"start_row": 0, "columns": {"A": "grid"}}]}, "start_row"),
        ({"tables": [{"start_row": 3, "columns": {"A1": "grid"}}]}, "'A1' is not a column"),
        ({"tables": [{"start_row": 3, "columns": {}}]}, "has no columns"),
        ({}, "maps nothing"),
    ],
)
def test_a_map_outside_any_sheet_is_refused(raw: dict[str, object], says: str) -> None:
    with pytest.raises(MapError, match=says):
        parse_map(raw)


def test_a_map_error_names_its_place_in_the_readers_language() -> None:
    with pytest.raises(MapError) as caught:
        parse_map({"tables": [{"start_row": 3, "columns": {"B": "体温"}}]})
    assert caught.value.text("zh").startswith("对照表，第 1 个表格，B 列：邻里没有“体温”这个统计项。")
    assert caught.value.text("en").startswith("the map, table 1, column B: '体温' is not a figure Linli knows.")
    ui_words.use_language("zh")
    assert caught.value.title == "表格填不了"


def test_a_cell_inside_merged_cells_is_refused_and_nothing_written(day: dict[str, int], tmp_path: Path) -> None:
    template = form(tmp_path, merge="C2:E2")
    output = tmp_path / "out.xlsx"
    with pytest.raises(MapError, match=r"D2 is inside the merged cells C2:E2; map the figure to C2"):
        fill_template(template, parse_map(TABLE_MAP), day_figures(TODAY), output, language="zh")
    assert not output.exists()


def test_the_first_cell_of_a_merged_range_takes_the_value(day: dict[str, int], tmp_path: Path) -> None:
    output = tmp_path / "out.xlsx"
    fill_template(form(tmp_path, merge="D2:E2"), parse_map(TABLE_MAP), day_figures(TODAY), output, language="zh")
    assert active_sheet(load_workbook(output))["D2"].value.date() == TODAY


def test_a_table_never_writes_over_the_forms_footer(day: dict[str, int], tmp_path: Path) -> None:
    template = form(tmp_path, footer="A6")  # room for two rows only: two grids and the total need three
    with pytest.raises(MapError, match="would write over '填报人：____' in 日报!A6"):
        fill_template(template, parse_map(TABLE_MAP), day_figures(TODAY), tmp_path / "o.xlsx", language="zh")


def test_a_missing_sheet_lists_the_sheets(day: dict[str, int], tmp_path: Path) -> None:
    wrong = {"cells": {"周报!B2": "asked"}}
    with pytest.raises(MapError, match="no sheet '周报'; its sheets are: 日报"):
        fill_template(form(tmp_path), parse_map(wrong), day_figures(TODAY), tmp_path / "o.xlsx", language="zh")


def test_a_file_that_is_not_a_workbook_is_one_clear_error(day: dict[str, int], tmp_path: Path) -> None:
    fake = tmp_path / "form.xlsx"
    fake.write_text("姓名,电话\n", encoding="utf-8")
    with pytest.raises(MapError, match="is not an XLSX workbook"):
        fill_template(fake, parse_map(TABLE_MAP), day_figures(TODAY), tmp_path / "o.xlsx", language="zh")


def test_names_from_the_register_are_text_in_the_form_never_formulas_or_controls(
    community: Community, tmp_path: Path
) -> None:
    resident("王芳", "+8613800000001", '=HYPERLINK("http://example.invalid","点我")')
    resident("李伯", "+8613800000002", "G\x1b]52;c;aGk=\x07")
    output = tmp_path / "out.xlsx"
    fill_template(form(tmp_path), parse_map(TABLE_MAP), day_figures(TODAY), output, language="zh")
    grids = [row[0].value for row in active_sheet(load_workbook(output)).iter_rows(min_row=4, max_row=5, max_col=1)]
    assert grids == ['\'=HYPERLINK("http://example.invalid","点我")', "G␛]52;c;aGk=␇"]


def test_the_pushed_labels_are_one_plain_line(community: Community) -> None:
    resident("李伯", "+8613800000002", "G\x1b[2J\x072")
    assert [row["grid"] for row in day_figures(TODAY).as_dict()["grids"]] == ["G␛[2J␇2"]
