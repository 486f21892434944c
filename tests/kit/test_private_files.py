"""Files that hold people's data are readable by their owner only: the database and its -wal/-shm, backups,
exports and import rejects (0600), and the folders the kit makes for them (0700)."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from kit import db
from kit.backup import backup_database
from kit.clock import FixedClock
from kit.exporter import export_residents_to_path
from kit.importer import import_residents
from kit.models import Community, Resident
from kit.private_files import create_private, narrow, open_private, private_folder
from kit.residents import ResidentInput, add_resident


def mode(path: Path | str) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    """The usual 022, so a file made without care would be readable by everybody and the tests could fail."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.fixture
def resident(community: Community) -> Resident:
    return add_resident(ResidentInput(name="王秀英", phone="13800138000", notes="lives alone"))


def test_a_new_database_its_wal_and_shm_and_its_folder_are_private(tmp_path: Path, fixed_clock: FixedClock) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    path = home / "new" / "data" / "linli.sqlite3"
    db.connect(path)
    try:
        Resident.create(name="王秀英")  # a write, so the -wal holds data
        files = {name: mode(f"{path}{name}") for name in ("", "-wal", "-shm")}
    finally:
        db.close()
    assert files == {"": 0o600, "-wal": 0o600, "-shm": 0o600}
    assert (mode(path.parent), mode(path.parent.parent)) == (0o700, 0o700)
    assert mode(home) == 0o755, "a folder that already existed is left as it was"


def test_sqlite_gives_wal_and_shm_the_rights_of_the_main_file(tmp_path: Path) -> None:
    """What `kit.db.keep_private` relies on: SQLite copies the database file's mode to the files it makes."""
    path = tmp_path / "plain.sqlite3"
    create_private(path)
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=wal")
    connection.execute("CREATE TABLE t (x)")
    connection.commit()
    try:
        assert (mode(f"{path}-wal"), mode(f"{path}-shm")) == (0o600, 0o600)
    finally:
        connection.close()


def test_an_existing_database_readable_by_others_is_narrowed(tmp_path: Path, fixed_clock: FixedClock) -> None:
    path = tmp_path / "old.sqlite3"
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=wal")
    connection.execute("CREATE TABLE t (x)")
    connection.commit()  # left open: its -wal and -shm stay, readable by all
    assert mode(path) == mode(f"{path}-wal") == 0o644
    try:
        db.connect(path)
        db.close()
        assert {name: mode(f"{path}{name}") for name in ("", "-wal", "-shm")} == {
            "": 0o600,
            "-wal": 0o600,
            "-shm": 0o600,
        }
    finally:
        connection.close()


def test_a_backup_is_private(resident: Resident, tmp_path: Path) -> None:
    result = backup_database(tmp_path / "backup.sqlite3")
    assert mode(result.path) == 0o600


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
def test_an_export_is_private_even_when_it_replaces_a_file_readable_by_all(
    resident: Resident, tmp_path: Path, fmt: str
) -> None:
    target = tmp_path / f"residents.{fmt}"
    target.write_text("old")
    target.chmod(0o644)
    assert export_residents_to_path(fmt, target) == 1
    assert mode(target) == 0o600
    assert "王秀英".encode() in target.read_bytes() or fmt == "xlsx"


def test_import_rejects_are_private(community: Community, tmp_path: Path) -> None:
    sheet = tmp_path / "register.csv"
    sheet.write_text("姓名,电话\n王秀英,13800138000\n李四,12345\n", encoding="utf-8")
    rejects = tmp_path / "rejects.csv"
    result = import_residents(sheet, skip_invalid=True, rejects_path=rejects)
    assert len(result.rejected) == 1
    assert mode(rejects) == 0o600
    assert "李四" in rejects.read_text(encoding="utf-8-sig")


def test_open_private_creates_0600_and_narrows_an_existing_file(tmp_path: Path) -> None:
    new = tmp_path / "new.txt"
    with open_private(new, "w", encoding="utf-8") as out:
        out.write("名单")
    old = tmp_path / "old.txt"
    old.write_text("everybody could read this")
    old.chmod(0o664)
    with open_private(old, "wb") as out:
        out.write(b"x")
    assert (mode(new), new.read_text(encoding="utf-8")) == (0o600, "名单")
    assert (mode(old), old.read_bytes()) == (0o600, b"x")


def test_open_private_only_writes(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="writes only"):
        open_private(tmp_path / "x", "r")
    with pytest.raises(FileExistsError):
        open_private(create_private(tmp_path / "y"), "x")


def test_narrow_leaves_folders_and_missing_files_alone(tmp_path: Path) -> None:
    folder = private_folder(tmp_path / "a")
    folder.chmod(0o755)
    assert not narrow(folder) and mode(folder) == 0o755
    assert not narrow(tmp_path / "missing")
