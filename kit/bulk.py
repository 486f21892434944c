"""Bulk inserts for imports and demo data: one prepared statement and executemany, ids reserved up front.

peewee's insert_many builds SQL text for every row, which costs more than parsing the phone numbers; here the
statement is built once. Ids are reserved before the insert, so rows can be linked (residents to tags) without
reading them back.

Decisions:
- On SQLite the ids after the highest one are free: the caller's write transaction holds the only write lock.
  On PostgreSQL writers run side by side, so ids always come from the table's own sequence (never MAX(id) + 1):
  two imports at once get different ids, and a row inserted the ordinary way meanwhile cannot take one of them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import peewee

from kit.busy import turn_gap
from kit.db import database, is_sqlite, transaction

CHUNK = 500  # rows per transaction in long writes (a round's asks, a notice's messages): well under the busy timeout

# Fields whose Python values the driver cannot store as they are; text and numbers pass straight through.
_CONVERTED = (peewee.DateTimeField, peewee.DateField, peewee.BooleanField, peewee.TimeField)


# Seconds a transaction of a long write aims to hold the write lock for, at most (`Turns`): under the 128 ms after
# which a waiting writer's busy handler sleeps 50 ms instead of 25 (`kit.busy.turn_gap`), so the pause after each
# stays 30 ms, and as close to it as is safe, since the pauses add up (fewer, longer transactions: fewer pauses).
HOLD = 0.12

FIRST, LAST = -(2**31) + 1, -(2**31) + 2  # the bounds a `Chunked` statement is built with, replaced when it runs


class Chunked:
    """A statement over a range of ids, built once with the bounds `FIRST` and `LAST` and run for each chunk with
    the chunk's own: building it with peewee costs more than running it."""

    def __init__(self, query: peewee.Query) -> None:
        self.sql, self.params = query.sql()

    def run(self, first: int, last: int) -> int:
        """Run the statement for ids from `first` to `last`; how many rows it wrote."""
        bounds = {FIRST: first, LAST: last}
        params = [bounds.get(p, p) if type(p) is int else p for p in self.params]
        cursor = database.execute_sql(self.sql, params)
        return max(cursor.rowcount or 0, 0)


class Turns:
    """The write transactions of one long write (a round's start, a ladder step), taking turns with other writers.

    Before each transaction but the first, the write lock is left free long enough for a writer that waited during
    the previous one to get in (`kit.busy.turn_gap`): only on SQLite, and only when no outer transaction holds the
    lock anyway (PostgreSQL's writers do not wait for each other's tables). And the rows a transaction takes
    (`chunks`, `resize`) shrink in proportion when one held the lock longer than `HOLD`: on a loaded machine the
    same rows take longer, and a waiting writer should not. (`sleep` and `timer` are time.sleep and
    time.perf_counter; tests give their own.)

    On SQLite the checkpoint that a transaction's commit would run (copying the write-ahead log into the database)
    is run by `Turns` after the commit instead (`_checkpoint_held_back`): the lock is free during a checkpoint, so
    it counts as part of the pause rather than as time the lock was held (measured on a ladder step: mostly 10-30 ms
    after each transaction, most of a 30 ms pause)."""

    def __init__(
        self, *, sleep: Callable[[float], None] = time.sleep, timer: Callable[[], float] = time.perf_counter
    ) -> None:
        self._sleep, self._timer = sleep, timer
        self._gap = 0.0
        self._held = 0.0

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._gap:
            self._sleep(self._gap)
        taking_turns = is_sqlite() and not database.in_transaction()
        with _checkpoint_held_back(taking_turns) as checkpoint, transaction():
            began = self._timer()  # the lock is ours from here (BEGIN IMMEDIATE) to the commit
            yield
        self._held = self._timer() - began
        self._gap = turn_gap(self._held) if taking_turns else 0.0
        if checkpoint.wanted():
            self._gap = max(0.0, self._gap - checkpoint.run(self._timer))

    def resize(self, size: int, most: int) -> int:
        """How many rows the next transaction takes after one that took `size`: as many as would hold the lock for
        `HOLD`, at most `most` and at least a quarter of it (a transaction has costs that do not shrink with its
        rows, and on a starved machine any transaction takes long: smaller ones would only be more of them)."""
        if self._held <= 0:
            return most
        return max(most // 4, 1, min(most, int(size * HOLD / self._held)))

    def chunks(self, ids: Sequence[int], most: int) -> Iterator[Sequence[int]]:
        """`ids` in order, cut into chunks of at most `most`, each for one `transaction` (`resize`)."""
        start, size = 0, most
        while start < len(ids):
            chunk = ids[start : start + size]
            yield chunk
            start += len(chunk)
            size = self.resize(len(chunk), most)


class _Checkpoint:
    """The checkpoint SQLite would have run in the commit of one transaction (see `_checkpoint_held_back`)."""

    def __init__(self, connection: Any = None, pages: int = 0) -> None:
        self._connection, self._pages = connection, pages
        self._changes = connection.total_changes if connection is not None else 0

    def wanted(self) -> bool:
        """Whether the transaction wrote, with automatic checkpoints on (`pages`, SQLite's wal_autocheckpoint)."""
        return self._pages > 0 and self._connection.total_changes != self._changes

    def run(self, timer: Callable[[], float]) -> float:
        """Checkpoint as much of the write-ahead log as readers allow, without waiting for the lock (PASSIVE);
        the seconds it took."""
        began = timer()
        database.execute_sql("PRAGMA wal_checkpoint(PASSIVE)")
        return timer() - began


@contextmanager
def _checkpoint_held_back(active: bool) -> Iterator[_Checkpoint]:
    """SQLite's automatic checkpoint off during one transaction of a long write (`active`), for `Turns` to run it
    after the commit: SQLite would run it inside the commit, after releasing the lock but before returning, where
    it cannot be told from time the lock was held."""
    if not active:
        yield _Checkpoint()
        return
    (pages,) = database.execute_sql("PRAGMA wal_autocheckpoint").fetchone()
    database.execute_sql("PRAGMA wal_autocheckpoint = 0")
    try:
        yield _Checkpoint(database.connection(), int(pages))
    finally:
        database.execute_sql(f"PRAGMA wal_autocheckpoint = {int(pages)}")


def select_values(
    model: type[peewee.Model], values: dict[peewee.Field, Any]
) -> tuple[list[peewee.Node], list[peewee.Field]]:
    """The columns of the SELECT and the fields of an INSERT ... SELECT into `model` writing `values` (SQL
    expressions, or plain values), with every other column that has a Python-side default given it (peewee applies
    those itself on create(); a raw statement must, or NOT NULL columns added later fail)."""
    given = {field.name for field in values}
    extra = {
        field: field.default() if callable(field.default) else field.default
        for field in model._meta.sorted_fields
        if field.name not in given and field is not model._meta.primary_key and field.default is not None
    }
    chosen = {**values, **extra}
    columns = [value if isinstance(value, peewee.Node) else peewee.Value(value) for value in chosen.values()]
    return columns, list(chosen)


def reserve_ids(model: type[peewee.Model], count: int) -> list[int]:
    """`count` unused ids of `model`, in increasing order (call inside the write transaction). Consecutive on
    SQLite; on PostgreSQL another writer's ids may fall between them."""
    if count <= 0:
        return []
    if is_sqlite():
        first = int(model.select(peewee.fn.MAX(model._meta.primary_key)).scalar() or 0) + 1
        return list(range(first, first + count))
    cursor = database.execute_sql(
        "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
        (model._meta.table_name, model._meta.primary_key.column_name, count),
    )
    return sorted(int(value) for (value,) in cursor.fetchall())


def insert_rows(
    model: type[peewee.Model],
    fields: Sequence[peewee.Field],
    rows: Sequence[Sequence[Any]],
    *,
    skip_conflicts: bool = False,
) -> int:
    """INSERT `rows` (tuples in the order of `fields`, ids from `reserve_ids` if given) into `model`'s table with
    one prepared statement; with `skip_conflicts`, rows that would break a unique constraint are left out (ON
    CONFLICT DO NOTHING, which SQLite and PostgreSQL both speak). Returns how many rows were written."""
    if not rows:
        return 0
    fields, rows = _with_defaults(model, list(fields), rows)

    def quote(name: str) -> str:
        return name.join(database.quote)

    columns = ", ".join(quote(field.column_name) for field in fields)
    marks = ", ".join([database.param] * len(fields))
    sql = f"INSERT INTO {quote(model._meta.table_name)} ({columns}) VALUES ({marks})"
    if skip_conflicts:
        sql += " ON CONFLICT DO NOTHING"
    prepared = _prepared(fields, rows)
    cursor = database.cursor()
    cursor.executemany(sql, prepared)
    return cursor.rowcount if cursor.rowcount is not None and cursor.rowcount >= 0 else len(prepared)


def update_rows(
    model: type[peewee.Model], fields: Sequence[peewee.Field], key: peewee.Field, rows: Sequence[Sequence[Any]]
) -> int:
    """UPDATE `model`'s rows with one prepared statement: each row is the new values of `fields`, then the value of
    `key` that picks the row to change (`UPDATE t SET a = ?, b = ? WHERE id = ?`). Returns how many rows changed."""
    if not rows:
        return 0

    def quote(name: str) -> str:
        return name.join(database.quote)

    changes = ", ".join(f"{quote(field.column_name)} = {database.param}" for field in fields)
    sql = f"UPDATE {quote(model._meta.table_name)} SET {changes} WHERE {quote(key.column_name)} = {database.param}"
    prepared = _prepared([*fields, key], rows)
    cursor = database.cursor()
    cursor.executemany(sql, prepared)
    return cursor.rowcount if cursor.rowcount is not None and cursor.rowcount >= 0 else len(prepared)


def _prepared(fields: Sequence[peewee.Field], rows: Sequence[Sequence[Any]]) -> Sequence[Sequence[Any]]:
    """`rows` with the values of `fields` the driver cannot store as they are converted (`to_db`)."""
    convert = [index for index, field in enumerate(fields) if isinstance(field, _CONVERTED)]
    if not convert:
        return rows
    converted = [list(row) for row in rows]
    for index in convert:
        db_value = to_db(fields[index])
        for row in converted:
            row[index] = db_value(row[index])
    return converted


def to_db(field: peewee.Field) -> Callable[[Any], Any]:
    """`field.db_value`, remembered per value, with datetimes on SQLite as the text sqlite3 itself would store
    (`isoformat(" ")`): a bulk write repeats a few distinct times thousands of times, and converting each again
    costs more than writing it."""
    known: dict[Any, Any] = {}
    db_value, as_text = field.db_value, is_sqlite()

    def convert(value: Any) -> Any:
        try:
            return known[value]
        except KeyError:
            stored = db_value(value)
            if as_text and isinstance(stored, datetime):
                stored = stored.isoformat(" ")
            known[value] = stored
            return stored

    return convert


def _with_defaults(
    model: type[peewee.Model], fields: list[peewee.Field], rows: Sequence[Sequence[Any]]
) -> tuple[list[peewee.Field], Sequence[Sequence[Any]]]:
    """Add the columns the rows leave out, with the model's Python-side defaults (peewee applies those itself on
    create(); a raw statement must do it, or NOT NULL columns fail)."""
    given = {field.name for field in fields}
    extra = [
        field
        for field in model._meta.sorted_fields
        if field.name not in given and field is not model._meta.primary_key and field.default is not None
    ]
    if not extra:
        return fields, rows
    values = tuple(field.default() if callable(field.default) else field.default for field in extra)
    return fields + extra, [(*row, *values) for row in rows]
