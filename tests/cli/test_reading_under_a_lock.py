"""Looking never waits for a writer: with another program holding SQLite's write lock, the commands that only read
still answer at once (WAL lets readers through; opening an up-to-date database takes no write lock)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from kit import db
from kit.models import Community
from kit.residents import ResidentInput, add_resident
from linli.cli.main import main


@pytest.fixture
def writer_holding_the_lock(community: Community, database: Path) -> Iterator[None]:
    add_resident(ResidentInput(name="王芳", phone="+8613800000001", grid="第1网格", room="101"))
    db.close()
    other = sqlite3.connect(database, timeout=0)
    other.execute("BEGIN IMMEDIATE")  # another program in the middle of a long write
    try:
        yield
    finally:
        other.rollback()
        other.close()


def test_opening_an_up_to_date_database_takes_no_write_lock(writer_holding_the_lock: None, database: Path) -> None:
    opened = db.connect(database)
    opened.execute_sql("PRAGMA busy_timeout = 0")  # waiting at all would be the defect
    assert Community.select().count() == 1


@pytest.mark.parametrize("command", [["status"], ["residents", "list"], ["report", "daily"]])
def test_reading_commands_answer_while_another_program_writes(
    writer_holding_the_lock: None, command: list[str]
) -> None:
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 0, result.output
    assert "王芳" in result.output or "第1网格" in result.output or "幸福里社区" in result.output
