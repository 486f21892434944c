"""`linli restore BACKUP` end to end, through click's runner."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kit import db
from kit.backup import backup_database
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
        f"Restored {database} from {backup} (schema version {result.stdout.split('schema version ')[1].split(',')[0]}"
        f", 1 resident); the old one is kept as {kept}.\n"
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
        f"Database problem: The database {database} is in use by a running Linli (the operators' UI, linli serve, "
        "a command); stop it first."
    )
    assert not list(database.parent.glob("*before-restore*"))
    db.connect(database)
    assert [r.name for r in Resident.select().order_by(Resident.id)] == ["王秀英", "李建国"]


def test_a_missing_backup_is_one_line(run: Run, backup: Path, database: Path, tmp_path: Path) -> None:
    line = one_line(run("--db", database, "restore", tmp_path / "tuesday.sqlite3"))
    assert line == f"Please check the input: There is no backup file {tmp_path / 'tuesday.sqlite3'}."


def test_restore_onto_a_damaged_database(run: Run, backup: Path, database: Path) -> None:
    database.write_bytes(b"\0" * 8192)
    result = run("--db", database, "restore", backup)
    assert result.exit_code == 0, result.output
    db.connect(database)
    assert [r.name for r in Resident.select()] == ["王秀英"]
