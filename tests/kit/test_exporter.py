"""kit.exporter: rows of dicts to CSV, JSON and XLSX, streamed, and residents exported a batch at a time."""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from kit.db import transaction
from kit.errors import ValidationError
from kit.exporter import (
    RESIDENT_COLUMNS,
    csv_cell,
    export_residents,
    export_to_path,
    is_binary,
    write_csv,
    write_json,
    write_xlsx,
)
from kit.importer import store_residents
from kit.models import Community
from kit.resident_search import ResidentFilter
from kit.residents import ResidentInput, validate_resident

COLUMNS = ("name", "tags", "born", "notes")
ROWS: list[dict[str, Any]] = [
    {"name": "王秀英", "tags": ["elderly-alone", "chronic"], "born": 1948, "notes": None, "ignored": "x"},
    {"name": '=HYPERLINK("http://evil")', "tags": [], "born": None, "notes": "@SUM(A1)"},
]


def test_csv_has_a_header_lists_joined_and_formulas_defused() -> None:
    out = io.StringIO(newline="")
    assert write_csv(ROWS, COLUMNS, out) == 2
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [
        ["name", "tags", "born", "notes"],
        ["王秀英", "elderly-alone,chronic", "1948", ""],
        ['\'=HYPERLINK("http://evil")', "", "", "'@SUM(A1)"],
    ]
    assert out.getvalue().endswith("\r\n")


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("+8613800138000", "+8613800138000"),
        ("-5", "-5"),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("- buy insulin", "'- buy insulin"),
        (True, "yes"),
        (False, "no"),
        (("a", "b"), "a,b"),
        (None, ""),
    ],
)
def test_csv_cells(value: Any, cell: Any) -> None:
    assert csv_cell(value) == cell


def test_json_is_a_list_of_objects_with_exactly_the_columns() -> None:
    out = io.StringIO()
    assert write_json(ROWS, COLUMNS, out) == 2
    assert json.loads(out.getvalue()) == [
        {"name": "王秀英", "tags": ["elderly-alone", "chronic"], "born": 1948, "notes": None},
        {"name": '=HYPERLINK("http://evil")', "tags": [], "born": None, "notes": "@SUM(A1)"},
    ]
    assert "王秀英" in out.getvalue()  # readable, not \\u escapes


def test_json_of_no_rows_is_an_empty_list() -> None:
    out = io.StringIO()
    assert write_json([], COLUMNS, out) == 0
    assert json.loads(out.getvalue()) == []


def test_xlsx_keeps_text_that_looks_like_a_formula_as_text(tmp_path: Path) -> None:
    file = tmp_path / "out.xlsx"
    rows = [*ROWS, {"name": "李\x0b四", "tags": ["x"], "born": 1950, "notes": "ok"}]
    assert write_xlsx(rows, COLUMNS, file) == 3
    sheet = load_workbook(file).worksheets[0]
    assert [[cell.value for cell in row] for row in sheet.iter_rows()] == [
        ["name", "tags", "born", "notes"],
        ["王秀英", "elderly-alone,chronic", 1948, None],
        ['=HYPERLINK("http://evil")', None, None, "@SUM(A1)"],  # an empty list is an empty cell
        ["李四", "x", 1950, "ok"],
    ]
    assert sheet["A3"].data_type == "s"
    assert sheet["A1"].font.bold


def test_format_names() -> None:
    assert is_binary("xlsx") and not is_binary("CSV") and not is_binary("json")
    with pytest.raises(ValidationError, match="'pdf' is not an export format"):
        is_binary("pdf")


def test_export_to_a_csv_file_uses_a_bom_by_default(tmp_path: Path) -> None:
    file = tmp_path / "out.csv"
    assert export_to_path(ROWS[:1], COLUMNS, "csv", file) == 1
    assert (
        file.read_bytes()
        == codecs.BOM_UTF8 + 'name,tags,born,notes\r\n王秀英,"elderly-alone,chronic",1948,\r\n'.encode()
    )
    export_to_path(ROWS[:1], COLUMNS, "csv", file, encoding="gb18030")
    assert file.read_bytes().decode("gb18030").startswith("name,tags,born,notes\r\n王秀英,")


def test_a_failed_export_leaves_the_old_file_and_no_partial_one(tmp_path: Path) -> None:
    file = tmp_path / "out.json"
    file.write_text("old", encoding="utf-8")

    def failing() -> Iterator[dict[str, Any]]:
        yield ROWS[0]
        raise ValidationError("the database went away")

    with pytest.raises(ValidationError, match="went away"):
        export_to_path(failing(), COLUMNS, "json", file)
    assert file.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_an_unknown_encoding_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="'latin-99' is not a text encoding"):
        export_to_path(ROWS, COLUMNS, "csv", tmp_path / "out.csv", encoding="latin-99")
    assert not (tmp_path / "out.csv").exists()


def seed(community: Community, count: int) -> None:
    records = [
        validate_resident(
            ResidentInput(
                name=f"居民{i}",
                phone=f"138{i:08d}",
                grid=f"第{i % 3 + 1}网格",
                tags="独居老人" if i % 2 else "",
                status="red" if i % 10 == 0 else None,
            ),
            community,
        )
        for i in range(count)
    ]
    with transaction():
        store_residents(records)


def test_export_residents_streams_past_one_batch(community: Community) -> None:
    seed(community, 2_500)  # more than one batch of iter_residents (2,000)
    out = io.StringIO(newline="")
    assert export_residents("csv", out) == 2_500
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert list(rows[0]) == list(RESIDENT_COLUMNS)
    assert [int(row["id"]) for row in rows] == list(range(1, 2_501))
    assert rows[1]["phone"] == "+8613800000001" and rows[1]["tags"] == "elderly-alone"
    assert rows[2_499]["name"] == "居民2499"


def test_export_residents_with_a_filter(community: Community) -> None:
    seed(community, 30)
    out = io.StringIO()
    assert export_residents("json", out, ResidentFilter(status="red")) == 3
    assert [row["name"] for row in json.loads(out.getvalue())] == ["居民0", "居民10", "居民20"]
    out = io.StringIO()
    assert export_residents("json", out, ResidentFilter(grid="第2网格", status="red")) == 1
    assert json.loads(out.getvalue())[0]["name"] == "居民10"
