"""Backups of the SQLite file while the kit runs, with SQLite's online backup API.

The copy is made from the live connection a few hundred pages at a time, so a writer waits at most for one step;
pages written meanwhile are carried into the copy. The copy goes to a temporary file beside the target, is turned
into a single self-contained file (no -wal beside it), checked (it opens, passes quick_check, has the same schema
version) and only then renamed into place. PostgreSQL is backed up with its own tools (pg_dump).
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from kit.db import database, is_sqlite
from kit.errors import Conflict, StorageError
from kit.migrations import current_version
from kit.models import Resident

PAGES_PER_STEP = 256  # 1 MB with 4 KB pages


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int  # bytes
    schema_version: int
    residents: int


def backup_database(target: str | os.PathLike[str], *, force: bool = False) -> BackupResult:
    """Copy the open database to `target`; refuses to replace an existing file unless `force`."""
    if not is_sqlite():
        raise StorageError(
            "linli backup copies SQLite files only; back up a PostgreSQL database with pg_dump, "
            "e.g. pg_dump --format=custom --file=linli.dump DBNAME."
        )
    path = Path(target).expanduser()
    source_file = database.obj.database
    if path.is_dir():
        raise Conflict(f"{path} is a folder; give a file name such as {path / 'linli-backup.sqlite3'}.")
    if path.exists():
        if source_file != ":memory:" and _same_file(path, Path(source_file)):
            raise Conflict(f"{path} is the live database itself; give the backup another name.")
        if not force:
            raise Conflict(f"{path} already exists; choose another name, or add --force to replace it.")
    if not path.parent.is_dir():
        raise StorageError(f"The folder {path.parent} does not exist.")
    version = current_version(database.obj)
    partial = path.with_name(f".{path.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        _copy(database.connection(), partial)
        residents = _verify(partial, version)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return BackupResult(path=path, size=path.stat().st_size, schema_version=version, residents=residents)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return False


def _copy(source: sqlite3.Connection, file: Path) -> None:
    try:
        copy = sqlite3.connect(file)
    except sqlite3.Error as error:
        raise StorageError(f"Cannot create the backup file {file}: {error}.") from None
    try:
        source.backup(copy, pages=PAGES_PER_STEP)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, whatever the live one uses
    except sqlite3.Error as error:
        raise StorageError(f"The backup could not be written: {error}.") from None
    finally:
        copy.close()


def _verify(file: Path, version: int) -> int:
    """Open the copy afresh, read only: it must pass quick_check and have `version`; returns its resident count."""
    try:
        copy = sqlite3.connect(f"{file.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise StorageError(f"The backup {file} does not open: {error}.") from None
    try:
        check = copy.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise StorageError(f"The backup failed its integrity check ({check}); nothing was replaced.")
        copied = copy.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
        if copied != version:
            raise StorageError(f"The backup has schema version {copied}, not {version}; nothing was replaced.")
        table = Resident._meta.table_name
        return int(copy.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0])
    except sqlite3.Error as error:
        raise StorageError(f"The backup {file} cannot be read: {error}.") from None
    finally:
        copy.close()
