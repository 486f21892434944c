"""kit.stats (the community at a glance) and kit.backup (online copies of the SQLite file)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kit import backup as backup_module
from kit.backup import backup_database
from kit.errors import Conflict, NotInitialized, StorageError
from kit.migrations import LATEST
from kit.models import Community, Volunteer
from kit.residents import ResidentInput, add_resident, set_status
from kit.stats import community_status, natural_key, residents_by_grid, volunteer_figures
from kit.volunteers import add_volunteer


@pytest.fixture
def neighbours(community: Community) -> None:
    add_resident(ResidentInput(name="王秀英", phone="13800138000", grid="第10网格", tags="独居老人、慢性病"))
    add_resident(ResidentInput(name="李建国", phone="13700137000", grid="第2网格", tags="慢性病"))
    add_resident(ResidentInput(name="张桂兰", grid="第2网格", monitoring="居家隔离", monitoring_until="2026-12-04"))
    add_resident(ResidentInput(name="赵六", phone="13600136000"))
    set_status(2, "red")
    add_volunteer("李明", "13900139000", grids=["第1网格"])
    add_volunteer("周红", "13900139002")
    Volunteer.update(active=False).where(Volunteer.name == "周红").execute()


def test_community_status_counts_everything(neighbours: None) -> None:
    assert community_status() == {
        "community": {"name": "幸福里社区", "region": "CN", "timezone": "Asia/Shanghai", "languages": ["zh", "en"]},
        "schema": {"version": LATEST, "latest": LATEST},
        "residents": {
            "total": 4,
            "by_status": {"green": 3, "yellow": 0, "red": 1},
            "by_monitoring": {"none": 3, "close_contact": 0, "home_quarantine": 1, "confirmed": 0, "recovered": 0},
            "by_tag": {"chronic": 2, "elderly-alone": 1, "no-phone": 1},
            "by_grid": {"第1网格": 0, "第2网格": 2, "第10网格": 1},
            "without_grid": 1,
            "without_phone": 1,
            "opted_out": 0,
        },
        "volunteers": {"total": 2, "active": 1},
        "today": {
            "date": "2026-11-20",
            "checkin": {
                "asked": 0, "answered": 0, "silent": 0, "escalated": 0, "door_knock": 0, "alerted": 0,
                "opted_out": 0, "well": 0, "unwell": 0, "help": 0, "visited": 0,
            },
            "rounds": 0,
            "open_alerts": 0,
            "needs_reading": 0,
            "tasks": {"open": 0, "assigned": 0, "accepted": 0, "done": 0, "cancelled": 0},
            "outbox": {},
            "inbox": {},
        },
    }  # fmt: skip


def test_status_of_an_empty_community(community: Community) -> None:
    figures = community_status()
    assert figures["residents"]["total"] == 0
    assert figures["residents"]["by_status"] == {"green": 0, "yellow": 0, "red": 0}
    assert figures["residents"]["by_grid"] == {}
    assert volunteer_figures() == {"total": 0, "active": 0}


def test_status_before_init_says_to_run_init(database: Path) -> None:
    with pytest.raises(NotInitialized, match="Run: linli init"):
        community_status()


def test_grids_sort_naturally() -> None:
    names = ["第10网格", "第2网格", "B栋", "第1网格", "A栋"]
    assert sorted(names, key=natural_key) == ["A栋", "B栋", "第1网格", "第2网格", "第10网格"]


def test_residents_by_grid_is_one_query(neighbours: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from kit.db import database

    executed: list[str] = []
    original = database.obj.execute_sql

    def counting(sql: str, params: object = None) -> object:
        executed.append(sql)
        return original(sql, params)

    monkeypatch.setattr(database.obj, "execute_sql", counting)
    assert residents_by_grid() == {"第1网格": 0, "第2网格": 2, "第10网格": 1}
    assert len(executed) == 1 and "GROUP BY" in executed[0]


# --- backup -------------------------------------------------------------------------------------------------


def read(file: Path, sql: str) -> list[tuple[object, ...]]:
    connection = sqlite3.connect(file)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def test_backup_is_a_complete_single_file_copy(neighbours: None, tmp_path: Path) -> None:
    target = tmp_path / "copy.sqlite3"
    result = backup_database(target)
    assert (result.path, result.schema_version, result.residents) == (target, LATEST, 4)
    assert result.size == target.stat().st_size > 0
    assert read(target, "SELECT name, status FROM resident ORDER BY id") == [
        ("王秀英", "green"), ("李建国", "red"), ("张桂兰", "green"), ("赵六", "green"),
    ]  # fmt: skip
    assert read(target, "SELECT MAX(version) FROM schema_version") == [(LATEST,)]
    assert read(target, "PRAGMA journal_mode") == [("delete",)]
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(("copy", ".copy"))]
    assert leftovers == ["copy.sqlite3"]  # no -wal beside it, no partial file


def test_backup_refuses_to_overwrite_without_force(neighbours: None, tmp_path: Path) -> None:
    target = tmp_path / "copy.sqlite3"
    target.write_bytes(b"precious")
    with pytest.raises(Conflict, match="already exists; choose another name, or add --force"):
        backup_database(target)
    assert target.read_bytes() == b"precious"
    assert backup_database(target, force=True).residents == 4
    assert read(target, "SELECT COUNT(*) FROM resident") == [(4,)]


def test_backup_refuses_the_live_database_and_folders(neighbours: None, database: Path, tmp_path: Path) -> None:
    with pytest.raises(Conflict, match="is the live database itself"):
        backup_database(database, force=True)
    with pytest.raises(Conflict, match="is a folder"):
        backup_database(tmp_path)


def test_backup_does_not_wait_for_a_writer_and_copies_only_what_is_committed(
    neighbours: None, database: Path, tmp_path: Path
) -> None:
    writer = sqlite3.connect(database, timeout=0)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("INSERT INTO grid (name, created_at) VALUES ('第9网格', '2026-11-20 01:00:00')")
        result = backup_database(tmp_path / "copy.sqlite3")  # the write transaction is still open
        writer.commit()
    finally:
        writer.close()
    assert result.residents == 4
    assert read(tmp_path / "copy.sqlite3", "SELECT name FROM grid WHERE name = '第9网格'") == []


def test_a_copy_that_fails_its_check_is_not_put_in_place(
    neighbours: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "copy.sqlite3"
    target.write_bytes(b"old backup")

    def broken(file: Path, version: int) -> int:
        raise StorageError("The backup failed its integrity check (bad page); nothing was replaced.")

    monkeypatch.setattr(backup_module, "_verify", broken)
    with pytest.raises(StorageError, match="integrity check"):
        backup_database(target, force=True)
    assert target.read_bytes() == b"old backup"
    assert not (tmp_path / ".copy.sqlite3.partial").exists()


def test_backup_of_postgresql_says_to_use_pg_dump(
    community: Community, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backup_module, "is_sqlite", lambda: False)
    with pytest.raises(StorageError, match="pg_dump"):
        backup_database(tmp_path / "copy.sqlite3")
    assert not (tmp_path / "copy.sqlite3").exists()
