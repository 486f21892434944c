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

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import peewee

from kit.db import database, is_sqlite

CHUNK = 500  # rows per transaction in long writes (a round's asks, a notice's messages): well under the busy timeout

# Fields whose Python values the driver cannot store as they are; text and numbers pass straight through.
_CONVERTED = (peewee.DateTimeField, peewee.DateField, peewee.BooleanField, peewee.TimeField)


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
    convert = [index for index, field in enumerate(fields) if isinstance(field, _CONVERTED)]
    prepared: Sequence[Sequence[Any]] = rows
    if convert:
        converted = [list(row) for row in rows]
        for index in convert:
            db_value = to_db(fields[index])
            for row in converted:
                row[index] = db_value(row[index])
        prepared = converted
    cursor = database.cursor()
    cursor.executemany(sql, prepared)
    return cursor.rowcount if cursor.rowcount is not None and cursor.rowcount >= 0 else len(prepared)


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
