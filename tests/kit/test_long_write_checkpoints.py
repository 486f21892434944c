"""A long write on SQLite copies its write-ahead log into the database after each commit, once the lock is free,
rather than inside the commit (kit.bulk.Turns): the checkpoint counts as part of the pause between transactions."""

from __future__ import annotations

from pathlib import Path

import pytest

from kit.bulk import Turns
from kit.busy import turn_gap
from kit.db import database, transaction
from kit.models import OptOut


def automatic_checkpoint_pages() -> int:
    (pages,) = database.execute_sql("PRAGMA wal_autocheckpoint").fetchone()
    return int(pages)


def test_a_transaction_that_wrote_is_checkpointed_after_its_commit_within_the_pause(database: Path) -> None:
    slept: list[float] = []
    # Transaction 1: the lock from 0.0 to 0.08, then the checkpoint from 0.08 to 0.095; transaction 2 only reads.
    moments = iter([0.0, 0.08, 0.08, 0.095, 1.0, 1.01])
    turns = Turns(sleep=slept.append, timer=lambda: next(moments))
    with turns.transaction():
        OptOut.create(phone="+8613800000001", source="carrier")
        assert automatic_checkpoint_pages() == 0  # SQLite's own, inside the commit, is held back
    assert automatic_checkpoint_pages() == 1000
    with turns.transaction():
        OptOut.select().count()  # wrote nothing: nothing to checkpoint, and no pause is shortened
    # The lock was left free as long as a waiting writer sleeps: 15 ms of it checkpointing, the rest asleep.
    assert slept == [pytest.approx(turn_gap(0.08) - 0.015)]
    assert next(moments, None) is None  # the second transaction read the timer twice, as without a checkpoint


def test_a_write_that_fails_leaves_sqlites_own_checkpoints_on(database: Path) -> None:
    turns = Turns(sleep=lambda _: None, timer=lambda: 0.0)
    with pytest.raises(RuntimeError, match="cut short"), turns.transaction():
        OptOut.create(phone="+8613800000001", source="carrier")
        raise RuntimeError("cut short")
    assert automatic_checkpoint_pages() == 1000
    assert not OptOut.select().exists()


def test_inside_an_outer_transaction_sqlite_checkpoints_as_usual(database: Path) -> None:
    turns = Turns(sleep=lambda _: None, timer=lambda: 0.0)
    with transaction(), turns.transaction():
        OptOut.create(phone="+8613800000001", source="carrier")
        assert automatic_checkpoint_pages() == 1000  # the outer transaction's commit is SQLite's to checkpoint
