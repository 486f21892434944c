"""The database: one deferred peewee handle, opened once by the composition root.

SQLite by default (WAL, foreign keys, a busy timeout, IMMEDIATE write transactions so two writers queue instead
of deadlocking). A `postgresql://` URL opens PostgreSQL instead, through psycopg 3 (peewee's own adapter for it);
nothing in `kit` may rely on SQLite-only SQL, and the tests run the storage, import, outbox, dispatcher and
check-in code on both.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import peewee
from platformdirs import user_data_dir

from kit.errors import StorageError
from kit.private_files import PRIVATE_FILE, create_private, narrow, private_folder
from kit.storage import storage_error

if sys.platform != "win32":
    import fcntl

database = peewee.DatabaseProxy()

# Decisions: every thread that reads has a connection of its own (the UI's workers, the dispatcher, the scheduler,
# the webhook server), and SQLite gives each connection its own page cache, so the same pages were held once per
# thread: at 32 MB each, the operators' UI on 100,000 residents reached 190 MB. The operating system caches the
# file once for all of them, and a search over the register is a scan that no cache smaller than the file keeps
# (measured: no slower at 4 MB than at 32 MB), so 4 MB is enough.
SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10_000,
    "synchronous": "normal",
    "cache_size": -4_000,  # 4 MB page cache per connection (see above)
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
    if is_postgresql_url(text):
        db = open_postgresql(text)
    else:
        if text != ":memory:":
            path = Path(text).expanduser()
            keep_private(path)
            hold_in_use(path)
            text = str(path)
        db = peewee.SqliteDatabase(text, pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE", check_same_thread=False)
    database.initialize(db)
    try:
        db.connect(reuse_if_open=True)
        if migrate:
            from kit.migrations import apply_pending

            apply_pending(db)
    except BaseException as error:
        close()  # nothing stays open, or locked, after a failed open
        explained = storage_error(error, current_path())  # a file's path, never a URL (it may hold a password)
        if explained is None:
            raise
        raise explained from None
    return db


def keep_private(path: Path) -> None:
    """Create the database file readable by its owner only (SQLite gives its -wal and -shm the same rights), and
    narrow the rights of an existing one and its -wal and -shm."""
    private_folder(path.parent)
    create_private(path)
    for suffix in ("-wal", "-shm"):
        narrow(f"{path}{suffix}")


def is_postgresql_url(target: str) -> bool:
    return target.startswith(("postgres://", "postgresql://"))


def open_postgresql(url: str) -> peewee.PostgresqlDatabase:
    """A handle on the PostgreSQL database at `url`, through psycopg 3 (connected on first use)."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")  # the driver takes the URL only in this spelling
    return peewee.PostgresqlDatabase(url, prefer_psycopg3=True)


def close() -> None:
    if database.obj is not None and not database.is_closed():
        database.close()
    _release_in_use()


def current_path() -> str | None:
    """The SQLite file the handle points at (None before connect, for :memory: and for PostgreSQL)."""
    obj = database.obj
    if isinstance(obj, peewee.SqliteDatabase) and obj.database != ":memory:":
        return str(obj.database)
    return None


# --- who is using the file -------------------------------------------------------------------------------------
# Every Linli process that opens a SQLite file holds a shared advisory lock on "<file>-lock" beside it for as long
# as it has the file open; `linli restore` takes the same lock exclusively, so it knows no Linli has the file open
# and none can open it while the file is being swapped. The system drops the lock when a process ends, however it
# ends (even killed), so a stale lock cannot keep a restore out. See kit.restore for the rest of the check.

_in_use: list[int] = []  # the descriptor of the lock file this process holds, if any


def in_use_lock(path: str | os.PathLike[str]) -> Path:
    """The lock file that says who has the database at `path` open."""
    return Path(f"{path}-lock")


def hold_in_use(path: Path) -> None:
    """Hold the shared lock for `path` until `close`; refused while a restore of it is under way."""
    _release_in_use()
    if sys.platform == "win32":  # no flock: kit.restore's SQLite check stands alone
        return
    descriptor = _open_lock(path)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        raise StorageError("db.being_restored", path=path) from None
    _in_use.append(descriptor)


@contextmanager
def sole_use(path: str | os.PathLike[str]) -> Iterator[None]:
    """Hold the lock for `path` exclusively: refused (StorageError) while any Linli process has the file open;
    while held, no Linli process can open it."""
    if sys.platform == "win32":
        yield
        return
    descriptor = _open_lock(Path(path))
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StorageError("db.in_use", path=path) from None
        yield
    finally:
        os.close(descriptor)  # closing the descriptor drops the lock


def _open_lock(path: Path) -> int:
    try:
        return os.open(in_use_lock(path), os.O_RDWR | os.O_CREAT, PRIVATE_FILE)
    except OSError as error:
        raise storage_error(error) or error from None


def _release_in_use() -> None:
    while _in_use:
        os.close(_in_use.pop())


def is_sqlite() -> bool:
    return isinstance(database.obj, peewee.SqliteDatabase)


@contextmanager
def transaction() -> Iterator[None]:
    """One write transaction: state changes and the messages they cause commit together or not at all.

    On a full disk (and a few other failures) SQLite rolls the transaction back itself; peewee's own rollback then
    fails with "no transaction is active" and would hide the real error, so the real one is raised instead."""
    try:
        with database.atomic():
            yield
    except peewee.OperationalError as error:
        hidden = hidden_by_rollback(error)
        if hidden is not error:
            raise hidden from None
        raise


def hidden_by_rollback(error: BaseException) -> BaseException:
    """The error a failed rollback ("no transaction is active": SQLite had rolled back already) was raised over;
    `error` itself when it is not such a rollback."""
    current: BaseException | None = error
    while current is not None and "no transaction is active" in str(current):
        current = current.__context__
    return current or error
