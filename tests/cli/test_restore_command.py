"""`linli restore BACKUP` end to end, through click's runner."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kit import db
from kit.backup import backup_database
from kit.migrations import LATEST
from kit.models import AuditEntry, Community, Resident
from kit.residents import ResidentInput, add_resident
from tests.cli_run import Run
from tests.cli_run import one_line_error as one_line


@pytest.fixture
def backup(community: Community, database: Path, tmp_path: Path) -> Path:
    """A backup with 王秀英; the database has 李建国 too, and is closed."""
    add_resident(ResidentInput(name="王秀英", phone="13800138000"))
    path = backup_database(tmp_path / "monday.sqlite3").path
    add_resident(ResidentInput(name="李建国", phone="13700137000"))
    db.close()
    return path


@pytest.fixture
def another_linli(database: Path) -> Iterator[subprocess.Popen[str]]:
    """A second Linli process with the database open (as the operators' UI would), until the test ends."""
    code = "import sys; from kit import db; db.connect(sys.argv[1]); print('open', flush=True); sys.stdin.read()"
    process = subprocess.Popen(
        [sys.executable, "-c", code, str(database)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stdout.readline() == "open\n"  # waits until it has opened
    yield process
    process.communicate("")  # closing its stdin ends it


def test_restore_puts_the_backup_in_place_and_says_where_the_old_file_is(
    run: Run, backup: Path, database: Path
) -> None:
    result = run("--db", database, "restore", backup)
    assert result.exit_code == 0, result.output
    kept = database.with_name("linli.sqlite3.before-restore-20261120-010000")
    assert result.stdout == (
        f"已用 {backup} 恢复 {database}（数据结构第 {LATEST} 版，1 位居民）；原来的数据库保存为 {kept}。\n"
    )
    assert kept.exists()
    db.connect(database)
    assert [r.name for r in Resident.select()] == ["王秀英"]
    entry = AuditEntry.select().where(AuditEntry.action == "restore").get()
    assert (entry.actor, entry.entity) == ("cli", "database")


def test_restore_is_refused_in_one_line_while_another_linli_has_the_database_open(
    run: Run, backup: Path, database: Path, another_linli: subprocess.Popen[str]
) -> None:
    line = one_line(run("--db", database, "restore", backup))
    assert line == (
        f"数据库出了问题：数据库 {database} 正被运行中的邻里使用（网格员界面、linli serve 或某条命令）；请先把它停掉。"
    )
    assert not list(database.parent.glob("*before-restore*"))
    db.connect(database)
    assert [r.name for r in Resident.select().order_by(Resident.id)] == ["王秀英", "李建国"]


def test_a_missing_backup_is_one_line(run: Run, backup: Path, database: Path, tmp_path: Path) -> None:
    line = one_line(run("--db", database, "restore", tmp_path / "tuesday.sqlite3"))
    assert line == f"请检查输入：没有备份文件 {tmp_path / 'tuesday.sqlite3'}。"


def test_an_english_community_reads_restore_in_english(
    run: Run, community: Community, database: Path, tmp_path: Path
) -> None:
    Community.update(languages="en,zh").execute()
    add_resident(ResidentInput(name="Tom Smith", phone="13600136000"))
    backup = backup_database(tmp_path / "monday.sqlite3").path
    db.close()
    missing = one_line(run("--db", database, "restore", database.with_name("tuesday.sqlite3")))
    assert missing == f"Please check the input: There is no backup file {database.with_name('tuesday.sqlite3')}."
    result = run("--db", database, "restore", backup)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Restored {database} from {backup} (schema version {LATEST}, 1 resident); ")


def test_restore_onto_a_damaged_database(run: Run, backup: Path, database: Path) -> None:
    database.write_bytes(b"\0" * 8192)
    result = run("--db", database, "restore", backup)
    assert result.exit_code == 0, result.output
    db.connect(database)
    assert [r.name for r in Resident.select()] == ["王秀英"]
