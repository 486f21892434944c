"""kit.restore: a backup put back in place of the database, only when nothing uses it and the backup is sound."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kit import db
from kit.backup import backup_database, backup_encrypted
from kit.errors import SchemaTooNew, StorageError, ValidationError
from kit.migrations import LATEST
from kit.models import Community, Resident
from kit.residents import ResidentInput, add_resident
from kit.restore import restore_database

KEPT = "linli.sqlite3.before-restore-20261120-010000"  # the fixed clock: 2026-11-20 01:00 UTC


def read(file: Path, sql: str) -> list[tuple[Any, ...]]:  # a cell is whatever SQLite stored there
    connection = sqlite3.connect(file)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def names(file: Path) -> list[object]:
    return [name for (name,) in read(file, "SELECT name FROM resident ORDER BY id")]


@pytest.fixture
def backup(community: Community, database: Path, tmp_path: Path) -> Iterator[Path]:
    """A backup holding 王秀英 and 李建国; the live database has 赵六 as well, and is closed (nothing uses it)."""
    add_resident(ResidentInput(name="王秀英", phone="13800138000"))
    add_resident(ResidentInput(name="李建国", phone="13700137000"))
    folder = tmp_path / "backups"
    folder.mkdir()
    path = backup_database(folder / "monday.sqlite3").path
    add_resident(ResidentInput(name="赵六", phone="13600136000"))
    db.close()
    yield path


def unchanged(database: Path) -> None:
    """The live database still holds what it held, and restore left nothing behind."""
    assert names(database) == ["王秀英", "李建国", "赵六"]
    left = sorted(p.name for p in database.parent.iterdir() if p.is_file())
    assert left == ["linli.sqlite3", "linli.sqlite3-lock"], left


def test_restore_swaps_the_backup_in_and_keeps_the_old_file_aside(backup: Path, database: Path) -> None:
    result = restore_database(backup, database)

    assert (result.path, result.schema_version, result.residents) == (database, LATEST, 2)
    assert result.kept == database.with_name(KEPT)
    assert names(database) == ["王秀英", "李建国"]
    assert names(result.kept) == ["王秀英", "李建国", "赵六"]
    assert read(result.kept, "PRAGMA integrity_check") == [("ok",)]
    assert sorted(p.name for p in database.parent.iterdir() if p.is_file()) == [
        "linli.sqlite3", "linli.sqlite3-lock", KEPT,
    ]  # fmt: skip
    assert backup.read_bytes()[:16] == b"SQLite format 3\x00"  # the backup itself is untouched
    db.connect(database)  # and Linli opens the restored file
    assert [r.name for r in Resident.select().order_by(Resident.id)] == ["王秀英", "李建国"]


def test_a_stale_wal_is_folded_into_the_kept_file_not_into_the_restored_one(backup: Path, database: Path) -> None:
    # A process killed while writing leaves a -wal (and -shm) holding its last commits.
    writer = sqlite3.connect(database)
    writer.execute("PRAGMA journal_mode=wal")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("UPDATE resident SET name = '赵六六' WHERE name = '赵六'")
    writer.commit()
    saved = {suffix: Path(f"{database}{suffix}").read_bytes() for suffix in ("-wal", "-shm")}
    writer.close()
    for suffix, content in saved.items():
        Path(f"{database}{suffix}").write_bytes(content)
    assert Path(f"{database}-wal").stat().st_size > 0

    result = restore_database(backup, database)

    assert not Path(f"{database}-wal").exists() and not Path(f"{database}-shm").exists()
    assert names(database) == ["王秀英", "李建国"]
    assert result.kept is not None
    assert names(result.kept) == ["王秀英", "李建国", "赵六六"]  # the last commit is kept, with the old file


def test_a_damaged_database_is_replaced_and_its_wal_kept_beside_it(backup: Path, database: Path) -> None:
    database.write_bytes(b"not a database any more" * 100)
    Path(f"{database}-wal").write_bytes(b"w" * 100)
    Path(f"{database}-shm").write_bytes(b"s" * 100)

    result = restore_database(backup, database)

    assert names(database) == ["王秀英", "李建国"]
    assert result.kept is not None
    assert result.kept.read_bytes() == b"not a database any more" * 100
    assert Path(f"{result.kept}-wal").read_bytes() == b"w" * 100
    assert not Path(f"{database}-wal").exists() and not Path(f"{database}-shm").exists()


def test_restore_onto_a_new_computer_makes_the_folder(backup: Path, tmp_path: Path) -> None:
    target = tmp_path / "new" / "data" / "linli.sqlite3"
    result = restore_database(backup, target)
    assert result.kept is None
    assert names(target) == ["王秀英", "李建国"]
    assert oct(target.stat().st_mode & 0o777) == "0o600"


def test_a_second_restore_in_the_same_second_keeps_both_old_files(backup: Path, database: Path) -> None:
    first = restore_database(backup, database).kept
    second = restore_database(backup, database).kept
    assert first is not None and second is not None
    assert (first.name, second.name) == (KEPT, f"{KEPT}-2")
    assert names(second) == ["王秀英", "李建国"]


# --- refused ---------------------------------------------------------------------------------------------------


def test_refused_while_linli_has_the_database_open(backup: Path, database: Path) -> None:
    db.connect(database)  # the operators' UI, linli serve, any command
    with pytest.raises(StorageError) as caught:
        restore_database(backup, database)
    assert caught.value.message == (
        f"The database {database} is in use by a running Linli (the operators' UI, linli serve, a command); "
        "stop it first."
    )
    db.close()
    unchanged(database)


def test_linli_cannot_open_the_database_while_a_restore_holds_it(backup: Path, database: Path) -> None:
    with db.sole_use(database), pytest.raises(StorageError, match="is being restored"):
        db.connect(database)
    db.connect(database)  # afterwards it opens
    db.close()


def test_refused_while_another_program_has_the_database_open(backup: Path, database: Path) -> None:
    other = sqlite3.connect(database)  # the sqlite3 shell, a browser for SQLite files: no lock file of Linli's
    other.execute("PRAGMA journal_mode=wal")
    assert other.execute("SELECT COUNT(*) FROM resident").fetchone() == (3,)
    try:
        with pytest.raises(StorageError) as caught:
            restore_database(backup, database)
    finally:
        other.close()
    assert caught.value.message == (
        f"The database {database} is open in another program; close it (or stop it) and restore again."
    )
    unchanged(database)


def test_a_backup_failing_its_integrity_check_is_refused(backup: Path, database: Path) -> None:
    spoiled = sqlite3.connect(backup)
    spoiled.execute("PRAGMA writable_schema=ON")  # the index now claims to index another column: rows missing
    spoiled.execute("""UPDATE sqlite_master SET sql = 'CREATE INDEX "resident_status" ON "resident" ("name")'
                       WHERE name = 'resident_status'""")
    spoiled.commit()
    spoiled.close()
    with pytest.raises(StorageError) as caught:
        restore_database(backup, database)
    assert caught.value.message.startswith("The backup monday.sqlite3 failed its integrity check (row ")
    assert caught.value.message.endswith("; nothing was changed. Try an older backup.")
    unchanged(database)


def test_a_damaged_backup_is_refused(backup: Path, database: Path) -> None:
    page_size = read(backup, "PRAGMA page_size")[0][0]
    root = read(backup, "SELECT rootpage FROM sqlite_master WHERE name = 'resident_phone'")[0][0]
    with open(backup, "r+b") as file:
        file.seek((root - 1) * page_size)
        file.write(b"\0" * page_size)
    with pytest.raises(StorageError, match=r"^The backup monday\.sqlite3 is damaged .*nothing was changed"):
        restore_database(backup, database)
    unchanged(database)


def test_a_backup_from_a_newer_linli_is_refused(backup: Path, database: Path) -> None:
    newer = sqlite3.connect(backup)
    newer.execute("INSERT INTO schema_version (version, name, applied_at) VALUES (?, 'future', '2027-01-01')",
                  (LATEST + 1,))  # fmt: skip
    newer.commit()
    newer.close()
    with pytest.raises(SchemaTooNew) as caught:
        restore_database(backup, database)
    assert caught.value.message == (
        f"The backup monday.sqlite3 has schema version {LATEST + 1}, but this Linli knows only up to {LATEST}. "
        "Upgrade Linli (pip install -U linli) before restoring it; nothing was changed."
    )
    unchanged(database)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(b"name,phone\n", "is not a Linli backup (not a SQLite file)", id="a spreadsheet"),
        pytest.param(b"", "is not a Linli backup (not a SQLite file)", id="an empty file"),
    ],
)
def test_a_file_that_is_not_a_backup_is_refused(backup: Path, database: Path, content: bytes, message: str) -> None:
    backup.write_bytes(content)
    with pytest.raises(StorageError) as caught:
        restore_database(backup, database)
    assert caught.value.message == f"{backup} {message}; nothing was changed."
    unchanged(database)


def test_a_sqlite_file_that_is_not_linli_is_refused(backup: Path, database: Path) -> None:
    backup.unlink()
    other = sqlite3.connect(backup)
    other.execute("CREATE TABLE recipes (name TEXT)")
    other.close()
    with pytest.raises(StorageError, match="is a SQLite file but not a Linli database; nothing was changed"):
        restore_database(backup, database)
    unchanged(database)


def test_a_live_database_with_its_wal_is_refused_as_a_backup(backup: Path, database: Path, tmp_path: Path) -> None:
    Path(f"{backup}-wal").write_bytes(b"x" * 32)
    with pytest.raises(ValidationError, match="has a -wal file beside it: it is a live database, not a backup"):
        restore_database(backup, database)
    unchanged(database)


def test_the_database_itself_and_a_missing_backup_are_refused(backup: Path, database: Path, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="is the database itself"):
        restore_database(database, database)
    with pytest.raises(ValidationError, match="There is no backup file"):
        restore_database(tmp_path / "nope.sqlite3", database)
    with pytest.raises(StorageError, match="pg_restore"):
        restore_database(backup, "postgresql://localhost/linli")
    unchanged(database)


def test_a_refusal_reads_in_chinese_for_a_chinese_reader(backup: Path, database: Path) -> None:
    with pytest.raises(ValidationError) as caught:
        restore_database(database, database)
    assert caught.value.text("zh") == f"{database} 就是数据库本身；请给出它的备份。"
    with pytest.raises(StorageError) as postgres:
        restore_database(backup, "postgresql://localhost/linli")
    assert postgres.value.text("zh").startswith("linli restore 替换的是 SQLite 文件；PostgreSQL 数据库请用 pg_restore")


# --- encrypted backups -----------------------------------------------------------------------------------------


def test_an_encrypted_backup_is_decrypted_with_its_key(community: Community, database: Path, tmp_path: Path) -> None:
    import pyrage

    key = pyrage.x25519.Identity.generate()
    add_resident(ResidentInput(name="王秀英", phone="13800138000"))
    encrypted = backup_encrypted(tmp_path / "monday.sqlite3.age", str(key.to_public())).path
    add_resident(ResidentInput(name="李建国", phone="13700137000"))
    db.close()
    key_file = tmp_path / "key.txt"
    key_file.write_text(f"# created: today\n{key}\n", encoding="utf-8")
    other = tmp_path / "other.txt"
    other.write_text(f"{pyrage.x25519.Identity.generate()}\n", encoding="utf-8")

    with pytest.raises(ValidationError, match="is an encrypted backup: give its secret key with --identity"):
        restore_database(encrypted, database)
    with pytest.raises(ValidationError, match="cannot be decrypted with the key given"):
        restore_database(encrypted, database, identity=str(other))
    assert names(database) == ["王秀英", "李建国"]

    result = restore_database(encrypted, database, identity=str(key_file))

    assert names(database) == ["王秀英"]
    assert result.kept is not None and names(result.kept) == ["王秀英", "李建国"]
    assert not any(p.name.endswith("restore-partial") for p in tmp_path.iterdir())


def test_restore_leaves_no_partial_file_when_refused(backup: Path, database: Path) -> None:
    os.truncate(backup, 4096)  # the first page only: the tables point past the end of the file
    with pytest.raises(StorageError):
        restore_database(backup, database)
    unchanged(database)
