"""The database: one deferred peewee handle, opened once by the composition root.

SQLite by default (WAL, foreign keys, a busy timeout, IMMEDIATE write transactions so two writers queue instead
of deadlocking). A `postgresql://` URL opens PostgreSQL instead; nothing in `kit` may rely on SQLite-only SQL.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import peewee
from platformdirs import user_data_dir

from kit.errors import StorageError

database = peewee.DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10_000,
    "synchronous": "normal",
    "cache_size": -32_000,  # 32 MB page cache
    "temp_store": "memory",
}


def default_path() -> Path:
    """Where the database lives when neither --db nor $LINLI_DB says."""
    return Path(user_data_dir("linli", appauthor=False)) / "linli.sqlite3"


def resolve_path(explicit: str | os.PathLike[str] | None = None, configured: str = "") -> str:
    """--db, then $LINLI_DB, then the configuration's database.path, then the default."""
    chosen = explicit or os.environ.get("LINLI_DB") or configured
    return str(chosen) if chosen else str(default_path())


def connect(target: str | os.PathLike[str], *, migrate: bool = True) -> peewee.Database:
    """Open the database at `target` (a path or a postgresql:// URL), bind the models, apply migrations."""
    text = str(target)
    db: peewee.Database
    if text.startswith(("postgres://", "postgresql://")):
        from playhouse.db_url import connect as connect_url

        db = connect_url(text)
    else:
        if text != ":memory:":
            path = Path(text).expanduser()
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise StorageError(f"Cannot create the folder for the database {path}: {error.strerror}.") from None
            text = str(path)
        db = peewee.SqliteDatabase(text, pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE", check_same_thread=False)
    database.initialize(db)
    try:
        db.connect(reuse_if_open=True)
    except peewee.OperationalError as error:
        raise StorageError(f"Cannot open the database {text}: {error}.") from None
    if migrate:
        from kit.migrations import apply_pending

        apply_pending(db)
    return db


def close() -> None:
    if database.obj is not None and not database.is_closed():
        database.close()


def is_sqlite() -> bool:
    return isinstance(database.obj, peewee.SqliteDatabase)


@contextmanager
def transaction() -> Iterator[None]:
    """One write transaction: state changes and the messages they cause commit together or not at all."""
    with database.atomic():
        yield
