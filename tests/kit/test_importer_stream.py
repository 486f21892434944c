"""Imports read the file as a stream, refuse files over the size limit, commit in batches and stay all-or-nothing.

Registers are generated in the test (seeded, no randomness needed), written as CSV in a temporary folder.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import sqlite3
import tracemalloc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import peewee
import pytest

import kit.importer
from kit import db
from kit.errors import ImportFailed, ValidationError
from kit.importer import import_residents
from kit.models import AuditEntry, Community, Grid, Household, Resident, ResidentTag
from kit.residents import ResidentInput, add_resident
from kit.spreadsheets import MB, defuse_formula

HEADER = ["姓名", "手机", "网格", "楼栋", "单元", "房号", "标签", "备注"]


def person(n: int, *, phone: bool = True, notes: str = "") -> list[str]:
    return [
        f"居民{n}",
        f"138{n:08d}" if phone else "",
        f"第{n % 7 + 1}网格",
        str(n % 40 + 1),
        "1",
        str(100 + n % 300),
        "独居老人" if n % 5 == 0 else "",
        notes,
    ]


def write_register(
    path: Path, rows: Sequence[Sequence[str]], encoding: str = "utf-8", header: Sequence[str] = HEADER
) -> Path:
    with open(path, "w", encoding=encoding, newline="") as out:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


@contextmanager
def batches_of(size: int, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Commit every `size` rows; yields the sizes of the batches written, as they are written."""
    monkeypatch.setattr(kit.importer, "COMMIT_ROWS", size)
    sizes: list[int] = []
    real = kit.importer.store_residents

    def store(records: Sequence[Any], written: Any = None) -> list[int]:
        assert db.database.in_transaction()
        ids = real(records, written)
        sizes.append(len(records))
        return ids

    monkeypatch.setattr(kit.importer, "store_residents", store)
    yield sizes


# --- memory and size ---------------------------------------------------------------------------------------------


def test_memory_stays_flat_while_a_large_register_is_imported(
    community: Community, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 3,000 residents with long notes: about 5.5 MB of CSV. Reading it whole (and keeping every row until the
    # write) peaked at four times the file; streaming keeps only one batch in memory.
    notes = "每天上午需要送药，下午社区医生上门量血压。" * 30
    path = write_register(tmp_path / "register.csv", [person(n, phone=False, notes=notes) for n in range(3000)])
    size = path.stat().st_size
    assert 5 * MB < size < 7 * MB
    monkeypatch.setattr(kit.importer, "COMMIT_ROWS", 200)

    tracemalloc.start()
    try:
        result = import_residents(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert result.imported == 3000
    assert Resident.select().where(Resident.notes == notes).count() == 3000
    assert peak < size / 2, f"peak {peak / MB:.1f} MB for a {size / MB:.1f} MB file"


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(community: Community, tmp_path: Path) -> None:
    path = write_register(tmp_path / "big.csv", [person(n, notes="x" * 200) for n in range(6000)])
    assert path.stat().st_size > MB

    with pytest.raises(ValidationError) as caught:
        import_residents(path, max_bytes=1 * MB)

    assert caught.value.message.startswith("big.csv is 1.")
    assert "over the 1 MB Linli imports at once (setting imports.max_file_mb)" in caught.value.message
    assert "split it into smaller files" in caught.value.message
    assert Resident.select().count() == 0


def test_the_default_limit_is_fifty_megabytes(community: Community, tmp_path: Path) -> None:
    path = write_register(tmp_path / "small.csv", [person(1)])
    with open(path, "ab") as out:  # a sparse tail: 50 MB and one byte without writing them
        out.truncate(50 * MB + 1)
    with pytest.raises(ValidationError, match="over the 50 MB"):
        import_residents(path)


def test_utf8_is_checked_over_the_whole_file_not_just_its_start(community: Community, tmp_path: Path) -> None:
    # More than the first piece read is plain ASCII; the first Chinese name comes after it, in GB18030.
    rows = [["Resident " + str(n), f"138{n:08d}", "", "", "", "", "", "a" * 60] for n in range(1500)]
    rows.append(["王秀英", "13912345678", "第1网格", "", "", "", "", ""])
    header = ["Name", "Phone", "Grid", "Building", "Unit", "Room", "Tags", "Notes"]
    path = write_register(tmp_path / "register.csv", rows, encoding="gb18030", header=header)
    raw = path.read_bytes()
    assert raw[: 64 * 1024].isascii() and not raw.isascii()

    result = import_residents(path)

    assert result.imported == 1501
    assert Resident.get(Resident.phone == "+8613912345678").name == "王秀英"


# --- batches ----------------------------------------------------------------------------------------------------


def test_the_write_commits_in_batches_with_the_audit_entry_in_the_last(
    community: Community, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_register(tmp_path / "register.csv", [person(n) for n in range(450)])
    with batches_of(100, monkeypatch) as sizes:
        result = import_residents(path)
    assert sizes == [100, 100, 100, 100, 50]
    assert result.imported == 450
    assert Resident.select().count() == 450
    entry = AuditEntry.get(AuditEntry.action == "import")
    assert json.loads(entry.detail) == {"file": "register.csv", "imported": 450, "rejected": 0}


def test_other_writers_get_the_lock_between_batches(
    community: Community, database: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dispatcher or a webhook writing while a long import runs waits for one batch at most, not the import."""
    path = write_register(tmp_path / "register.csv", [person(n) for n in range(300)])
    monkeypatch.setattr(kit.importer, "COMMIT_ROWS", 100)
    other = sqlite3.connect(database, timeout=0, isolation_level=None)  # gives up at once if the lock is held
    other.execute("CREATE TABLE IF NOT EXISTS scratch (n INTEGER)")
    written_between: list[int] = []
    real_batches = kit.importer._batches

    def batches_with_a_writer_between(spill: Any) -> Iterator[Any]:
        for number, batch in enumerate(real_batches(spill)):
            if number:  # the import is between two of its batches (it reads one ahead)
                other.execute("BEGIN IMMEDIATE")
                other.execute("INSERT INTO scratch VALUES (?)", (number,))
                other.execute("COMMIT")
                written_between.append(number)
            yield batch

    monkeypatch.setattr(kit.importer, "_batches", batches_with_a_writer_between)
    try:
        assert import_residents(path).imported == 300
    finally:
        other.close()
    assert written_between == [1, 2]


def test_a_failure_midway_leaves_nothing_half_written(
    community: Community, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Already there before the import: a grid, a household and a resident that the import's rows share.
    add_resident(ResidentInput(name="赵六", phone="13600136000", grid="第1网格", building="1", unit="1", room="140"))
    before = (Grid.select().count(), Household.select().count(), Resident.select().count())
    path = write_register(tmp_path / "register.csv", [person(n) for n in range(1, 450)])
    monkeypatch.setattr(kit.importer, "COMMIT_ROWS", 100)
    committed: list[int] = []
    real = kit.importer.store_residents

    def full_on_the_fourth(records: Sequence[Any], written: Any = None) -> list[int]:
        if len(committed) == 3:
            raise peewee.OperationalError("database or disk is full")
        ids = real(records, written)
        committed.append(len(records))
        return ids

    monkeypatch.setattr(kit.importer, "store_residents", full_on_the_fourth)
    with pytest.raises(peewee.OperationalError, match="database or disk is full"):
        import_residents(path)

    assert committed == [100, 100, 100]  # three batches were committed before the failure...
    assert (Grid.select().count(), Household.select().count(), Resident.select().count()) == before  # ...and undone
    assert [r.name for r in Resident.select()] == ["赵六"]
    assert ResidentTag.select().count() == 0
    assert Household.get().residents.count() == 1
    assert Grid.select().where(Grid.name == "第1网格").exists()
    assert not AuditEntry.select().where(AuditEntry.action == "import").exists()


def test_a_phone_registered_by_someone_else_during_the_import_undoes_it(
    community: Community, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_register(tmp_path / "register.csv", [person(n) for n in range(250)])
    monkeypatch.setattr(kit.importer, "COMMIT_ROWS", 100)
    real = kit.importer.store_residents
    stored: list[int] = []

    def an_operator_adds_one_first(records: Sequence[Any], written: Any = None) -> list[int]:
        if stored:  # between the first and second batch, an operator registers a phone of the second
            add_resident(ResidentInput(name="周红", phone=records[0].phone))
        ids = real(records, written)
        stored.append(len(ids))
        return ids

    monkeypatch.setattr(kit.importer, "store_residents", an_operator_adds_one_first)
    with pytest.raises(ImportFailed) as caught:
        import_residents(path)
    assert caught.value.message.startswith("The residents changed while the file was being imported (+86")
    assert "was registered to 周红, resident #" in caught.value.message
    assert caught.value.message.endswith("nothing was written. Import it again.")
    assert stored == [100, 100]  # the second batch is written, found to clash in its own transaction, and undone
    assert Resident.select().count() == 0


def test_a_really_full_database_midway_is_undone(
    community: Community, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite's own "database or disk is full", from a page limit a few batches past the start."""
    path = write_register(tmp_path / "register.csv", [person(n, notes="备注" * 100) for n in range(3000)])
    pages = db.database.execute_sql("PRAGMA page_count").fetchone()[0]
    db.database.execute_sql(f"PRAGMA max_page_count = {pages + 150}")
    with batches_of(100, monkeypatch) as sizes, pytest.raises(sqlite3.OperationalError) as caught:
        import_residents(path)
    assert str(caught.value) == "database or disk is full"  # not the rollback's "no transaction is active"
    assert len(sizes) >= 2  # it failed midway, not at the start
    assert Resident.select().count() == 0
    assert Household.select().count() == 0
    assert Grid.select().count() == 0
    assert not AuditEntry.select().where(AuditEntry.action == "import").exists()


# --- the rejects file -------------------------------------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://evil.example","点我")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\t=1+1"]


def test_the_rejects_file_defuses_formulas_as_exports_do(community: Community, tmp_path: Path) -> None:
    rows = [person(1), *([name, "12345", "", "", "", "", "", "=1+1"] for name in FORMULAS), person(2)]
    path = write_register(tmp_path / "register.csv", rows)
    rejects = tmp_path / "rejects.csv"

    result = import_residents(path, skip_invalid=True, rejects_path=rejects)

    assert result.imported == 2
    written = list(csv.reader(io.StringIO(rejects.read_bytes().decode("utf-8-sig"), newline="")))
    assert written[0] == ["line", "reason", *HEADER]
    assert [row[2] for row in written[1:]] == ["'" + name for name in FORMULAS]
    assert {row[-1] for row in written[1:]} == {"'=1+1"}
    assert [row[3] for row in written[1:]] == ["12345"] * len(FORMULAS)  # a plain number stays as it is


@pytest.mark.parametrize(
    ("value", "defused"),
    [
        ("=1+1", "'=1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("+cmd", "'+cmd"),
        ("- buy insulin", "'- buy insulin"),
        ("+86 138 0013 8000", "+86 138 0013 8000"),
        ("-5", "-5"),
        ("王秀英", "王秀英"),
        ("", ""),
        (5, 5),
        (None, None),
    ],
)
def test_one_rule_defuses_formulas(value: object, defused: object) -> None:
    assert defuse_formula(value) == defused


def test_the_exporter_uses_the_same_rule() -> None:
    from kit import exporter

    assert vars(exporter)["defuse_formula"] is defuse_formula  # the name it uses, not a copy
    assert not hasattr(exporter, "_is_formula")


def test_the_rejects_file_keeps_its_bom(community: Community, tmp_path: Path) -> None:
    path = write_register(tmp_path / "register.csv", [["王秀英", "12345", "", "", "", "", "", ""]])
    rejects = tmp_path / "rejects.csv"
    import_residents(path, skip_invalid=True, rejects_path=rejects)
    assert rejects.read_bytes().startswith(codecs.BOM_UTF8)
