"""Importing residents from spreadsheets as communities really keep them.

The registers are built in memory from a seeded random, so every run reads the same messy file and every expected
value is known without reading it back through the code under test.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

import kit.importer
from kit.errors import ImportFailed, ValidationError
from kit.importer import import_residents
from kit.models import AuditEntry, Community, Grid, Household, Resident, ResidentTag
from kit.register_sheet import map_header
from kit.resident_search import find_residents
from kit.residents import ResidentInput, add_resident
from tests.workbooks import active_sheet

pytestmark = pytest.mark.each_database  # storage code: runs on SQLite and PostgreSQL

HEADER_ZH = ["姓名", "手机", "网格", "楼栋", "单元", "房号", "语言", "标签", "出生年份", "紧急联系人"]
HEADER_EN = ["Name", "Phone", "Grid", "Building", "Unit", "Room", "Language", "Tags", "Birth year", "Emergency contact"]
TITLE = "幸福里社区居民登记表（2026年11月）"

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["秀英", "桂英", "建国", "国华", "淑珍", "玉兰", "伟", "敏", "静", "丽", "强", "军", "𠮷祥", "德明"]
TAGS = [  # as written, and what they mean
    ("独居老人、慢性病", ("elderly-alone", "chronic")),
    ("慢性病", ("chronic",)),
    ("", ()),
    ("高龄，行动不便", ("very-old", "disabled")),
    ("透析", ("dialysis",)),
    ("空巢老人/不识字", ("elderly-alone", "cannot-read")),
    ("孕妇", ("pregnant",)),
]
LANGUAGES = [("中文", "zh"), ("普通话", "zh"), ("", "zh"), ("英文", "en"), ("English", "en"), ("汉语", "zh")]
BIRTH_YEARS = [("1945年", 1945), ("1950", 1950), ("", None), ("1938.0", 1938), ("1962 年", 1962)]


def written(mobile: str, form: int) -> str:
    """One of the ways people write the mobile number `mobile` (11 digits)."""
    full_width = mobile.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    forms = [
        mobile,
        f"{mobile[:3]} {mobile[3:7]} {mobile[7:]}",
        f"{mobile[:3]}-{mobile[3:7]}-{mobile[7:]}",
        f"+86 {mobile}",
        f"0086{mobile}",
        f"{mobile}.0",
        full_width,
        f"({mobile[:3]}){mobile[3:]}",
        f"0{mobile}",
        f"86 {mobile[:3]}.{mobile[3:7]}.{mobile[7:]}",
        f"{mobile[:3]}\u00a0{mobile[3:7]}\u00a0{mobile[7:]}",
    ]
    return forms[form % len(forms)]


@dataclass
class Person:
    cells: list[str]  # as written in the spreadsheet, in HEADER_ZH order
    phone: str  # E.164, what the import must store
    tags: tuple[str, ...]
    language: str
    birth_year: int | None
    second_phone: str | None

    @property
    def name(self) -> str:
        return self.cells[0]

    @property
    def address(self) -> tuple[str, str, str]:
        return (self.cells[3], self.cells[4], self.cells[5])


def register(count: int, seed: int = 2020) -> list[Person]:
    """`count` residents with distinct mobiles written every which way."""
    rng = random.Random(seed)
    mobiles = [f"138{n:08d}" for n in rng.sample(range(10**8), count)]
    people = []
    for index, mobile in enumerate(mobiles):
        tags_text, tags = rng.choice(TAGS)
        language_text, language = rng.choice(LANGUAGES)
        year_text, year = rng.choice(BIRTH_YEARS)
        second = f"139{rng.randrange(10**8):08d}" if rng.random() < 0.4 else None
        cells = [
            rng.choice(SURNAMES) + rng.choice(GIVEN),
            written(mobile, index),
            f"第{rng.randint(1, 6)}网格",
            str(rng.randint(1, 30)),
            str(rng.randint(1, 3)),
            f"{rng.randint(1, 18)}{rng.randint(1, 4):02d}",
            language_text,
            tags_text,
            year_text,
            "" if second is None else written(second, index + 3),
        ]
        people.append(Person(cells, f"+86{mobile}", tags, language, year, None if second is None else f"+86{second}"))
    return people


@dataclass
class Layout:
    """The rows of a file in order: title, blank lines, header, people. A line number is the row's index + 1."""

    rows: list[list[str]] = field(default_factory=list)

    def add(self, cells: list[str]) -> list[str]:
        self.rows.append(cells)
        return cells

    def line_of(self, cells: list[str]) -> int:
        return next(index for index, row in enumerate(self.rows, start=1) if row is cells)


def layout(people: Sequence[Person], header: Sequence[str] = HEADER_ZH, *, title: bool = True) -> Layout:
    """A register as Excel users leave it: a title row, a blank line, the header, people with blank lines among
    them (empty, and Excel's row of commas)."""
    sheet = Layout()
    if title:
        sheet.add([TITLE])
        sheet.add([])
    sheet.add(list(header))
    for index, person in enumerate(people):
        if index and index % 150 == 0:
            sheet.add([])
        if index and index % 333 == 0:
            sheet.add([""] * len(header))
        sheet.add(person.cells)
    return sheet


def csv_text(rows: Sequence[Sequence[str]], delimiter: str = ",") -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        writer.writerow(row)
    return out.getvalue()


def write_csv(path: Path, rows: Sequence[Sequence[str]], encoding: str, delimiter: str = ",") -> Path:
    path.write_bytes(csv_text(rows, delimiter).encode(encoding))
    return path


def stored() -> dict[str, tuple[str, tuple[str, ...], str, int | None, str | None, str]]:
    """phone -> (name, tags, language, birth year, second phone, address) of every resident in the database."""
    return {
        view.phone or "": (view.name, view.tags, view.language, view.birth_year, view.second_phone, view.address)
        for view in find_residents(limit=None)
    }


def expected(people: Sequence[Person]) -> dict[str, tuple[str, tuple[str, ...], str, int | None, str | None, str]]:
    return {
        p.phone: (
            p.name,
            p.tags,
            p.language,
            p.birth_year,
            p.second_phone,
            "-".join(part for part in p.address if part),
        )
        for p in people
    }


def nothing_written() -> None:
    assert Resident.select().count() == 0
    assert Grid.select().count() == 0
    assert Household.select().count() == 0
    assert ResidentTag.select().count() == 0
    assert AuditEntry.select().where(AuditEntry.action == "import").count() == 0


# --- the "done means" ---------------------------------------------------------------------------------


def test_a_messy_gb18030_register_of_1000_imports_whole(community: Community, tmp_path: Path) -> None:
    people = register(1000)
    sheet = layout(people)
    path = write_csv(tmp_path / "居民登记表.csv", sheet.rows, "gb18030")
    raw = path.read_bytes()
    assert b"\r\n" in raw
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # really GB18030, as Chinese Excel saves it
    calls: list[int] = []

    result = import_residents(path, progress=calls.append, actor="小李")

    assert result.imported == 1000
    assert result.rejected == []
    assert result.read == 1000
    assert result.blank_rows == 6 + 3  # after the header: every 150th and every 333rd person
    assert result.header == tuple(HEADER_ZH)
    assert result.columns == {name: index for index, name in enumerate(
        ["name", "phone", "grid", "building", "unit", "room", "language", "tags", "birth_year", "second_phone"]
    )}  # fmt: skip
    assert calls == [1000]
    assert stored() == expected(people)
    assert Grid.select().count() == len({p.cells[2] for p in people})
    assert Household.select().count() == len({p.address for p in people})
    entry = AuditEntry.get(AuditEntry.action == "import")
    assert entry.actor == "小李"
    assert json.loads(entry.detail) == {"file": "居民登记表.csv", "imported": 1000, "rejected": 0}


def bad_rows(people: list[Person]) -> list[tuple[int, str, str, str]]:
    """Spoil three rows: (index, column, value, the reason the import must give)."""
    return [
        (
            120,
            "手机",
            "1380013800",
            "phone: '1380013800' (10 digits) is not a valid number in China; check the digits.",
        ),
        (499, "姓名", "", "The name is empty."),
        (998, "出生年份", "19四五", "Birth year '19四五' should be four digits, e.g. 1948."),
    ]


def spoiled_register() -> tuple[list[Person], Layout, list[tuple[int, str]]]:
    people = register(1000)
    spoil = bad_rows(people)
    for index, column, value, _ in spoil:
        people[index].cells[HEADER_ZH.index(column)] = value
    sheet = layout(people)
    problems = [(sheet.line_of(people[index].cells), reason) for index, _, _, reason in spoil]
    return people, sheet, problems


def test_three_bad_rows_stop_the_import_and_are_named_by_line(community: Community, tmp_path: Path) -> None:
    _, sheet, problems = spoiled_register()
    # The title row, a blank line and the header come first; blank lines among the people count too.
    assert [line for line, _ in problems] == [3 + 120 + 1, 3 + 499 + 1 + 3 + 1, 3 + 998 + 1 + 6 + 2]
    path = write_csv(tmp_path / "登记表.csv", sheet.rows, "gb18030")

    with pytest.raises(ImportFailed) as caught:
        import_residents(path)

    assert caught.value.problems == problems
    assert caught.value.message == "3 of 1000 rows have problems; fix them or use --skip-invalid."
    assert caught.value.title == "Import stopped: nothing was written"
    nothing_written()


def test_skip_invalid_imports_the_rest_and_writes_the_rejects(community: Community, tmp_path: Path) -> None:
    people, sheet, problems = spoiled_register()
    path = write_csv(tmp_path / "登记表.csv", sheet.rows, "gb18030")
    rejects = tmp_path / "rejects.csv"

    result = import_residents(path, skip_invalid=True, rejects_path=rejects)

    assert result.imported == 997
    assert [(r.line, r.reason) for r in result.rejected] == problems
    bad = {120, 499, 998}
    assert stored() == expected([p for index, p in enumerate(people) if index not in bad])
    raw = rejects.read_bytes()
    assert raw.startswith(codecs.BOM_UTF8)
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["line", "reason", *HEADER_ZH]
    assert rows[1:] == [
        [str(line), reason, *people[index].cells] for (line, reason), index in zip(problems, sorted(bad))
    ]
    entry = AuditEntry.get(AuditEntry.action == "import")
    assert json.loads(entry.detail) == {"file": "登记表.csv", "imported": 997, "rejected": 3}


def test_skip_invalid_without_a_rejects_file(community: Community, tmp_path: Path) -> None:
    _, sheet, problems = spoiled_register()
    path = write_csv(tmp_path / "登记表.csv", sheet.rows, "gb18030")
    result = import_residents(path, skip_invalid=True)
    assert result.imported == 997
    assert [(r.line, r.reason) for r in result.rejected] == problems
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith("linli.sqlite3")] == ["登记表.csv"]


# --- encodings, separators, workbooks -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "delimiter", "suffix"),
    [
        pytest.param("utf-8-sig", ",", ".csv", id="UTF-8 with BOM"),
        pytest.param("utf-8", ",", ".csv", id="UTF-8 without BOM"),
        pytest.param("gb18030", ",", ".csv", id="GB18030"),
        pytest.param("utf-16", "\t", ".txt", id="UTF-16 tab-separated (Excel Unicode text)"),
        pytest.param("utf-8", "\t", ".tsv", id="UTF-8 tab-separated"),
        pytest.param("utf-8-sig", ";", ".csv", id="semicolon-separated"),
    ],
)
def test_encodings_and_separators(
    community: Community, tmp_path: Path, encoding: str, delimiter: str, suffix: str
) -> None:
    people = register(60, seed=len(encoding) * 10 + ord(delimiter))
    path = write_csv(tmp_path / f"register{suffix}", layout(people).rows, encoding, delimiter)
    if encoding == "utf-16":
        assert path.read_bytes().startswith(codecs.BOM_UTF16_LE)
    result = import_residents(path)
    assert result.imported == 60
    assert stored() == expected(people)


def test_a_semicolon_file_whose_cells_hold_commas(community: Community, tmp_path: Path) -> None:
    rows = [["姓名", "手机", "标签", "备注"]]
    rows += [[f"居民{n}", f"1380000{n:04d}", "独居老人,慢性病", "耳背, 大声说话"] for n in range(20)]
    path = write_csv(tmp_path / "semi.csv", rows, "utf-8", ";")
    assert import_residents(path).imported == 20
    view = find_residents(limit=1)[0]
    assert (view.tags, view.notes) == (("elderly-alone", "chronic"), "耳背, 大声说话")


def xlsx(path: Path, rows: Sequence[Sequence[object]]) -> Path:
    workbook = Workbook()
    sheet = active_sheet(workbook)
    for row in rows:
        sheet.append(list(row))
    workbook.save(path)
    return path


def test_xlsx_with_numbers_for_phones(community: Community, tmp_path: Path) -> None:
    people = register(40, seed=7)
    rows: list[list[object]] = [[TITLE], [], [*HEADER_ZH]]
    for index, person in enumerate(people):
        mobile = int(person.phone.removeprefix("+86"))
        cells: list[object] = list(person.cells)
        cells[1] = mobile if index % 2 else float(mobile)  # Excel keeps numbers; some come out as floats
        cells[3] = int(person.cells[3])  # building
        cells[5] = int(person.cells[5])  # room
        cells[8] = person.birth_year  # a number, or an empty cell
        cells[9] = int(person.second_phone.removeprefix("+86")) if person.second_phone else None
        rows.append(cells)
    rows.insert(3 + 10, [])  # an empty row in the middle
    rows[3 + 20][0] = ""  # one bad row: no name, on Excel row 3 + 20 + 1
    path = xlsx(tmp_path / "register.xlsx", rows)

    with pytest.raises(ImportFailed) as caught:
        import_residents(path)
    assert caught.value.problems == [(24, "The name is empty.")]

    result = import_residents(path, skip_invalid=True)
    assert result.imported == 39
    assert stored() == expected([p for index, p in enumerate(people) if index != 19])


def test_an_xlsx_saved_with_a_csv_name_is_read_as_a_workbook(community: Community, tmp_path: Path) -> None:
    path = xlsx(tmp_path / "register.csv", [["姓名", "手机"], ["王秀英", 13800138000]])
    assert import_residents(path).imported == 1
    assert stored()["+8613800138000"][0] == "王秀英"


def test_english_headers(community: Community, tmp_path: Path) -> None:
    people = register(30, seed=3)
    path = write_csv(tmp_path / "residents.csv", layout(people, HEADER_EN, title=False).rows, "utf-8")
    assert import_residents(path).imported == 30
    assert stored() == expected(people)


@pytest.mark.parametrize(
    "header",
    [
        pytest.param(["姓名*", "手机号码(必填)", "网格（选填）", "楼栋：", "单元", "房号", "语言", "标签", "出生年份",
                      "紧急联系人电话"], id="decorated"),
        pytest.param(["居民姓名", "电话/手机", "所属网格", "楼号", "单元号", "门牌号", "语言", "人员类别", "出生年",
                      "家属电话"], id="电话/手机 and other names"),
        pytest.param(["  Full Name ", "Mobile", "GRID", "Bldg", "Entrance", "Flat", "Lang", "Labels", "Year of birth",
                      "Family phone"], id="English variants"),
    ],
)  # fmt: skip
def test_headers_as_people_write_them(community: Community, tmp_path: Path, header: list[str]) -> None:
    people = register(20, seed=11)
    path = write_csv(tmp_path / "register.csv", layout(people, header).rows, "utf-8-sig")
    result = import_residents(path)
    assert len(result.columns) == 10
    assert stored() == expected(people)


def test_map_header() -> None:
    assert map_header(["序号", "姓名*", "手机号码（必填）", "手机/电话", "备注", None, "楼栋/单元"]) == {
        "name": 1,
        "phone": 2,  # the first phone column wins
        "notes": 4,
    }


# --- phones that clash ----------------------------------------------------------------------------------------


def test_a_phone_twice_in_the_file_names_the_first_line(community: Community, tmp_path: Path) -> None:
    rows = [
        ["姓名", "手机", "网格"],
        ["王秀英", "13800138000", "东区"],
        ["李建国", "13900139000", "东区"],
        ["张伟", "+86 138-0013-8000", "西区"],
    ]
    path = write_csv(tmp_path / "dup.csv", rows, "utf-8")
    with pytest.raises(ImportFailed) as caught:
        import_residents(path)
    assert caught.value.problems == [(4, "phone +8613800138000 is already on line 2")]
    nothing_written()

    rejects = tmp_path / "rejects.csv"
    result = import_residents(path, skip_invalid=True, rejects_path=rejects)
    assert result.imported == 2
    assert stored()["+8613800138000"][0] == "王秀英"
    rows_out = list(csv.reader(io.StringIO(rejects.read_text(encoding="utf-8-sig"), newline="")))
    assert rows_out == [
        ["line", "reason", "姓名", "手机", "网格"],
        ["4", "phone +8613800138000 is already on line 2", "张伟", "+86 138-0013-8000", "西区"],
    ]


def test_a_phone_already_in_the_database_is_rejected(community: Community, tmp_path: Path) -> None:
    owner = add_resident(ResidentInput(name="王秀英", phone="13800138000"))
    rows = [["姓名", "手机"], ["李建国", "13900139000"], ["张伟", "138 0013 8000"]]
    path = write_csv(tmp_path / "again.csv", rows, "utf-8")
    with pytest.raises(ImportFailed) as caught:
        import_residents(path)
    reason = f"phone: +8613800138000 is already registered to 王秀英 (resident #{owner.id})"
    assert caught.value.problems == [(3, reason)]
    assert Resident.select().count() == 1

    result = import_residents(path, skip_invalid=True)
    assert result.imported == 1
    assert [(r.line, r.reason) for r in result.rejected] == [(3, reason)]
    assert Resident.get(Resident.phone == "+8613800138000").name == "王秀英"


def test_residents_without_a_phone_are_imported_and_tagged(community: Community, tmp_path: Path) -> None:
    rows = [["姓名", "手机", "标签"], ["王秀英", "", "独居老人"], ["李建国", "", ""]]
    path = write_csv(tmp_path / "nophone.csv", rows, "utf-8")
    assert import_residents(path).imported == 2
    assert [v.tags for v in find_residents()] == [("elderly-alone", "no-phone"), ("no-phone",)]


# --- files that cannot be read --------------------------------------------------------------------------------


def test_a_file_without_a_header_row(community: Community, tmp_path: Path) -> None:
    rows = [[p.name, p.cells[1]] for p in register(30, seed=5)]
    path = write_csv(tmp_path / "noheader.csv", rows, "utf-8")
    with pytest.raises(ValidationError) as caught:
        import_residents(path)
    assert caught.value.message == (
        "No header row found in the first 10 rows. The file needs a row naming its columns, at least "
        "姓名/name and 电话/phone (see `linli import residents --help`)."
    )
    nothing_written()


def test_an_empty_file(community: Community, tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(ValidationError, match="No header row found"):
        import_residents(path)


def test_an_old_xls_workbook(community: Community, tmp_path: Path) -> None:
    path = tmp_path / "登记表.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)  # an OLE2 header
    with pytest.raises(ValidationError) as caught:
        import_residents(path)
    assert caught.value.message == "登记表.xls is an old .xls workbook; save it as .xlsx or CSV in Excel and try again."


def test_a_damaged_xlsx(community: Community, tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(ValidationError) as caught:
        import_residents(path)
    assert caught.value.message.startswith("broken.xlsx could not be opened as an Excel workbook: ")


def test_a_missing_file(community: Community, tmp_path: Path) -> None:
    path = tmp_path / "nowhere.csv"
    with pytest.raises(ValidationError) as caught:
        import_residents(path)
    assert caught.value.message == f"There is no file {path}."


def test_a_file_that_is_neither_utf8_nor_gb18030(community: Community, tmp_path: Path) -> None:
    path = tmp_path / "binary.csv"
    # 0x80 and 0xFF are single bytes that neither UTF-8 nor GB18030 allows.
    path.write_bytes("姓名,手机\r\n".encode() + b"\x80\xff,13800138000\r\n")
    with pytest.raises(ValidationError) as caught:
        import_residents(path)
    assert caught.value.message == (
        "The file is neither UTF-8 nor GB18030 text. Save it from Excel as 'CSV UTF-8' or as .xlsx and try again."
    )
    nothing_written()


# --- line numbers ---------------------------------------------------------------------------------------------


def test_quoted_fields_with_newlines_keep_later_line_numbers_right(community: Community, tmp_path: Path) -> None:
    text = (
        "居民登记表\r\n"  # line 1
        "姓名,手机,备注\r\n"  # line 2
        '王秀英,13800138000,"耳背\r\n说话要大声\r\n下午在家"\r\n'  # lines 3-5
        '李建国,13900139000,"住 3-2-201, 门口有狗"\r\n'  # line 6
        "张伟,138-00,\r\n"  # line 7: a bad phone
        "\r\n"  # line 8
        '赵敏,13700137000,"第一行\n第二行"\r\n'  # lines 9-10
        "刘洋,,\r\n"  # line 11
        "陈静,abc,\r\n"  # line 12: a bad phone
    )
    path = tmp_path / "notes.csv"
    path.write_bytes(text.encode("utf-8"))
    with pytest.raises(ImportFailed) as caught:
        import_residents(path)
    assert [line for line, _ in caught.value.problems] == [7, 12]
    assert caught.value.problems[1] == (12, "'abc' is not a phone number: it has letters or symbols in it.")

    result = import_residents(path, skip_invalid=True)
    assert result.imported == 4
    assert result.blank_rows == 1
    notes = {view.name: view.notes for view in find_residents()}
    assert notes == {
        "王秀英": "耳背 说话要大声 下午在家",
        "李建国": "住 3-2-201, 门口有狗",
        "赵敏": "第一行 第二行",
        "刘洋": "",
    }


def test_a_year_and_month_of_birth_column(community: Community, tmp_path: Path) -> None:
    """出生年月 maps to birth_year; Excel keeps it as a date or as text such as 1945年3月."""
    rows: list[list[object]] = [
        ["姓名", "手机", "出生年月"],
        ["王秀英", 13800138000, datetime(1945, 3, 1)],
        ["李建国", 13900139000, "1950年5月"],
        ["张伟", 13700137000, "1962-07"],
        ["赵敏", 13600136000, 1938],
    ]
    path = xlsx(tmp_path / "born.xlsx", rows)
    assert import_residents(path).imported == 4
    assert [(v.name, v.birth_year) for v in find_residents()] == [
        ("王秀英", 1945),
        ("李建国", 1950),
        ("张伟", 1962),
        ("赵敏", 1938),
    ]


def test_the_contact_column_is_the_phone() -> None:
    assert map_header(["姓名", "联系方式", "网格"]) == {"name": 0, "phone": 1, "grid": 2}


def test_a_register_with_no_phone_column_is_refused_not_imported_as_no_phone(
    community: Community, tmp_path: Path
) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text("姓名,联系人手机,网格\n王秀英,13800138000,东区\n", encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        import_residents(path)
    assert "none of them is a phone column" in caught.value.message
    assert "姓名, 联系人手机, 网格" in caught.value.message
    assert Resident.select().count() == 0


def test_a_phone_registered_elsewhere_between_the_check_and_the_write_undoes_the_import(
    community: Community, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = [[f"居民{n}", f"1380000{n:04d}", "1", "1", f"{n}01"] for n in range(5)]
    rows = [["姓名", "手机", "楼栋", "单元", "房号"], *people]
    path = write_csv(tmp_path / "登记表.csv", rows, "utf-8")
    checked = kit.importer._batches

    def registered_at_the_desk_meanwhile(spill: Any) -> Any:
        add_resident(ResidentInput(name="新来的", phone="13800000003", building="9", unit="9", room="909"))
        yield from checked(spill)

    monkeypatch.setattr(kit.importer, "_batches", registered_at_the_desk_meanwhile)
    with pytest.raises(ImportFailed) as refused:
        import_residents(path)
    assert "+8613800000003" in str(refused.value) and "新来的" in str(refused.value)
    assert [r.name for r in Resident.select()] == ["新来的"]  # nothing of the import is left
